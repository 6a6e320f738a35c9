// Each bench script owns one section of BENCHMARKS.md, between
// <!-- name:begin --> and <!-- name:end -->; the rest of the file is left as it is.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const FILE = join(import.meta.dirname, "..", "BENCHMARKS.md");

export function writeSection(name, markdown) {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const text = existsSync(FILE) ? readFileSync(FILE, "utf8") : "# Benchmarks\n";
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  const next =
    a >= 0 && b > a
      ? text.slice(0, a) + block + text.slice(b + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(FILE, next);
}
