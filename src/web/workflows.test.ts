import { describe, expect, test } from "vitest";
import { checkInputs, MAX_INPUTS, workflowInfo } from "./workflows.js";

const WF = `name: Deploy
on:
  push:
  workflow_dispatch:
    inputs:
      level: { type: choice, options: [low, high], required: true, description: How loud }
      dry: { type: boolean, default: true }
      count: { type: number, default: 2 }
      target: { type: environment }
      note: { required: true }
jobs:
  a: { runs-on: x, environment: staging, steps: [{ run: "true" }] }
  b: { runs-on: x, environment: { name: production, url: "https://x" }, steps: [{ run: "true" }] }
  c: { runs-on: x, environment: "\${{ inputs.target }}", steps: [{ run: "true" }] }
`;

describe("a workflow's dispatch inputs", () => {
  test("are read with their types, defaults and options; environments from its jobs", () => {
    const w = workflowInfo(".github/workflows/deploy.yml", WF);
    expect(w.name).toBe("Deploy");
    expect(w.environments).toEqual(["production", "staging"]);
    expect(w.dispatch?.inputs).toEqual([
      { name: "level", type: "choice", required: true, description: "How loud", options: ["low", "high"] },
      { name: "dry", type: "boolean", required: false, default: "true" },
      { name: "count", type: "number", required: false, default: "2" },
      { name: "target", type: "environment", required: false },
      { name: "note", type: "string", required: true },
    ]);
  });

  test("on as a string or a list; no dispatch; bad files say why", () => {
    expect(workflowInfo("w.yml", "on: workflow_dispatch\njobs: {}").dispatch).toEqual({ inputs: [] });
    expect(workflowInfo("w.yml", "on: [push, workflow_dispatch]\njobs: {}").dispatch).toEqual({ inputs: [] });
    expect(workflowInfo("w.yml", "on:\n  workflow_dispatch:\njobs: {}").dispatch).toEqual({ inputs: [] });
    expect(workflowInfo("w.yml", "on: push\njobs: {}").dispatch).toBeUndefined();
    expect(workflowInfo("w.yml", "on: [push\n").error).toMatch(/^not valid YAML/);
    expect(
      workflowInfo("w.yml", "on:\n  workflow_dispatch:\n    inputs:\n      x: { type: file }\n").error,
    ).toBe("input 'x': type 'file' is not string, choice, boolean, number or environment");
    expect(
      workflowInfo("w.yml", "on:\n  workflow_dispatch:\n    inputs:\n      x: { type: choice }\n").error,
    ).toBe("input 'x': a choice needs options");
    const many = Array.from({ length: MAX_INPUTS + 1 }, (_, i) => `      i${i}: {}`).join("\n");
    expect(workflowInfo("w.yml", `on:\n  workflow_dispatch:\n    inputs:\n${many}\n`).error).toBe(
      "a workflow_dispatch may have at most 25 inputs; this one has 26",
    );
    const most = Array.from({ length: MAX_INPUTS }, (_, i) => `      i${i}: {}`).join("\n");
    expect(
      workflowInfo("w.yml", `on:\n  workflow_dispatch:\n    inputs:\n${most}\n`).dispatch?.inputs,
    ).toHaveLength(25);
  });
});

describe("a dispatch's inputs checked as GitHub checks them", () => {
  const defs = workflowInfo("d.yml", WF).dispatch!.inputs;
  const envs = ["production", "staging"];
  const check = (given: Record<string, string>) => checkInputs(defs, new Map(Object.entries(given)), envs);

  test("good values, with defaults for those not given", () => {
    expect(check({ level: "high", note: "hi", target: "staging" })).toEqual({
      ok: true,
      inputs: { level: "high", dry: "true", count: "2", target: "staging", note: "hi" },
    });
    expect(check({ level: "low", note: "x", dry: "false", count: "-1.5" })).toMatchObject({
      ok: true,
      inputs: { dry: "false", count: "-1.5", target: "" },
    });
  });

  test("every problem at once, each at its input", () => {
    const r = check({ level: "mid", dry: "yes", count: "ten", target: "qa", extra: "1", other: "2" });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([
      {
        message: "unexpected inputs 'extra', 'other' (the workflow declares level, dry, count, target, note)",
      },
      { input: "level", message: "level: 'mid' is not one of low, high" },
      { input: "dry", message: "dry: 'yes' is not true or false" },
      { input: "count", message: "count: 'ten' is not a number" },
      {
        input: "target",
        message: "target: 'qa' is not an environment of this repository (production, staging)",
      },
      { input: "note", message: "note: is required" },
    ]);
  });

  test("a required input given as empty is missing; input names are matched exactly", () => {
    const r = check({ level: "low", note: "" });
    expect(!r.ok && r.errors.map((x) => x.message)).toEqual(["note: is required"]);
    const s = check({ LEVEL: "low", level: "low", note: "n" });
    expect(!s.ok && s.errors[0]?.message).toMatch(/^unexpected input 'LEVEL'/);
  });
});

describe("the dispatch form", () => {
  test("a field per input: selects for choices and environments, a checkbox for booleans, values escaped", async () => {
    const { workflowPage } = await import("./workflows-page.js");
    const wf = workflowInfo(
      ".github/workflows/d.yml",
      `on:\n  workflow_dispatch:\n    inputs:\n      mode: { type: choice, options: [a, b], default: b }\n      env: { type: environment }\n      go: { type: boolean, default: true }\n      note: { default: '"<x>' }\njobs: {}\n`,
    );
    const html = workflowPage("r", wf, [], { csrf: "t", ref: "main", environments: ["prod"] });
    expect(html).toContain(
      '<select id="i-mode" name="i:mode"><option>a</option><option selected>b</option></select>',
    );
    expect(html).toContain(
      '<select id="i-env" name="i:env"><option value=""></option><option>prod</option></select>',
    );
    expect(html).toContain('name="i:go" value="true" checked>');
    expect(html).toContain('value="&quot;&lt;x&gt;"');
    expect(html).toContain('action="/workflows/d.yml/dispatch"');
    // Without the right to run it, no form.
    expect(workflowPage("r", wf, [], undefined)).not.toContain("<form");
  });
});
