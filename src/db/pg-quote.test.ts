import pg from "pg";
import { expect, test } from "vitest";
import { quote } from "./pg-db.js";

test("a literal is written as the driver's escapeLiteral writes it", () => {
  const client = new pg.Client();
  for (const s of [
    "",
    "plain",
    "it's",
    "''",
    "a\\b",
    "it's a \\'",
    '{"type":"log","text":"say \\"hi\\" it\'s","seq":3}',
    "tab\there\nnewline ünïcode 🚀",
    "\\",
    "'",
  ])
    expect(quote(s)).toBe(client.escapeLiteral(s));
});
