import { describe, expect, test } from "vitest";
import { sparkline } from "./utilisation.js";

describe("the utilisation line", () => {
  test("points placed by time, as busy/total from the bottom", () => {
    const svg = sparkline(
      [
        { at: 0, busy: 0, total: 2 },
        { at: 10_000, busy: 1, total: 2 },
        { at: 40_000, busy: 2, total: 2 },
      ],
      100,
      24,
    );
    expect(svg).toContain('<polyline points="0.0,22.0 25.0,12.0 100.0,2.0"');
    expect(svg).toContain("now 100 %, over the last 40 s (3 samples)");
  });

  test("no agents is 0 %, and one sample draws a flat line", () => {
    expect(sparkline([{ at: 5, busy: 0, total: 0 }], 100, 24)).toContain("now 0 %");
    expect(sparkline([], 100, 24)).not.toContain("polyline");
  });
});
