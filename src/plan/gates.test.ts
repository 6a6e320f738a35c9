import { describe, expect, test } from "vitest";
import { deselected } from "./gates.js";

describe("--matrix selection", () => {
  const leg = { os: "linux", node: 22 };
  test("values of one key are alternatives", () => {
    expect(deselected(leg, { os: ["mac", "linux"] })).toBeUndefined();
    expect(deselected(leg, { os: ["mac", "windows"] })).toBe("os=mac or os=windows");
  });
  test("every key given must match; a key the leg lacks does not filter it", () => {
    expect(deselected(leg, { os: ["linux"], node: ["20"] })).toBe("node=20");
    expect(deselected(leg, { os: ["linux"], node: ["20", "22"] })).toBeUndefined();
    expect(deselected(leg, { arch: ["arm64"] })).toBeUndefined();
  });
});
