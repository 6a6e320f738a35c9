import { expect, test } from "vitest";
import { defaultLabels, satisfies } from "./labels.js";

const linux = { os: "linux" as const, arch: "x64" as const };

test("runs-on: every label the agent's, case-insensitive; hosted labels by OS and architecture", () => {
  const mine = [...defaultLabels(linux), "gpu"];
  expect(mine).toEqual(["self-hosted", "Linux", "X64", "gpu"]);
  expect(satisfies(mine, linux, ["self-hosted", "linux", "x64"])).toBe(true);
  expect(satisfies(mine, linux, ["self-hosted", "gpu"])).toBe(true);
  expect(satisfies(mine, linux, ["self-hosted", "tpu"])).toBe(false);
  expect(satisfies(mine, linux, ["ubuntu-latest"])).toBe(true);
  expect(satisfies(mine, linux, ["ubuntu-26.04"])).toBe(true);
  expect(satisfies(mine, linux, ["ubuntu-24.04-arm"])).toBe(false);
  expect(satisfies(mine, { os: "linux", arch: "arm64" }, ["ubuntu-24.04-arm"])).toBe(true);
  expect(satisfies(mine, linux, ["windows-latest"])).toBe(false);
  expect(satisfies(mine, linux, ["macos-15"])).toBe(false);
  expect(satisfies(mine, linux, [])).toBe(true);
});
