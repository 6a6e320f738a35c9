import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, test } from "vitest";
import { slipway } from "./helpers/cli.js";

/**
 * A repository at <top>/repo whose committed symbolic links and `..` paths point at
 * files in <top>, outside it: code there must never be loaded, and a link uploaded as
 * an artifact is stored as the file it points to (upload-artifact v4 zips the target).
 */
function setup() {
  const top = mkdtempSync(join(tmpdir(), "slipway-links-"));
  const repo = join(top, "repo");
  const mark = join(top, "outside-code-ran");
  const put = (p: string, text: string) => {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  };
  // Outside the repository: an action, a node entry point and a reusable workflow that leave a mark.
  put(
    join(top, "evil-action", "action.yml"),
    `runs: { using: composite, steps: [ { shell: bash, run: 'touch "${mark}"' } ] }\n`,
  );
  put(join(top, "evil.js"), `require("fs").writeFileSync(${JSON.stringify(mark)}, "");\n`);
  put(
    join(top, "evil.yml"),
    `on: workflow_call\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: touch "${mark}"\n`,
  );
  put(join(top, "host-file.txt"), "host contents\n");
  // Inside: links to them, a node action whose main is a link, and ordinary files.
  mkdirSync(join(repo, ".github", "workflows"), { recursive: true });
  symlinkSync(join(top, "evil-action"), join(repo, "linked-action"));
  put(join(repo, "yml-link", "README"), "");
  symlinkSync(join(top, "evil-action", "action.yml"), join(repo, "yml-link", "action.yml"));
  put(join(repo, "node-action", "action.yml"), "runs: { using: node20, main: main.js }\n");
  symlinkSync(join(top, "evil.js"), join(repo, "node-action", "main.js"));
  symlinkSync(join(top, "evil.yml"), join(repo, ".github", "workflows", "linked.yml"));
  put(join(repo, "out", "real.txt"), "real\n");
  symlinkSync(join(top, "host-file.txt"), join(repo, "out", "host.txt"));
  symlinkSync("real.txt", join(repo, "out", "alias.txt"));
  put(
    join(repo, ".github", "workflows", "ci.yml"),
    `on: push
jobs:
  linked-action:
    runs-on: ubuntu-latest
    steps:
      - uses: ./linked-action
  linked-yml:
    runs-on: ubuntu-latest
    steps:
      - uses: ./yml-link
  linked-main:
    runs-on: ubuntu-latest
    steps:
      - uses: ./node-action
  dotdot-action:
    runs-on: ubuntu-latest
    steps:
      - uses: ./../evil-action
  upload:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/upload-artifact@v4
        with: { name: links, path: out }
`,
  );
  put(
    join(repo, ".github", "workflows", "calls.yml"),
    `on: push
jobs:
  linked-workflow:
    uses: ./.github/workflows/linked.yml
  dotdot-workflow:
    uses: ./.github/workflows/../../../evil.yml
`,
  );
  const git = (...a: string[]) => execFileSync("git", a, { cwd: repo, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "links");
  return { repo, mark };
}

describe("symbolic links and .. that leave the repository", () => {
  const { repo, mark } = setup();
  const r = slipway(["run", "--json"], repo);
  const out = JSON.parse(r.stdout) as {
    folder: string;
    jobs: { job: string; result: string; reason?: string }[];
  };
  const job = (id: string) => out.jobs.find((j) => j.job === id);
  const log = (id: string) => readFileSync(join(out.folder, "logs", `${id}.log`), "utf8");

  test("no code from outside ran", () => {
    expect(existsSync(mark)).toBe(false);
  });
  test("local actions through a link or .. are refused at their uses: line", () => {
    for (const id of ["linked-action", "linked-yml", "linked-main", "dotdot-action"]) {
      expect(job(id)?.result, id).toBe("failure");
      expect(log(id), id).toMatch(/ci\.yml:\d+:\d+: .*outside the repository/);
    }
  });
  test("reusable workflows through a link or .. are refused at their uses: line, and not read", () => {
    // The loader does not read them; should a run reach them, the job fails with the reason.
    const said = r.stdout + r.stderr;
    expect(said).toMatch(
      /calls\.yml:4:11: '\.\/\.github\/workflows\/linked\.yml' leads outside the repository/,
    );
    expect(said).toMatch(/calls\.yml:6:11: '.*evil\.yml' leads outside the repository/);
    for (const id of ["linked-workflow", "dotdot-workflow"])
      if (job(id)) expect(job(id)?.reason, id).toMatch(/calls\.yml:\d+:\d+: .*outside the repository/);
    const lint = slipway(["lint"], repo);
    expect(lint.stdout).toMatch(
      /4:11 +error +'\.\/\.github\/workflows\/linked\.yml' leads outside the repository/,
    );
    expect(lint.stdout).toMatch(/6:11 +error +'.*evil\.yml' leads outside the repository/);
  });
  test("upload-artifact stores what a link points to, not the link", () => {
    expect(job("upload")?.result).toBe("success");
    const dir = join(out.folder, "artifacts", "links");
    for (const f of ["real.txt", "alias.txt", "host.txt"])
      expect(lstatSync(join(dir, f)).isFile(), f).toBe(true);
    expect(readFileSync(join(dir, "host.txt"), "utf8")).toBe("host contents\n");
    expect(readFileSync(join(dir, "alias.txt"), "utf8")).toBe("real\n");
  });
});
