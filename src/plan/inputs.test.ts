import { InputType } from "@actions/workflow-parser/model/workflow-template";
import { expect, test } from "vitest";
import { resolveInputs } from "./inputs.js";
import { placeJob } from "./platform.js";

const defs = {
  required: { type: InputType.string, required: true },
  with_default: { type: InputType.string, default: "default" },
  flag: { type: InputType.boolean },
  level: { type: InputType.choice, options: ["a", "b"], default: "a" },
};

test("inputs: defaults, types, required, choices", () => {
  expect(resolveInputs(defs, { required: "x", flag: "true" }, "workflow_dispatch")).toEqual({
    ok: true,
    inputs: { required: "x", with_default: "default", flag: true, level: "a" },
    strings: { required: "x", with_default: "default", flag: "true", level: "a" },
  });
  expect(resolveInputs(defs, {}, "workflow_dispatch")).toMatchObject({
    ok: false,
    error: expect.stringContaining("required"),
  });
  expect(resolveInputs(defs, { required: "x", level: "c" }, "workflow_dispatch")).toMatchObject({
    ok: false,
  });
  expect(resolveInputs(defs, { required: "x", flag: "yes" }, "workflow_dispatch")).toMatchObject({
    ok: false,
  });
  expect(resolveInputs(defs, { required: "x", nope: "1" }, "workflow_dispatch")).toMatchObject({
    ok: false,
    error: expect.stringContaining("unexpected input 'nope'"),
  });
});

test("platform: Linux labels run here, other OSes are skipped with a reason, overrides win", () => {
  expect(placeJob(["ubuntu-latest"], {})).toEqual({ run: true, labels: ["ubuntu-latest"] });
  expect(placeJob(["self-hosted", "linux", "x64"], {})).toMatchObject({ run: true });
  expect(placeJob(["macos-14"], {})).toMatchObject({
    run: false,
    reason: expect.stringContaining("--platform macos-14=host"),
  });
  expect(placeJob(["macos-14"], { "macos-14": "host" })).toMatchObject({ run: true });
  expect(placeJob(["ubuntu-latest"], { "ubuntu-latest": "skip" })).toMatchObject({ run: false });
});
