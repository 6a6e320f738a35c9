// Job reuse settings, from .github/slipway.yml:
//   jobs:
//     ci.yml/docs:            # <workflow file name>/<job id>
//       inputs: [docs/**]     # the files the job can see (default: the whole commit)
//     ci.yml/deploy:
//       reuse: false          # never reused
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { Diagnostic } from "../../workflow/diagnostic.js";

export const REUSE_CONFIG = ".github/slipway.yml";

export interface JobReuseSettings {
  inputs?: string[];
  reuse?: boolean;
}

/** Settings by `<workflow file name>/<job id>`. */
export type ReuseConfig = Map<string, JobReuseSettings>;

/** The repository's reuse settings (none without the file), or the first problem in the file. */
export function loadReuseConfig(
  root: string,
): { ok: true; config: ReuseConfig } | { ok: false; error: Diagnostic } {
  let text: string;
  try {
    text = readFileSync(join(root, REUSE_CONFIG), "utf8");
  } catch {
    return { ok: true, config: new Map() };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const at = (offset: number | undefined, message: string) => {
    const p = lines.linePos(offset ?? 0);
    return { ok: false as const, error: { file: REUSE_CONFIG, line: p.line, col: p.col, message } };
  };
  if (doc.errors.length) return at(doc.errors[0]!.pos[0], doc.errors[0]!.message.split("\n")[0]!);
  const config: ReuseConfig = new Map();
  const top = doc.contents;
  if (top === null || (isScalar(top) && top.value === null)) return { ok: true, config };
  if (!isMap(top)) return at(top.range?.[0], "must be a mapping with a 'jobs' key");
  for (const pair of top.items) {
    const k = pair.key as Node | null;
    const name = isScalar(k) ? String(k.value) : "";
    // `release:` settings share the file; src/release/config.ts reads them.
    if (name === "release") continue;
    if (name !== "jobs") return at(k?.range?.[0], `unknown key '${name}' (expected 'jobs' or 'release')`);
    const jobs = pair.value as Node | null;
    if (!isMap(jobs))
      return at(jobs?.range?.[0] ?? k?.range?.[0], "jobs must map '<workflow file>/<job id>' to settings");
    for (const j of jobs.items) {
      const jk = j.key as Node | null;
      const id = isScalar(jk) ? String(jk.value) : "";
      if (!/^[^/]+\/[^/]+$/.test(id))
        return at(jk?.range?.[0], `'${id}' is not '<workflow file>/<job id>' (e.g. ci.yml/build)`);
      const v = j.value as Node | null;
      if (!isMap(v))
        return at(v?.range?.[0] ?? jk?.range?.[0], `${id}: settings must be a mapping (inputs, reuse)`);
      const s: JobReuseSettings = {};
      for (const f of v.items) {
        const fk = f.key as Node | null;
        const fname = isScalar(fk) ? String(fk.value) : "";
        const fv = f.value as Node | null;
        if (fname === "inputs") {
          if (
            !isSeq(fv) ||
            !fv.items.every((x) => isScalar(x) && typeof x.value === "string" && x.value !== "")
          )
            return at(fv?.range?.[0] ?? fk?.range?.[0], `${id}: inputs must be a list of globs`);
          s.inputs = fv.items.map((x) => String((x as { value: string }).value));
        } else if (fname === "reuse") {
          if (!isScalar(fv) || typeof fv.value !== "boolean")
            return at(fv?.range?.[0] ?? fk?.range?.[0], `${id}: reuse must be true or false`);
          s.reuse = fv.value;
        } else return at(fk?.range?.[0], `${id}: unknown key '${fname}' (expected inputs, reuse)`);
      }
      config.set(id, s);
    }
  }
  return { ok: true, config };
}
