import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { globSync } from "tinyglobby";
import { describe, expect, test } from "vitest";
import { lintRepoDetailed } from "../src/lint/index.js";
import { formatDiagnostic } from "../src/workflow/diagnostic.js";
import { loadWorkflow } from "../src/workflow/load.js";

// Mutations of real workflows (the shared corpus, else our fixtures) through the loader that
// plan and run use, and through lint: nothing may throw, hang, or report an error without a place.
// The seed is fixed so a failure here fails the same way on every machine.

const SEED = 0x5eed_0009;
const PER_CASE_MS = 2_000;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const corpus = "/work/shared/corpus";
const fixtures = join(import.meta.dirname, "fixtures");
function sources(): string[] {
  const from = (cwd: string) =>
    globSync(["**/.github/workflows/*.yml", "**/.github/workflows/*.yaml"], {
      cwd,
      dot: true,
      absolute: true,
    }).sort();
  const files = from(corpus);
  return files.length ? files : from(fixtures);
}

type Mutation = (b: Buffer, r: () => number) => Buffer;
const pick = (r: () => number, n: number) => Math.floor(r() * n);

const MUTATIONS: Record<string, Mutation> = {
  truncate: (b, r) => b.subarray(0, pick(r, b.length)),
  "byte flips": (b, r) => {
    const out = Buffer.from(b);
    for (let k = 0; k < 8; k++) out[pick(r, out.length)] = pick(r, 256);
    return out;
  },
  "deep nesting": (b, r) => {
    const at = b.indexOf("\n", pick(r, b.length)) + 1;
    const kind = pick(r, 3);
    const deep =
      kind === 0
        ? `x: ${"[".repeat(3000)}${"]".repeat(3000)}\n`
        : kind === 1
          ? `x:\n  - ${"- ".repeat(3000)}y\n`
          : `x: ${"{a: ".repeat(2000)}1${"}".repeat(2000)}\n`;
    return Buffer.concat([b.subarray(0, at), Buffer.from(deep), b.subarray(at)]);
  },
  "CR-only line ends": (b) => Buffer.from(b.toString("latin1").replaceAll(/\r?\n/g, "\r"), "latin1"),
  "huge scalar": (b, r) => {
    const at = b.indexOf("\n", pick(r, b.length)) + 1;
    const big = `huge: ${"z".repeat(300_000)}\n`;
    return Buffer.concat([b.subarray(0, at), Buffer.from(big), b.subarray(at)]);
  },
  "alias bomb": (b) => {
    const level = (n: number) =>
      `l${n}: &l${n} [${Array.from({ length: 9 }, () => (n ? `*l${n - 1}` : "x")).join(", ")}]`;
    const bomb = Array.from({ length: 9 }, (_, i) => level(i)).join("\n");
    return Buffer.concat([Buffer.from(`${bomb}\n`), b]);
  },
  "invalid UTF-8": (b, r) => {
    const out = Buffer.from(b);
    out[pick(r, out.length)] = 0xc3;
    out[pick(r, out.length)] = 0xff;
    return out;
  },
  "one line": (b) => Buffer.from(b.toString("latin1").replaceAll("\n", " "), "latin1"),
};

describe("fuzz: mutated workflows", () => {
  const files = sources();
  const r = rng(SEED);
  const root = mkdtempSync(join(tmpdir(), "slipway-fuzz-"));
  const wfDir = join(root, ".github/workflows");
  mkdirSync(wfDir, { recursive: true });
  // Each mutation over a seeded sample of the files: a few seconds in all.
  const cases: { name: string; rel: string }[] = [];
  for (const [kind, mutate] of Object.entries(MUTATIONS)) {
    for (let k = 0; k < 12; k++) {
      const src = files[pick(r, files.length)]!;
      const bytes = mutate(readFileSync(src), r);
      const rel = `.github/workflows/${kind.replaceAll(" ", "-")}-${k}.yml`;
      writeFileSync(join(root, rel), bytes);
      cases.push({
        name: `${kind} #${k} of ${src.slice(src.lastIndexOf("/", src.lastIndexOf("/.github")) + 1)}`,
        rel,
      });
    }
  }

  test("the loader (plan, run) never throws or hangs, and every error has a place", async () => {
    expect(files.length).toBeGreaterThan(0);
    const bad: string[] = [];
    for (const c of cases) {
      const t0 = performance.now();
      let diags: ReturnType<typeof formatDiagnostic>[] = [];
      try {
        const wf = await loadWorkflow(join(root, c.rel), root);
        diags = wf.diagnostics.map(formatDiagnostic);
        for (const d of wf.diagnostics)
          if (!d.line) bad.push(`${c.name}: no position: ${formatDiagnostic(d)}`);
        for (const d of wf.diagnostics)
          if (/call stack|internal error|undefined'/.test(d.message)) bad.push(`${c.name}: ${d.message}`);
      } catch (e) {
        bad.push(`${c.name}: threw ${(e as Error).stack}`);
      }
      const ms = performance.now() - t0;
      if (ms > PER_CASE_MS) bad.push(`${c.name}: took ${ms.toFixed(0)} ms (${diags.length} errors)`);
    }
    expect(bad).toEqual([]);
  });

  test("lint never throws or hangs, and every finding has a place", async () => {
    const t0 = performance.now();
    const res = await lintRepoDetailed(
      root,
      cases.map((c) => c.rel),
      { shellcheck: false },
    );
    const ms = performance.now() - t0;
    const bad = res.findings
      .filter((f) => !(f.line >= 1 && f.col >= 1) || /call stack|internal error/.test(f.message))
      .map((f) => `${f.file}:${f.line}:${f.col}: ${f.message}`);
    // Files that are not workflow text at all (invalid UTF-8, alias bombs) are the run's errors.
    for (const u of res.unreadable) if (!/^[^:]+:\d+:\d+: /.test(u)) bad.push(`no position: ${u}`);
    expect(bad).toEqual([]);
    expect(res.unreadable.length).toBeGreaterThan(0);
    expect(ms).toBeLessThan(PER_CASE_MS * cases.length);
  });
});
