import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";

describe("names GitHub's runner refuses in GITHUB_ENV and ::set-env::", () => {
  // A --require payload in NODE_OPTIONS would run inside every later node process.
  const repo = tempRepo(undefined, {
    "payload.cjs": 'require("fs").writeFileSync(process.env.MARK, "ran");\n',
    ".github/workflows/ci.yml": `on: push
jobs:
  env:
    runs-on: ubuntu-latest
    env:
      ACTIONS_ALLOW_UNSECURE_COMMANDS: "true"
    steps:
      - run: |
          echo "NODE_OPTIONS=--require $PWD/payload.cjs" >> "$GITHUB_ENV"
          printf 'node_options<<EOF\\n--require %s/payload.cjs\\nEOF\\n' "$PWD" >> "$GITHUB_ENV"
          echo "OTHER=kept" >> "$GITHUB_ENV"
          echo "::set-env name=Node_Options::--require $PWD/payload.cjs"
      - run: |
          [ -z "$NODE_OPTIONS$node_options$Node_Options" ] && [ "$OTHER" = kept ]
          node -e "" && echo node ran
`,
  });
  const mark = join(repo, "payload-ran");
  const r = slipway(["run", "--json"], repo, { MARK: mark });
  const out = JSON.parse(r.stdout) as { result: string; folder: string };
  const log = readFileSync(join(out.folder, "logs", "env.log"), "utf8");

  test("each is refused with an error annotation; the step and the job go on, as on GitHub", () => {
    expect(out.result, log).toBe("success");
    expect(log).toContain("Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.");
    expect(log.split("Can't store NODE_OPTIONS").length).toBe(3); // NODE_OPTIONS and node_options
    expect(log).toContain("Can't update NODE_OPTIONS environment variable using ::set-env:: command.");
    expect(log).toContain("node ran");
  });
  test("the payload never ran", () => {
    expect(existsSync(mark)).toBe(false);
  });
});
