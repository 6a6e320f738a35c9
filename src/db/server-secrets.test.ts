import { describe, expect, test } from "vitest";
import { openHistory } from "./open.js";
import { deleteSecret, importSecret, listSecrets, putSecret } from "./server-secrets.js";
import { backends } from "./test-helpers.js";

describe.each(backends())("$name", (b) => {
  test("secret rows: set, replaced, listed by repository, imported only over older rows, deleted", async () => {
    const { root, url } = await b.fresh();
    const a = (await openHistory(root, true, url))!;
    const other = (await openHistory(root, true, url))!;
    // Another repository of the same database (PostgreSQL: SLIPWAY_HISTORY_REPO).
    Object.defineProperty(other, "repo", { value: "someone/else" });
    try {
      await putSecret(a, { scope: "repository", name: "TOKEN", sealed: "s1", updated_at: 1000 });
      await putSecret(a, { scope: "environment:prod", name: "TOKEN", sealed: "s2", updated_at: 1000 });
      await putSecret(a, { scope: "repository", name: "TOKEN", sealed: "s3", updated_at: 2000 });
      await putSecret(other, { scope: "repository", name: "TOKEN", sealed: "x", updated_at: 1 });
      const sorted = (rows: Awaited<ReturnType<typeof listSecrets>>) =>
        rows.map((r) => [r.scope, r.name, r.sealed, r.updated_at]).sort();
      expect(sorted(await listSecrets(a))).toEqual([
        ["environment:prod", "TOKEN", "s2", 1000],
        ["repository", "TOKEN", "s3", 2000],
      ]);
      expect(sorted(await listSecrets(other))).toEqual([["repository", "TOKEN", "x", 1]]);
      // An import does not replace a row set at the same time or later, and fills the rest.
      expect(
        await importSecret(a, { scope: "repository", name: "TOKEN", sealed: "old", updated_at: 1500 }),
      ).toBe(false);
      expect(
        await importSecret(a, { scope: "repository", name: "TOKEN", sealed: "same", updated_at: 2000 }),
      ).toBe(false);
      expect(await importSecret(a, { scope: "repository", name: "NEW", sealed: "n", updated_at: 5 })).toBe(
        true,
      );
      expect(
        await importSecret(a, { scope: "environment:prod", name: "TOKEN", sealed: "s4", updated_at: 3000 }),
      ).toBe(true);
      expect(sorted(await listSecrets(a))).toEqual([
        ["environment:prod", "TOKEN", "s4", 3000],
        ["repository", "NEW", "n", 5],
        ["repository", "TOKEN", "s3", 2000],
      ]);
      expect(await deleteSecret(a, "repository", "TOKEN")).toBe(true);
      expect(await deleteSecret(a, "repository", "TOKEN")).toBe(false);
      expect(await deleteSecret(a, "repository", "NEW")).toBe(true);
      expect(sorted(await listSecrets(a))).toEqual([["environment:prod", "TOKEN", "s4", 3000]]);
      expect(sorted(await listSecrets(other))).toEqual([["repository", "TOKEN", "x", 1]]);
    } finally {
      await a.close();
      await other.close();
    }
  });
});
