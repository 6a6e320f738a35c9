import { describe, expect, test } from "vitest";
import { rustRequest } from "./rust-toolchain.js";

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
