import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import picomatch from "picomatch";
import { globSync } from "tinyglobby";
import { ExprError } from "./types.js";

interface Pattern {
  glob: string;
  negate: boolean;
}

/** One pattern relative to the workspace, in forward-slash form; outside the workspace is an error. */
function normalize(workspace: string, raw: string): Pattern {
  let p = raw;
  let negate = false;
  while (p.startsWith("!")) {
    negate = !negate;
    p = p.slice(1).trim();
  }
  const rel = path.isAbsolute(p) ? path.relative(workspace, p) : path.normalize(p);
  const glob = rel.split(path.sep).join("/");
  if (glob === ".." || glob.startsWith("../") || path.isAbsolute(glob)) {
    throw new ExprError(
      "evaluation",
      `hashFiles('${raw}') failed: the pattern is outside the workspace ${workspace}`,
    );
  }
  return { glob: glob === "." || glob === "" ? "**" : glob, negate };
}

/**
 * hashFiles as GitHub's runner computes it: files (not directories) under the workspace that
 * match the patterns, in order with `!` excluding what earlier patterns matched, and a pattern
 * naming a directory covering everything below it. Each file's SHA-256 digest, in sorted path
 * order, feeds one final SHA-256, returned as hex; "" when nothing matches.
 */
export function hashFilesImpl(workspace: string, patterns: string[]): string {
  const root = path.resolve(workspace);
  const list = patterns
    .flatMap((p) => p.split("\n"))
    .map((p) => p.trim())
    .filter((p) => p !== "" && !p.startsWith("#"))
    .map((p) => normalize(root, p));
  const positive = list.filter((p) => !p.negate).flatMap((p) => [p.glob, `${p.glob}/**`]);
  if (positive.length === 0) return "";
  const candidates = globSync(positive, {
    cwd: root,
    onlyFiles: true,
    dot: true,
    expandDirectories: false,
    followSymbolicLinks: true,
  });
  const matchers = list.map((p) => ({
    negate: p.negate,
    test: picomatch([p.glob, `${p.glob}/**`], { dot: true }),
  }));
  const files = candidates
    .filter((f) => {
      let keep = false;
      for (const m of matchers) if (m.test(f)) keep = !m.negate;
      return keep;
    })
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (files.length === 0) return "";
  const all = createHash("sha256");
  for (const f of files) {
    let body: Buffer;
    try {
      body = readFileSync(path.join(root, f));
    } catch (e) {
      throw new ExprError("evaluation", `hashFiles could not read ${f}: ${(e as Error).message}`);
    }
    all.update(createHash("sha256").update(body).digest());
  }
  return all.digest("hex");
}
