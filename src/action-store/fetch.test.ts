import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { fetchBase, fetchToStore, repoUrl } from "./fetch.js";

describe("fetching actions into the store", () => {
  test("repository URLs under a URL or a folder (where repo.git counts)", () => {
    expect(repoUrl("https://github.com/", "actions", "checkout")).toBe("https://github.com/actions/checkout");
    const base = mkdtempSync(join(tmpdir(), "slipway-base-"));
    mkdirSync(join(base, "acme", "bare.git"), { recursive: true });
    expect(repoUrl(base, "acme", "bare")).toBe(join(base, "acme", "bare.git"));
    expect(repoUrl(base, "acme", "other")).toBe(join(base, "acme", "other"));
  });

  test("SLIPWAY_OFFLINE turns fetching off", () => {
    const saved = process.env.SLIPWAY_OFFLINE;
    try {
      process.env.SLIPWAY_OFFLINE = "1";
      expect(fetchBase()).toBeUndefined();
      process.env.SLIPWAY_OFFLINE = "0";
      expect(fetchBase()).toBeDefined();
    } finally {
      if (saved === undefined) delete process.env.SLIPWAY_OFFLINE;
      else process.env.SLIPWAY_OFFLINE = saved;
    }
  });

  test("after a network failure the same host is not tried again for other actions", async () => {
    const store = mkdtempSync(join(tmpdir(), "slipway-store-"));
    const base = "http://127.0.0.1:9";
    const first = await fetchToStore(store, "acme", "one", "v1", base);
    expect(first).toMatchObject({
      ok: false,
      error: expect.stringMatching(/cannot fetch v1 from .*refused|connect/i),
    });
    const started = Date.now();
    const second = await fetchToStore(store, "acme", "two", "v1", base);
    expect(second).toMatchObject({
      ok: false,
      error: expect.stringMatching(/is unreachable: not tried again/),
    });
    expect(Date.now() - started).toBeLessThan(50);
  });

  test("refs that would leave the store are refused", async () => {
    const store = mkdtempSync(join(tmpdir(), "slipway-store-"));
    expect(await fetchToStore(store, "acme", "one", "../../x", "/nowhere")).toEqual({
      ok: false,
      error: "invalid ref '../../x'",
    });
  });
});
