// Edits as byte spans: every change Slipway makes to a manifest replaces one literal.
import { randomBytes } from "node:crypto";
import { chmodSync, renameSync, statSync, writeFileSync } from "node:fs";

/** Where a value is written in a file (offsets into its text; line and column 1-based). */
export interface Span {
  file: string;
  start: number;
  end: number;
  line: number;
  col: number;
}

/** A file that could not be read as what its name says, and where. */
export interface BadFile {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function isBad(x: unknown): x is BadFile {
  return typeof x === "object" && x !== null && "message" in x && "line" in x;
}

export function str(value: string): string {
  return JSON.stringify(value);
}

/** `text` with each span replaced; spans must not overlap. */
export function applySpans(text: string, edits: { start: number; end: number; text: string }[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start))
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** Write through a temporary file beside the target and a rename, so no reader sees half a file. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, text);
  try {
    chmodSync(tmp, statSync(path).mode & 0o7777);
  } catch {
    // A new file keeps the default mode.
  }
  renameSync(tmp, path);
}
