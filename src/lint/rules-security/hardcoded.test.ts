// The keyword-first scan must find exactly what the secret-key regex finds on its own.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { globSync } from "tinyglobby";
import { expect, test } from "vitest";
import { SECRET_KEY, secretKeyMatches } from "./hardcoded.js";

const shared = join(import.meta.dirname, "../../../../shared");
const repo = join(import.meta.dirname, "../../..");

const byRegex = (text: string) => [...text.matchAll(SECRET_KEY)].map((m) => [m.index, m[0], m[1], m[2]]);
const byScan = (text: string) => secretKeyMatches(text).map((m) => [m.index, m[0], m[1], m[2]]);

test("secretKeyMatches equals the regex on every corpus and fixture file", () => {
  const files = [
    ...globSync(["**/*.yml", "**/*.yaml"], { cwd: join(shared, "corpus"), dot: true, absolute: true }),
    ...globSync(["test/fixtures/**/*.yml"], { cwd: repo, absolute: true }),
  ];
  let matches = 0;
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    const want = byRegex(text);
    matches += want.length;
    expect(byScan(text), f).toEqual(want);
  }
  expect(matches).toBeGreaterThan(100);
});

test("secretKeyMatches equals the regex on generated text", () => {
  // Pieces that meet at every kind of boundary the regex cares about.
  const pieces = [
    "token",
    "TOKEN",
    "secret",
    "Password",
    "passwd",
    "api_key",
    "api-key",
    "apikey",
    "ACCESS_KEY",
    "private-key",
    "x",
    "_",
    "-",
    "--",
    "9",
    " ",
    "\n",
    ":",
    "=",
    '"',
    "'",
    "#",
    ",",
    "}",
    "{",
    "${{",
    "ab12CD34ef56GH78ij90",
    "token:",
    "-token=",
    "my_token",
    "tok",
    "en",
    "secretsecret",
  ];
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 20000; i++) {
    let text = "";
    const n = 1 + rand(14);
    for (let j = 0; j < n; j++) text += pieces[rand(pieces.length)];
    expect(byScan(text), JSON.stringify(text)).toEqual(byRegex(text));
  }
});
