import { afterEach, describe, expect, test, vi } from "vitest";
import { EXIT, fail, IoError, UsageError } from "./common.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("one exit code per kind of error, for every command", () => {
  test("usage 2, I/O 74 with the path; anything else is a bug and goes on up", () => {
    const err: string[] = [];
    vi.spyOn(console, "error").mockImplementation((s) => {
      err.push(String(s));
    });
    expect(fail(new UsageError("bad"), "plan")).toBe(EXIT.usage);
    expect(fail(new IoError("/r/result.json", new Error("ENOSPC: no space left on device")), "run")).toBe(74);
    const full = Object.assign(new Error("ENOSPC: no space left on device, write"), {
      code: "ENOSPC",
      path: "/store/x",
    });
    expect(fail(full, "actions")).toBe(74);
    expect(err).toEqual([
      "slipway plan: bad",
      "slipway run: cannot write /r/result.json: ENOSPC: no space left on device",
      "slipway actions: /store/x: ENOSPC: no space left on device, write",
    ]);
    expect(() => fail(new TypeError("x is not a function"))).toThrow(TypeError);
  });
});
