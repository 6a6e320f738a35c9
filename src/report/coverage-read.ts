import { XMLParser, XMLValidator } from "fast-xml-parser";

/** A report that is not one of the formats read here, or broken: the message has file:line:col where one exists. */
export class CoverageError extends Error {}

/** Line coverage of one source file: hits by line number (a line listed with 0 hits is a miss). */
export interface FileLines {
  /** As the report names it (absolute, or relative to a source root or the tool's folder). */
  path: string;
  /** Cobertura's <source> roots the path is relative to, when the report gives them. */
  roots: string[];
  lines: Map<number, number>;
}

export type CoverageFormat = "cobertura" | "lcov" | "istanbul" | "go";

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseAttributeValue: false,
  parseTagValue: false,
  isArray: (name) => ["source", "package", "class", "line"].includes(name),
});

const str = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

/** Adds `hits` to line `n` of `f` (a file can appear in several classes or records). */
function hit(f: FileLines, n: number, hits: number): void {
  if (!Number.isInteger(n) || n < 1 || !Number.isFinite(hits)) return;
  f.lines.set(n, (f.lines.get(n) ?? 0) + Math.max(0, hits));
}

function fileOf(byPath: Map<string, FileLines>, path: string, roots: string[] = []): FileLines {
  const found = byPath.get(path);
  if (found) return found;
  const f: FileLines = { path, roots, lines: new Map() };
  byPath.set(path, f);
  return f;
}

/**
 * Cobertura XML as coverage.py (pytest-cov), cargo-tarpaulin, cargo-llvm-cov --cobertura and
 * Istanbul's cobertura reporter write it: coverage > packages > package > classes > class
 * (filename) > lines > line (number, hits). Several classes of one file add up.
 */
export function readCobertura(xml: string, source: string): FileLines[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true)
    throw new CoverageError(`${source}:${valid.err.line}:${valid.err.col}: not valid XML: ${valid.err.msg}`);
  const doc = parser.parse(xml) as Node;
  const cov = doc.coverage as Node | undefined;
  if (!cov || typeof cov !== "object") {
    const top = Object.keys(doc).find((k) => !k.startsWith("?")) ?? "nothing";
    throw new CoverageError(
      `${source}: not a Cobertura XML report (its root element is <${top}>, not <coverage>)`,
    );
  }
  const roots = (((cov.sources as Node | undefined)?.source as unknown[]) ?? []).map(str).filter(Boolean);
  const byPath = new Map<string, FileLines>();
  const packages = ((cov.packages as Node | undefined)?.package as Node[] | undefined) ?? [];
  for (const p of packages)
    for (const c of ((p.classes as Node | undefined)?.class as Node[] | undefined) ?? []) {
      const path = str(c["@filename"]);
      if (!path) continue;
      const f = fileOf(byPath, path, roots);
      for (const l of ((c.lines as Node | undefined)?.line as Node[] | undefined) ?? [])
        hit(f, Number(str(l["@number"])), Number(str(l["@hits"])));
    }
  return [...byPath.values()];
}

/**
 * LCOV tracefiles (lcov, c8, Istanbul, cargo-llvm-cov --lcov, grcov): SF: starts a file, DA:line,hits
 * its lines, end_of_record ends it. Other records (functions, branches, totals) are not needed.
 */
export function readLcov(text: string, source: string): FileLines[] {
  const byPath = new Map<string, FileLines>();
  let f: FileLines | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l.startsWith("SF:")) f = fileOf(byPath, l.slice(3));
    else if (l === "end_of_record") f = undefined;
    else if (l.startsWith("DA:")) {
      if (!f)
        throw new CoverageError(`${source}:${i + 1}:1: DA: line outside a file record (no SF: before it)`);
      const [n, hits] = l.slice(3).split(",");
      if (!/^\d+$/.test(n ?? "") || !/^-?\d+(\.\d+)?$/.test(hits ?? ""))
        throw new CoverageError(`${source}:${i + 1}:4: expected DA:<line>,<hits>, got '${l}'`);
      hit(f, Number(n), Number(hits));
    }
  }
  if (!byPath.size) throw new CoverageError(`${source}: not an LCOV tracefile (no SF: record)`);
  return [...byPath.values()];
}

