import { afterEach, describe, expect, test } from "vitest";
import { openHistory } from "./open.js";
import { firstRunNumber, takeRunNumber } from "./run-numbers.js";
import { backends, newRun } from "./test-helpers.js";
import { insertRun } from "./writes.js";

const pg = backends().filter((b) => b.name === "postgres");
const before = process.env.SLIPWAY_HISTORY_REPO;
afterEach(() => {
  if (before === undefined) delete process.env.SLIPWAY_HISTORY_REPO;
  else process.env.SLIPWAY_HISTORY_REPO = before;
});

describe.skipIf(!pg.length)("postgres", () => {
  test("machines sharing a repository (SLIPWAY_HISTORY_REPO) take each run number once, past those recorded; else the folder's number", async () => {
    const { root, url } = await pg[0]!.fresh();
    const warnings: string[] = [];
    const h = { root, url, warn: (m: string) => warnings.push(m) };
    delete process.env.SLIPWAY_HISTORY_REPO;
    expect(await firstRunNumber(h, 3)).toBe(3);
    expect(await takeRunNumber(h, 3)).toBe(true);
    expect(await takeRunNumber(h, 3)).toBe(true);
    process.env.SLIPWAY_HISTORY_REPO = "shared";
    const db = (await openHistory(root, true, url))!;
    await insertRun(db, newRun(5));
    // Another machine's run 5 is recorded: this one starts past it, whatever its folder says.
    expect(await firstRunNumber(h, 1)).toBe(6);
    expect(await firstRunNumber(h, 9)).toBe(9);
    expect(await takeRunNumber(h, 6)).toBe(true);
    // Taken by the first machine to ask.
    expect(await takeRunNumber(h, 6)).toBe(false);
    expect(await firstRunNumber(h, 1)).toBe(7);
    await db.close();
    // A database that cannot be reached: said, and the folder's number is used.
    const down = { ...h, url: "postgres://slipway@127.0.0.1:1/none" };
    expect(await firstRunNumber(down, 4)).toBe(4);
    expect(await takeRunNumber(down, 4)).toBe(true);
    expect(warnings).toEqual([
      expect.stringMatching(/^run number not taken in the shared history: .*ECONNREFUSED/),
      expect.stringMatching(/^run number not taken in the shared history: .*ECONNREFUSED/),
    ]);
  });
});
