import type { BenchResult } from "./parse.js";

/** A threshold input: "200%" → 2 (a ratio); a bare number is a percentage too. */
export function parseThreshold(v: string, input: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*%?\s*$/.exec(v);
  if (!m) throw new Error(`${input} must be a percentage such as '200%', got '${v}'`);
  return Number(m[1]) / 100;
}

export interface Change {
  name: string;
  unit: string;
  current: number;
  previous: number;
  /** How many times worse than the baseline (1: the same; 3: three times slower, or a third of the throughput). */
  ratio: number;
}

/**
 * Each current result that has a baseline of the same name and unit, with how much worse it
 * is: current / previous when smaller is better, previous / current when bigger is better.
 */
export function compare(current: readonly BenchResult[], baseline: readonly BenchResult[]): Change[] {
  const prev = new Map(baseline.map((b) => [`${b.name}\0${b.unit}`, b]));
  const out: Change[] = [];
  for (const c of current) {
    const p = prev.get(`${c.name}\0${c.unit}`);
    if (!p) continue;
    // Equal values are the same even at 0 (go's 0 B/op); from 0 to more is infinitely worse.
    const ratio = c.value === p.value ? 1 : c.biggerIsBetter ? p.value / c.value : c.value / p.value;
    out.push({ name: c.name, unit: c.unit, current: c.value, previous: p.value, ratio });
  }
  return out;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6))));

/** One benchmark's comparison: its name, current and previous values and the ratio. */
export function describe(c: Change): string {
  const r = Number.isFinite(c.ratio) ? c.ratio.toFixed(2) : "∞";
  const way = r === "1.00" ? "the same" : c.ratio > 1 ? "worse" : "better";
  return `${c.name}: ${fmt(c.current)} ${c.unit} (previous ${fmt(c.previous)} ${c.unit}, ${r}× ${way})`;
}

/** The step summary's table of the comparison. */
export function summaryTable(
  suite: string,
  results: readonly BenchResult[],
  changes: readonly Change[],
  alert: number,
  baselineRun?: number,
): string {
  const byName = new Map(changes.map((c) => [`${c.name}\0${c.unit}`, c]));
  const lines = [
    `### ${suite}`,
    "",
    baselineRun === undefined
      ? "No baseline yet: this is the first result of this benchmark suite on the default branch."
      : `Compared with run ${baselineRun} (alert threshold ${Math.round(alert * 100)}%).`,
    "",
    "| Benchmark | Current | Previous | Ratio |",
    "| --- | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    const c = byName.get(`${r.name}\0${r.unit}`);
    const mark = c && c.ratio > alert ? " 🚨" : "";
    lines.push(
      `| ${r.name.replace(/\|/g, "\\|")} | ${fmt(r.value)} ${r.unit}${r.range ? ` (${r.range})` : ""} | ${c ? `${fmt(c.previous)} ${r.unit}` : ""} | ${c ? `${Number.isFinite(c.ratio) ? c.ratio.toFixed(2) : "∞"}${mark}` : ""} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}
