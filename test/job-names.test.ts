import { describe, expect, test } from "vitest";
import { slipway, tempRepo } from "./helpers/cli.js";

const CI = `on: push
jobs:
  test:
    name: Node.js \${{ matrix.node }}
    strategy: { matrix: { node: [22, 24] } }
    runs-on: ubuntu-latest
    steps:
      - run: echo "testing on \${{ matrix.node }}"
  plain:
    strategy:
      matrix:
        os: [linux, mac]
        include: [{ os: linux, extra: yes }]
    runs-on: ubuntu-latest
    steps:
      - run: echo plain
  named:
    name: Build it
    runs-on: ubuntu-latest
    steps:
      - run: echo built
  call:
    uses: ./.github/workflows/lib.yml
    with: { who: x }
`;
const LIB = `on:
  workflow_call:
    inputs: { who: { type: string } }
jobs:
  inner:
    name: Inner \${{ inputs.who }}
    runs-on: ubuntu-latest
    steps:
      - run: echo hello from inner
`;

interface Out {
  result: string;
  run: number;
  jobs: { job: string; name: string; result: string }[];
}

describe("job names are GitHub's in plan, run, JSON and logs", () => {
  const repo = tempRepo(undefined, {
    ".github/workflows/ci.yml": CI,
    ".github/workflows/lib.yml": LIB,
  });

  test("plan shows the evaluated leg names run shows", () => {
    const r = slipway(["plan", "-W", ".github/workflows/ci.yml", "--json"], repo);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as {
      workflows: { jobs: { id: string; legs: { name: string }[] }[] }[];
    };
    const legs = Object.fromEntries(plan.workflows[0]!.jobs.map((j) => [j.id, j.legs.map((l) => l.name)]));
    expect(legs.test).toEqual(["Node.js 22", "Node.js 24"]);
    expect(legs.plain).toEqual(["plain (linux, yes)", "plain (mac)"]);
    expect(legs.named).toEqual(["Build it"]);
    const text = slipway(["plan", "-W", ".github/workflows/ci.yml"], repo).stdout;
    expect(text).toContain("◦ Node.js 24");
    expect(text).not.toContain("test (24)");
  });

  test("a called job is 'caller / callee', once, in the console, the table and JSON; logs takes printed names", () => {
    const plain = slipway(["run", "-W", ".github/workflows/ci.yml"], repo);
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(plain.stdout).toContain("[call / Inner x] ⏵ job started");
    expect(plain.stdout).not.toMatch(/^\[call\] ⏵ job started/m);
    expect(plain.stdout).not.toMatch(/^\[Inner x\]/m);
    expect(plain.stdout).not.toMatch(/^\[call\] ✓ job success/m);
    expect(plain.stdout).toMatch(/^\[call \/ Inner x\] ✓ job success/m);
    expect(plain.stdout).toContain("[Node.js 24] ⏵ job started");
    expect(plain.stdout).toContain("[plain (linux, yes)] ⏵ job started");
    const table = plain.stdout.slice(plain.stdout.indexOf("\nJOB"));
    expect(table).toMatch(/^call +✓ success/m);
    expect(table).toMatch(/^ {2}call \/ Inner x +✓ success/m);
    expect(table).not.toMatch(/^Inner x/m);
    expect(table).toMatch(/^ {2}Node\.js 24 +✓ success/m);

    // --no-reuse: the same run again, run (its logs are read below).
    const r = slipway(["run", "-W", ".github/workflows/ci.yml", "--json", "--no-reuse"], repo);
    const out = JSON.parse(r.stdout) as Out;
    expect(out.jobs.map((j) => j.name).sort()).toEqual(
      [
        "Build it",
        "Node.js 22",
        "Node.js 24",
        "call",
        "call / Inner x",
        "plain",
        "plain (linux, yes)",
        "plain (mac)",
        "test",
      ].sort(),
    );

    const leg = slipway(["logs", String(out.run), "Node.js 24"], repo);
    expect(leg.code, leg.stderr).toBe(0);
    expect(leg.stdout).toContain("testing on 24");
    expect(leg.stdout).not.toContain("testing on 22");
    const inner = slipway(["logs", String(out.run), "call / Inner x"], repo);
    expect(inner.code, inner.stderr).toBe(0);
    expect(inner.stdout).toContain("hello from inner");
    expect(inner.stdout).toContain("=== call / Inner x");
    // Ids still work; a missing job lists the printed names.
    expect(slipway(["logs", String(out.run), "named"], repo).stdout).toContain("built");
    const none = slipway(["logs", String(out.run), "nope"], repo);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Node.js 24");
  });
});
