// Credentials pasted into a workflow file: known token shapes (exact), values of secret-looking
// keys that look random, and long random-looking strings anywhere (including comments, since
// the file is public wherever the repository is).
import { type AuditContext, report } from "./context.js";

const SHAPES: [RegExp, string][] = [
  [/\bgh[pousr]_[A-Za-z0-9]{36}\b/g, "GitHub token"],
  [/\bgithub_pat_[A-Za-z0-9_]{82}\b/g, "GitHub fine-grained token"],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, "AWS access key id"],
  [/\bxox[bpoas]-[0-9A-Za-z-]{10,}/g, "Slack token"],
  [/\bnpm_[A-Za-z0-9]{36}\b/g, "npm token"],
  [/\bpypi-[A-Za-z0-9_-]{50,}/g, "PyPI token"],
  [/-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|PGP|ENCRYPTED) )?PRIVATE KEY(?: BLOCK)?-----/g, "private key"],
];

export const SECRET_KEY =
  /\b([\w-]*(?:token|secret|password|passwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key)[\w-]*)["']?\s*[:=]\s*["']?([^\s"'#,}]+)/gi;
const KEYWORD = /token|secret|password|passwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key/gi;
const SECRET_KEY_AT = new RegExp(SECRET_KEY.source, "iy");
const inName = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;

/**
 * The matches of SECRET_KEY, found from its keywords: the regex alone tries its `[\w-]*` prefix at
 * every word boundary of the file (5x slower on the corpus). A match must start in the run of
 * [\w-] holding a keyword and its name must reach the run's end, so only that run is tried.
 */
export function secretKeyMatches(text: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  const kw = new RegExp(KEYWORD); // lastIndex is per scan
  let from = 0;
  for (let k = kw.exec(text); k; k = kw.exec(text)) {
    let start = k.index;
    while (start > from && inName(text.charCodeAt(start - 1))) start--;
    let m: RegExpExecArray | null = null;
    for (let p = start; p <= k.index && !m; p++) {
      SECRET_KEY_AT.lastIndex = p;
      m = SECRET_KEY_AT.exec(text);
    }
    if (m) {
      out.push(m);
      from = m.index + m[0].length;
      kw.lastIndex = from;
    } else {
      let end = k.index;
      while (end < text.length && inName(text.charCodeAt(end))) end++;
      kw.lastIndex = end; // no match starts in this run: its name ends where the run does
    }
  }
  return out;
}

// No `/`, `=` or `.`: they join paths, assignments and hosts into long strings that are not random.
const IN_RUN = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_-")
  IN_RUN[c.charCodeAt(0)] = 1;

/** Runs of [A-Za-z0-9+_-] at least `min` long, with their offsets (a loop: a regex retries from
 * every character of a shorter run, and matchAll builds an array for every run). */
function longRuns(text: string, min: number): [number, string][] {
  const out: [number, string][] = [];
  const n = text.length;
  const inRun = (at: number) => {
    const c = text.charCodeAt(at);
    return c < 128 && IN_RUN[c] === 1;
  };
  for (let i = 0; i < n; i++) {
    if (!inRun(i)) continue;
    const start = i;
    do i++;
    while (i < n && inRun(i));
    if (i - start >= min) out.push([start, text.slice(start, i)]);
  }
  return out;
}

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

const classes = (s: string) => [/[a-z]/, /[A-Z]/, /[0-9]/].filter((r) => r.test(s)).length;
const isHex = (s: string) => /^[0-9a-f]+$/i.test(s);
const mask = (s: string) => `${s.slice(0, 4)}…`;

/** A literal that looks like a generated credential rather than a word, path or checksum. */
export function looksRandom(s: string, minEntropy: number): boolean {
  if (s.includes("${{") || s.startsWith("$") || /^(\.{0,2}\/|~|[a-z]+:\/\/)/i.test(s)) return false;
  if (isHex(s) && (s.length === 40 || s.length === 64)) return false; // commit SHAs and checksums
  if (/EXAMPLE|XXXX|xxxx|\*\*\*/.test(s)) return false;
  // snake_case or kebab-case identifiers (CFLAGS_s390x_unknown_linux_gnu) are words, not keys.
  const parts = s.split(/[_-]/);
  if (parts.length >= 3 && parts.every((p) => p.length <= 12)) return false;
  return classes(s) >= 2 && entropy(s) >= minEntropy;
}

export function checkHardcodedSecrets(ctx: AuditContext): void {
  const text = ctx.src.text;
  const taken: [number, number][] = [];
  const overlaps = (a: number, b: number) => taken.some(([x, y]) => a < y && b > x);
  const flag = (at: number, len: number, message: string, severity?: "warning") => {
    if (overlaps(at, at + len)) return;
    taken.push([at, at + len]);
    report(ctx, "hardcoded-secret", at, message, { end: at + len, ...(severity ? { severity } : {}) });
  };
  for (const [re, what] of SHAPES)
    for (const m of text.matchAll(re))
      if (!/EXAMPLE/.test(m[0])) flag(m.index, m[0].length, `${what} (${mask(m[0])}) in the workflow file`);
  for (const m of secretKeyMatches(text)) {
    const value = m[2]!;
    if (value.length < 16 || !looksRandom(value, 3.5)) continue;
    const at = m.index + m[0].lastIndexOf(value);
    flag(at, value.length, `${m[1]} is set to a literal that looks like a credential (${mask(value)})`);
  }
  for (const [at, s] of longRuns(text, 32)) {
    if (classes(s) < 3 || !looksRandom(s, 4.5)) continue;
    flag(at, s.length, `high-entropy string (${mask(s)}) may be a credential`, "warning");
  }
}
