// secretEnvUses scans with fixed regexes; the reference here is the rule as a pattern built from
// the names (what the rule was first written as), which must find the same places.
import { expect, test } from "vitest";
import { secretEnvUses } from "./secrets.js";

function reference(script: string, names: string[]): { printed: number[]; flags: number[] } {
  const alt = names.map((n) => n.replace(/[^\w]/g, "")).join("|");
  const ref = `(?:\\$\\{?(?:${alt})\\b\\}?|\\$env:(?:${alt})\\b)`;
  const printed = new RegExp(
    `^[ \\t]*(?:echo|printf|Write-Host|Write-Output)\\b(?![^\\n]*[|>])[^\\n]*?${ref}`,
    "gim",
  );
  const flag = new RegExp(
    `(?:--password|--token|--api-key|--apikey|--auth-token|(?<=\\s)-p)(?:=|[ \\t]+)["']?${ref}`,
    "g",
  );
  return {
    printed: [...script.matchAll(printed)].map((m) => m.index + m[0].length - m[0].trimStart().length),
    flags: [...script.matchAll(flag)].map((m) => m.index),
  };
}

test("finds printed and passed secret variables", () => {
  const script = 'echo "$TOKEN"\n  printf %s ${token} | sha256sum\ncurl --token=$TOKEN x\nlogin -p "$PW"\n';
  expect(secretEnvUses(script, ["TOKEN", "PW"])).toEqual({ printed: [0], flags: [52, 75] });
});

test("agrees with the per-name pattern on generated scripts", () => {
  const pieces = [
    "echo ",
    "  printf '%s' ",
    "Write-Host ",
    "ECHO ",
    "$",
    "${",
    "}",
    "$env:",
    "$ENV:",
    "TOKEN",
    "token",
    "TOKEN_2",
    "PW",
    "pw",
    "X",
    "-",
    "--token",
    "--password=",
    " -p ",
    "-p ",
    '"',
    "'",
    " ",
    "\t",
    "\n",
    "|",
    ">",
    "{",
    "_",
    "=",
  ];
  const nameSets = [["TOKEN"], ["TOKEN", "TOKEN_2"], ["PW", "token"], ["A-B"], ["-"]];
  let seed = 11;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  let found = 0;
  for (let i = 0; i < 20000; i++) {
    let script = "";
    const n = 2 + rand(12);
    for (let j = 0; j < n; j++) script += pieces[rand(pieces.length)];
    const names = nameSets[rand(nameSets.length)]!;
    const want = reference(script, names);
    found += want.printed.length + want.flags.length;
    expect(secretEnvUses(script, names), JSON.stringify([script, names])).toEqual(want);
  }
  expect(found).toBeGreaterThan(200);
});
