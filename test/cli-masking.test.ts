import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT, slipway, tempRepo } from "./helpers/cli.js";

const SECRET = "Zq7-hush-4417";

/** Every file under `dir`: its path (names can leak too) and its bytes. */
function everything(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    out.push({ path: p, text: statSync(p).isFile() ? readFileSync(p, "latin1") : "" });
  }
  return out;
}

describe("a secret in every field a workflow can reach", () => {
  const repo = tempRepo(join(ROOT, "test/fixtures/masking"));
  const secret = ["--secret", `TOKEN=${SECRET}`];
  const plain = slipway(["run", ...secret], repo);
  const junit = join(repo, ".slipway", "junit.xml");
  const json = slipway(["run", ...secret, "--json", "--junit", junit], repo);
  const list = slipway(["artifacts", "1"], repo);
  const listJson = slipway(["artifacts", "1", "--json"], repo);

  test("the run did reach every field", () => {
    const out = JSON.parse(json.stdout) as { jobs: { name: string; reason?: string }[] };
    const names = out.jobs.map((j) => j.name).join("\n");
    const reasons = out.jobs.map((j) => j.reason).join("\n");
    expect(reasons).toContain("environment 'deploy-***'");
    expect(reasons).toContain("runs-on 'windows-***'");
    expect(names).toContain("deploy ***");
    expect(names).toContain("leg ***");
    expect(names).toContain("inner ***");
    expect(plain.stdout).toContain("step ***");
    expect(plain.stdout).toContain("composite step ***");
    expect(plain.stdout).toContain("inner step ***");
    expect(plain.stdout).toContain("## summary ***");
    expect(plain.stdout).toMatch(/\*\*\*\.js/);
    expect(list.stdout).toContain("art-***");
    expect(readFileSync(junit, "utf8")).toContain("failed ***");
  });

  test("no byte Slipway printed or saved holds it", () => {
    for (const [what, text] of [
      ["run stdout", plain.stdout],
      ["run stderr", plain.stderr],
      ["run --json stdout", json.stdout],
      ["run --json stderr", json.stderr],
      ["artifacts", list.stdout + list.stderr],
      ["artifacts --json", listJson.stdout + listJson.stderr],
    ])
      expect(text, what).not.toContain(SECRET);
    for (const f of [
      ...everything(join(repo, ".slipway")),
      { path: junit, text: readFileSync(junit, "utf8") },
    ]) {
      expect(f.path).not.toContain(SECRET);
      expect(f.text, f.path).not.toContain(SECRET);
    }
  });
});

describe("commands that print evaluated values mask secrets too", () => {
  // Literal values equal to a secret: GitHub masks them in anything it shows, whoever wrote them.
  const workflow = `on: push
jobs:
  deploy:
    name: deploy to ${SECRET}
    runs-on: ubuntu-latest
    strategy:
      matrix:
        target: [${SECRET}, other]
    steps:
      - run: echo ${SECRET}
`;
  test("plan, plan --json and doctor", () => {
    const repo = tempRepo(undefined, { ".github/workflows/ci.yml": workflow });
    const secret = ["--secret", `TOKEN=${SECRET}`];
    const shown = slipway(["plan"], repo);
    expect(shown.stdout).toContain(SECRET); // the workflow does show it without --secret
    for (const args of [["plan"], ["plan", "--json"], ["doctor"]]) {
      const r = slipway([...args, ...secret], repo);
      expect(r.stdout.length, r.stderr).toBeGreaterThan(0);
      expect(r.stdout + r.stderr, args.join(" ")).not.toContain(SECRET);
    }
  });
});

describe("an event payload that holds a secret's value", () => {
  test("steps read it as given; the run folder and the history keep it masked", () => {
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml": `on: workflow_dispatch
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: grep -q "$S" "$GITHUB_EVENT_PATH" && echo "the step read the real payload"
        env:
          S: \${{ secrets.TOKEN }}
`,
      "event.json": JSON.stringify({ note: `key ${SECRET}` }),
    });
    const r = slipway(["run", "workflow_dispatch", "-e", "event.json", "--secret", `TOKEN=${SECRET}`], repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("the step read the real payload");
    const saved = readFileSync(join(repo, ".slipway", "runs", "1", "event.json"), "utf8");
    expect(saved).toContain("key ***");
    for (const f of everything(join(repo, ".slipway"))) expect(f.text, f.path).not.toContain(SECRET);
  });

  test("artifacts still go to the run folder and checkout still copies the repository", () => {
    const repo = tempRepo(undefined, {
      ".github/workflows/ci.yml": `on: workflow_dispatch
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: test -f event.json && mkdir -p out && echo hi > out/a.txt
      - uses: actions/upload-artifact@v4
        with: { name: dist, path: out }
`,
      "event.json": JSON.stringify({ note: `key ${SECRET}` }),
    });
    const r = slipway(["run", "workflow_dispatch", "-e", "event.json", "--secret", `TOKEN=${SECRET}`], repo);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(repo, ".slipway", "runs", "1", "artifacts", "dist", "a.txt"), "utf8")).toBe(
      "hi\n",
    );
  });
});
