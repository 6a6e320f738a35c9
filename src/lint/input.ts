import { readFileSync, statSync } from "node:fs";
import { isPlainDoc } from "../workflow/fast-yaml.js";
import { checkSource, decodeWorkflow, MAX_FILE_BYTES } from "../workflow/validate.js";
import type { SourceFile } from "./source.js";

/**
 * A file lint and audit cannot read as a workflow at all: binary, not UTF-8, too big, or an
 * alias bomb. Such input is an error of the run (exit 2), not a finding about the file.
 */
export type Input = { text: string } | { problem: string };

export function readInput(path: string, file: string): Input {
  let bytes: Buffer;
  try {
    const size = statSync(path).size;
    if (size > MAX_FILE_BYTES)
      return {
        problem: `${file}: the file is ${size} bytes, over the ${MAX_FILE_BYTES}-byte limit for a workflow`,
      };
    bytes = readFileSync(path);
  } catch (e) {
    return { problem: `${file}: ${(e as Error).message}` };
  }
  const decoded = decodeWorkflow(bytes);
  if ("content" in decoded) return { text: decoded.content };
  const at = decoded.at ? `:${decoded.at.line}:${decoded.at.col}` : "";
  return { problem: `${file}${at}: ${decoded.message}` };
}

/** An alias bomb in a parsed file, said the way the workflow loader says it; else undefined. */
export function aliasBomb(src: SourceFile): string | undefined {
  if (src.doc.errors.length || isPlainDoc(src.doc)) return undefined;
  const d = checkSource(src.text, src.file, undefined, { doc: src.doc, lines: src.lines }).find((x) =>
    x.message.includes("refusing to load"),
  );
  return d ? `${src.file}${d.line ? `:${d.line}:${d.col}` : ""}: ${d.message}` : undefined;
}
