/**
 * Benchmark outputs as github-action-benchmark reads them, one parser per `tool`. Each gives
 * results with a name, a value, a unit and which way is better; `range` and `extra` are kept
 * as the tool wrote them (they are shown, never compared).
 */

import type { BenchmarkResult } from "../run/events.js";

export type BenchResult = BenchmarkResult;

export const TOOLS = [
  "cargo",
  "go",
  "benchmarkjs",
  "pytest",
  "customSmallerIsBetter",
  "customBiggerIsBetter",
] as const;
export type Tool = (typeof TOOLS)[number];

/** What each tool's output file is, for the error when it is something else. */
export const EXPECTED: Record<Tool, string> = {
  cargo:
    "a file of cargo bench's bencher output (`test name ... bench: 1,234 ns/iter (+/- 56)` lines), e.g. `cargo bench -- --output-format bencher | tee output.txt`",
  go: "a file of `go test -bench` output (`BenchmarkName-8  1000  1234 ns/op` lines), e.g. `go test -bench . | tee output.txt`",
  benchmarkjs: "a file of Benchmark.js output (`name x 1,234 ops/sec ±1.23% (90 runs sampled)` lines)",
  pytest: "the JSON file pytest-benchmark writes, e.g. `pytest --benchmark-json output.json`",
  customSmallerIsBetter: "a JSON file: an array of {name, unit, value, range?, extra?}",
  customBiggerIsBetter: "a JSON file: an array of {name, unit, value, range?, extra?}",
};

export class BenchParseError extends Error {}

const num = (s: string) => Number(s.replace(/,/g, ""));

/** libtest's `cargo bench` lines, and criterion's `--output-format bencher` (the same form). */
function cargo(text: string): BenchResult[] {
  const out: BenchResult[] = [];
  const re = /^test (.+?)\s+\.\.\. bench:\s+([0-9][0-9,.]*) (\S+) \(\+\/- ([0-9][0-9,.]*)\)\s*$/;
  for (const line of text.split(/\r?\n/)) {
    const m = re.exec(line);
    if (m)
      out.push({ name: m[1]!, value: num(m[2]!), unit: m[3]!, range: `± ${m[4]}`, biggerIsBetter: false });
  }
  return out;
}

/**
 * `go test -bench` lines: name (its -N GOMAXPROCS suffix is kept in `extra`), iterations, then
 * value/unit pairs. One pair: the result is the benchmark's name; more (-benchmem, custom
 * metrics): one result per pair, named `<name> - <unit>`. With several packages in one file
 * each name is prefixed by its `pkg:`.
 */
function go(text: string): BenchResult[] {
  const out: BenchResult[] = [];
  const lines = text.split(/\r?\n/);
  const pkgs = new Set(lines.filter((l) => l.startsWith("pkg: ")));
  let pkg = "";
  for (const line of lines) {
    if (line.startsWith("pkg: ")) pkg = line.slice(5).trim();
    const m = /^(Benchmark\S*?)(?:-(\d+))?\s+(\d+)\s+(.+)$/.exec(line);
    if (!m) continue;
    const pieces = m[4]!.trim().split(/\s+/);
    const pairs: [number, string][] = [];
    for (let i = 0; i + 1 < pieces.length; i += 2) {
      const v = Number(pieces[i]);
      if (Number.isNaN(v)) break;
      pairs.push([v, pieces[i + 1]!]);
    }
    if (!pairs.length) continue;
    const base = pkgs.size > 1 && pkg ? `${m[1]} (${pkg})` : m[1]!;
    const extra = `${m[3]} times${m[2] ? `\n${m[2]} procs` : ""}`;
    for (const [value, unit] of pairs)
      out.push({
        name: pairs.length > 1 ? `${base} - ${unit}` : base,
        value,
        unit,
        extra,
        biggerIsBetter: false,
      });
  }
  return out;
}

/** Benchmark.js' `name x 1,234 ops/sec ±1.23% (90 runs sampled)`: operations per second, bigger is better. */
function benchmarkjs(text: string): BenchResult[] {
  const out: BenchResult[] = [];
  const re = /^(.+?) x ([0-9][0-9,.]*) (\S+) ±([0-9.]+%) \((\d+) runs? sampled\)\s*$/;
  for (const line of text.split(/\r?\n/)) {
    const m = re.exec(line);
    if (m)
      out.push({
        name: m[1]!.trim(),
        value: num(m[2]!),
        unit: m[3]!,
        range: `±${m[4]}`,
        extra: `${m[5]} samples`,
        biggerIsBetter: true,
      });
  }
  return out;
}

function json(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BenchParseError(`not JSON (${(e as Error).message}); expected ${what}`);
  }
}

/** pytest-benchmark's --benchmark-json: each benchmark's operations per second (stats.ops), bigger is better. */
function pytest(text: string): BenchResult[] {
  const doc = json(text, EXPECTED.pytest) as { benchmarks?: unknown };
  if (!doc || !Array.isArray(doc.benchmarks))
    throw new BenchParseError(`no "benchmarks" array; expected ${EXPECTED.pytest}`);
  return doc.benchmarks.map((b: { fullname?: string; name?: string; stats?: Record<string, number> }) => {
    const s = b.stats ?? {};
    if (typeof s.ops !== "number")
      throw new BenchParseError(`benchmark '${b.fullname ?? b.name}' has no stats.ops`);
    return {
      name: String(b.fullname ?? b.name),
      value: s.ops,
      unit: "iter/sec",
      range: `stddev: ${s.stddev}`,
      extra: `mean: ${s.mean} sec\nrounds: ${s.rounds}`,
      biggerIsBetter: true,
    };
  });
}

function custom(text: string, biggerIsBetter: boolean): BenchResult[] {
  const what = EXPECTED.customSmallerIsBetter;
  const doc = json(text, what);
  if (!Array.isArray(doc)) throw new BenchParseError(`not an array; expected ${what}`);
  return doc.map((r: Record<string, unknown>, i) => {
    if (!r || typeof r.name !== "string" || typeof r.unit !== "string" || typeof r.value !== "number")
      throw new BenchParseError(
        `item ${i}: needs a string name, a string unit and a number value; expected ${what}`,
      );
    return {
      name: r.name,
      value: r.value,
      unit: r.unit,
      ...(r.range !== undefined ? { range: String(r.range) } : {}),
      ...(r.extra !== undefined ? { extra: String(r.extra) } : {}),
      biggerIsBetter,
    };
  });
}

/** The results of `tool`'s output `text`; none found is the caller's error (it knows the file). */
export function parseBench(tool: Tool, text: string): BenchResult[] {
  switch (tool) {
    case "cargo":
      return cargo(text);
    case "go":
      return go(text);
    case "benchmarkjs":
      return benchmarkjs(text);
    case "pytest":
      return pytest(text);
    case "customSmallerIsBetter":
      return custom(text, false);
    case "customBiggerIsBetter":
      return custom(text, true);
  }
}
