import { describe, expect, test } from "vitest";
import { relativeStable, rustRequest } from "./rust-toolchain.js";

const none = { toolchain: "", components: "", targets: "", target: "" };

describe("dtolnay/rust-toolchain refs", () => {
  test("@clippy and @miri are nightly with their components", () => {
    expect(rustRequest("clippy", none)).toEqual({
      toolchain: "nightly",
      components: ["clippy"],
      targets: [],
    });
    expect(rustRequest("miri", none)).toEqual({
      toolchain: "nightly",
      components: ["miri", "rust-src"],
      targets: [],
    });
  });

  test("@stable, @beta, @nightly name the toolchain; an explicit toolchain input wins", () => {
    for (const ref of ["stable", "beta", "nightly"])
      expect(rustRequest(ref, none)).toMatchObject({ toolchain: ref, components: [] });
    expect(rustRequest("miri", { ...none, toolchain: "nightly-2025-05-16" })).toMatchObject({
      toolchain: "nightly-2025-05-16",
      components: ["miri", "rust-src"],
    });
  });

  test("given components and targets replace the ref's defaults, as an input replaces its default", () => {
    expect(
      rustRequest("clippy", { ...none, components: "clippy, rustfmt", targets: "wasm32-unknown-unknown" }),
    ).toEqual({
      toolchain: "nightly",
      components: ["clippy", "rustfmt"],
      targets: ["wasm32-unknown-unknown"],
    });
  });

  test("@1.N and @1.N.M fix the toolchain: their branches have no toolchain input", () => {
    expect(rustRequest("1.75", none)).toEqual({ toolchain: "1.75", components: [], targets: [] });
    expect(rustRequest("1.70.0", { ...none, toolchain: "stable" })).toEqual({
      toolchain: "1.70.0",
      components: [],
      targets: [],
      ignoredToolchain: "stable",
    });
  });

  test("@master and tags need the toolchain input", () => {
    expect(rustRequest("master", none)).toMatchObject({
      error: expect.stringMatching(/'toolchain' input is required/),
    });
    expect(rustRequest("v1", { ...none, toolchain: "stable" })).toEqual({
      toolchain: "stable",
      components: [],
      targets: [],
    });
  });
});

describe("relative stable toolchains", () => {
  // 1.95.0 came out on 2026-04-16; 1.94.0 six weeks before.
  const now = new Date("2026-04-20T12:00:00Z");
  test("'stable minus N releases' and 'stable N <unit>s ago'", () => {
    expect(relativeStable("stable minus 0 releases", now)).toBe("1.95");
    expect(relativeStable("stable minus 2 releases", now)).toBe("1.93");
    expect(relativeStable("stable 1 week ago", now)).toBe("1.94");
    expect(relativeStable("stable 6 months ago", now)).toBe("1.90"); // 2025-10-20: 1.91 came on 10-30
    expect(relativeStable("stable", now)).toBeUndefined();
  });

  test("as the toolchain input of any ref", () => {
    expect(rustRequest("master", { ...none, toolchain: "stable minus 1 release" }, now)).toMatchObject({
      toolchain: "1.94",
    });
  });
});