interface IstanbulFile {
  path?: string;
  statementMap?: Record<string, { start?: { line?: number } }>;
  s?: Record<string, number>;
}

/**
 * Istanbul JSON (coverage-final.json, as jest, nyc, c8 and vitest write it): per file, statements
 * with their start line and counts. A line's hits are those of the statements that start on it
 * (the most-hit one), as Istanbul's own line coverage counts them.
 */
export function readIstanbul(text: string, source: string): FileLines[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CoverageError(`${source}: not valid JSON: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc))
    throw new CoverageError(`${source}: not an Istanbul coverage-final.json (expected an object of files)`);
  const out: FileLines[] = [];
  for (const [key, v] of Object.entries(doc as Record<string, IstanbulFile>)) {
    if (!v || typeof v !== "object" || !v.statementMap || !v.s)
      throw new CoverageError(
        `${source}: not an Istanbul coverage-final.json ('${key}' has no statementMap and s)`,
      );
    const f: FileLines = { path: v.path ?? key, roots: [], lines: new Map() };
    for (const [id, loc] of Object.entries(v.statementMap)) {
      const n = loc.start?.line;
      if (typeof n !== "number" || n < 1) continue;
      const hits = Number(v.s[id] ?? 0);
      f.lines.set(n, Math.max(f.lines.get(n) ?? 0, hits));
    }
    out.push(f);
  }
  return out;
}

/**
 * Go's cover profile (`go test -coverprofile`): 'mode: set|count|atomic', then blocks
 * 'file:startLine.col,endLine.col statements count'. Each line of a block gets the block's count,
 * added up where blocks share a line (as gocover-cobertura converts it for Codecov). Files are
 * named by import path (example.com/m/pkg/f.go): placed in the workspace by their tail.
 */
export function readGoCover(text: string, source: string): FileLines[] {
  const byPath = new Map<string, FileLines>();
  const lines = text.split(/\r?\n/);
  if (!/^mode: (set|count|atomic)$/.test(lines[0]?.trim() ?? ""))
    throw new CoverageError(
      `${source}:1:1: not a Go cover profile (it starts with 'mode: set', 'count' or 'atomic')`,
    );
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (!l) continue;
    const m = /^(.+):(\d+)\.\d+,(\d+)\.\d+ \d+ (\d+)$/.exec(l);
    if (!m)
      throw new CoverageError(
        `${source}:${i + 1}:1: expected 'file:line.col,line.col statements count', got '${l}'`,
      );
    const f = fileOf(byPath, m[1]!);
    for (let n = Number(m[2]); n <= Number(m[3]); n++) hit(f, n, Number(m[4]));
  }
  return [...byPath.values()];
}

/** The format of a report, from its content (Codecov finds reports by name; the name can lie). */
export function formatOf(text: string): CoverageFormat | undefined {
  const t = text.trimStart();
  if (t.startsWith("<")) return "cobertura";
  if (t.startsWith("{")) return "istanbul";
  if (/^mode: (set|count|atomic)\s/.test(t)) return "go";
  if (/^(TN:|SF:)/m.test(t)) return "lcov";
  return undefined;
}

/** Reads a coverage report of any format read here. */
export function readCoverage(text: string, source: string): FileLines[] {
  const format = formatOf(text);
  if (format === "cobertura") return readCobertura(text, source);
  if (format === "istanbul") return readIstanbul(text, source);
  if (format === "lcov") return readLcov(text, source);
  if (format === "go") return readGoCover(text, source);
  throw new CoverageError(
    `${source}: not a coverage report this built-in reads (Cobertura XML, LCOV, Istanbul JSON or a Go cover profile)`,
  );
}

/** Lines found (listed) and hit. */
export function countLines(lines: Map<number, number>): { lines: number; hit: number } {
  let hit = 0;
  for (const h of lines.values()) if (h > 0) hit++;
  return { lines: lines.size, hit };
}
