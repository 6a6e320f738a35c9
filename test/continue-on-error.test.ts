import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";

interface Out {
  result: string;
  folder: string;
  jobs: { name: string; result: string; outputs: Record<string, string> }[];
}

function run(workflow: string) {
  const repo = tempRepo(undefined, { ".github/workflows/ci.yml": workflow });
  const r = slipway(["run", "--json"], repo);
  const out = JSON.parse(r.stdout) as Out;
  const dir = join(out.folder, "logs");
  const logs = existsSync(dir)
    ? readdirSync(dir)
        .map((f) => readFileSync(join(dir, f), "utf8"))
        .join("\n")
    : "";
  return { ...r, out, logs };
}

describe("continue-on-error holds for steps that fail before they start", () => {
  test("missing working-directory, expression errors in run/with, missing shell, unknown action", () => {
    const r = run(`on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      seen: \${{ steps.check.outputs.seen }}
    steps:
      - id: wd
        continue-on-error: true
        working-directory: no/such/folder
        run: echo never
      - id: script
        continue-on-error: true
        run: echo \${{ fromJSON('{') }}
      - id: with
        continue-on-error: true
        uses: actions/checkout@v4
        with:
          ref: \${{ fromJSON('{') }}
      - id: shell
        continue-on-error: true
        shell: no-such-shell-here {0}
        run: echo never
      - id: action
        continue-on-error: true
        uses: nobody-here/no-such-action@v1
      - id: check
        run: |
          echo "seen=\${{ join(steps.*.outcome, ',') }}/\${{ join(steps.*.conclusion, ',') }}" >> "$GITHUB_OUTPUT"
`);
    expect(r.out.result, r.logs + r.stderr).toBe("success");
    const seen = r.out.jobs.find((j) => j.name === "build")?.outputs.seen;
    expect(seen).toBe("failure,failure,failure,failure,failure/success,success,success,success,success");
    expect(r.code).toBe(0);
  });

  test("without continue-on-error such a step fails the job and still sets steps.<id>", () => {
    const r = run(`on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      seen: \${{ steps.check.outputs.seen }}
    steps:
      - id: wd
        working-directory: no/such/folder
        run: echo never
      - id: check
        if: always()
        run: echo "seen=\${{ steps.wd.outcome }}/\${{ steps.wd.conclusion }}" >> "$GITHUB_OUTPUT"
`);
    expect(r.out.result).toBe("failure");
    expect(r.out.jobs.find((j) => j.name === "build")?.outputs.seen).toBe("failure/failure");
  });

  test("as on GitHub, an error in the step's env or if fails it whatever continue-on-error says", () => {
    const r = run(`on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      seen: \${{ steps.check.outputs.seen }}
    steps:
      - id: env
        continue-on-error: true
        env: { X: "\${{ fromJSON('{') }}" }
        run: echo never
      - id: cond
        continue-on-error: true
        if: always() && fromJSON('{')
        run: echo never
      - id: check
        if: always()
        run: echo "seen=\${{ steps.env.outcome }}/\${{ steps.env.conclusion }} \${{ steps.cond.outcome }}/\${{ steps.cond.conclusion }}" >> "$GITHUB_OUTPUT"
`);
    expect(r.out.result).toBe("failure");
    expect(r.out.jobs.find((j) => j.name === "build")?.outputs.seen).toBe("failure/failure failure/failure");
  });
});

describe("a step's own env", () => {
  test("is visible in its if: and its name, as on GitHub", () => {
    const r = run(`on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      seen: \${{ steps.check.outputs.seen }}
    steps:
      - id: mine
        name: step \${{ env.WHO }}
        if: env.WHO == 'me'
        env: { WHO: me }
        run: echo "ran as $WHO"
      - id: check
        run: echo "seen=\${{ steps.mine.outcome }}" >> "$GITHUB_OUTPUT"
`);
    expect(r.out.jobs.find((j) => j.name === "build")?.outputs.seen, r.logs).toBe("success");
    expect(r.logs).toContain("##[step] step me");
  });
});
