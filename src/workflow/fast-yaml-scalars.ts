// Scalar values for the fast YAML reader (fast-yaml.ts): the YAML 1.2 core schema the yaml package
// uses, for the forms workflows write; anything rarer throws OUTSIDE and the package reads the file.

/** Thrown for a form left to the package. */
export const OUTSIDE = new Error("a scalar form left to the yaml package");

/** A plain scalar's value under the YAML 1.2 core schema; odd forms go to the package. */
export function resolvePlain(s: string): string | number | boolean | null {
  const c = s.charCodeAt(0);
  // Most scalars start with a letter that no special value starts with.
  if (
    !(
      c <= 57 ||
      c === 46 ||
      c === 126 ||
      c === 110 ||
      c === 78 ||
      c === 116 ||
      c === 84 ||
      c === 102 ||
      c === 70
    )
  )
    return s;
  switch (s) {
    case "~":
    case "null":
    case "Null":
    case "NULL":
      return null;
    case "true":
    case "True":
    case "TRUE":
      return true;
    case "false":
    case "False":
    case "FALSE":
      return false;
  }
  if (/^[-+]?[0-9]+$/.test(s)) return Number.parseInt(s, 10);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)) return Number.parseFloat(s);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE]|^0[ox]|^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$/.test(s))
    throw OUTSIDE;
  return s;
}

const ESCAPES: Record<string, string> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  t: "\t",
  n: "\n",
  v: "\v",
  f: "\f",
  r: "\r",
  e: "\x1b",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
};

export function unescapeDouble(s: string): string {
  if (!s.includes("\\")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const e = s[++i];
    if (e in ESCAPES) out += ESCAPES[e];
    else if (e === "x" || e === "u") {
      const n = e === "x" ? 2 : 4;
      const hex = s.slice(i + 1, i + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) throw OUTSIDE;
      out += String.fromCodePoint(Number.parseInt(hex, 16));
      i += n;
    } else throw OUTSIDE;
  }
  return out;
}
