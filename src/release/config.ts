// Release settings, from the `release:` key of .github/slipway.yml (the file job reuse reads):
//   release:
//     mode: per-package   # default: unified, one version and one `vX.Y.Z` tag for all
//     sign: true          # `git tag -s` with the user's git signing settings
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import { REUSE_CONFIG } from "../run/reuse/config.js";
import type { BadFile } from "./span.js";

export interface ReleaseConfig {
  mode: "unified" | "per-package";
  sign: boolean;
}

export function loadReleaseConfig(root: string): ReleaseConfig | BadFile {
  const config: ReleaseConfig = { mode: "unified", sign: false };
  let text: string;
  try {
    text = readFileSync(join(root, REUSE_CONFIG), "utf8");
  } catch {
    return config;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const bad = (node: Node | null | undefined, message: string): BadFile => {
    const p = lines.linePos(node?.range?.[0] ?? 0);
    return { file: REUSE_CONFIG, line: p.line, col: p.col, message };
  };
  if (doc.errors.length) {
    const p = lines.linePos(doc.errors[0]!.pos[0]);
    return { file: REUSE_CONFIG, line: p.line, col: p.col, message: doc.errors[0]!.message.split("\n")[0]! };
  }
  const top = doc.contents;
  if (!isMap(top)) return config;
  const pair = top.items.find((p) => isScalar(p.key) && p.key.value === "release");
  if (!pair) return config;
  const v = pair.value as Node | null;
  if (!isMap(v)) return bad(v ?? (pair.key as Node), "release must be a mapping (mode, sign)");
  for (const f of v.items) {
    const k = f.key as Node | null;
    const name = isScalar(k) ? String(k.value) : "";
    const val = f.value as Node | null;
    if (name === "mode") {
      if (!isScalar(val) || (val.value !== "unified" && val.value !== "per-package"))
        return bad(val ?? k, "release.mode must be 'unified' or 'per-package'");
      config.mode = val.value;
    } else if (name === "sign") {
      if (!isScalar(val) || typeof val.value !== "boolean")
        return bad(val ?? k, "release.sign must be true or false");
      config.sign = val.value;
    } else return bad(k, `release: unknown key '${name}' (expected mode, sign)`);
  }
  return config;
}
