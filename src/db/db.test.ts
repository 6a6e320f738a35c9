import { describe, expect, test } from "vitest";
import { safeUrl, toDollar } from "./db.js";
import { backends, freshHistory } from "./test-helpers.js";

test("placeholders become PostgreSQL's $N outside strings, quoted names and comments", () => {
  expect(toDollar("SELECT ? , '?', \"a?\" -- ?\n, ?")).toBe("SELECT $1 , '?', \"a?\" -- ?\n, $2");
  expect(toDollar("WHERE (?2 IS NULL OR x = ?2) LIMIT ?1")).toBe("WHERE ($2 IS NULL OR x = $2) LIMIT $1");
});

test("a URL's password is hidden in messages", () => {
  expect(safeUrl("postgres://me:s3cret@db:5432/h")).toBe("postgres://me:***@db:5432/h");
  expect(safeUrl("postgres://db/h")).toBe("postgres://db/h");
});

describe.each(backends())("$name", (b) => {
  test("a batch stores any text as given (quotes, backslashes, newlines, NUL-free Unicode) and is all or nothing", async () => {
    const { db } = await freshHistory(b);
    const texts = [
      "it's",
      'a "b"',
      "back\\slash \\' \\\\",
      "line\nline\r\n\ttab",
      "ünï 😀 $1 ? ?1",
      "",
      "--x",
    ];
    await db.exec("CREATE TABLE t (n INTEGER, s TEXT)");
    await db.batch(texts.map((s, n) => ({ sql: "INSERT INTO t (n, s) VALUES (?, ?)", params: [n, s] })));
    expect((await db.all<{ s: string }>("SELECT s FROM t ORDER BY n")).map((r) => r.s)).toEqual(texts);
    await expect(
      db.batch([
        { sql: "INSERT INTO t (n, s) VALUES (?, ?)", params: [100, "kept?"] },
        { sql: "INSERT INTO nowhere (n) VALUES (?)", params: [1] },
      ]),
    ).rejects.toThrow(/nowhere/);
    expect(await db.get("SELECT count(*) AS n FROM t")).toEqual({ n: texts.length });
    // Still usable after the failed batch.
    await db.batch([{ sql: "INSERT INTO t (n, s) VALUES (?, ?)", params: [101, null] }]);
    expect(await db.get("SELECT s FROM t WHERE n = 101")).toEqual({ s: null });
    await db.close();
  });
});
