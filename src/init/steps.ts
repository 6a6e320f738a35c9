// Pieces every generator shares: the pin look-up, checkout, job headers and YAML quoting.
import type { Project } from "./detect.js";

/** `owner/repo@<sha> # vX.Y.Z` for an action (see pins.ts). */
export type Uses = (action: string) => string;

export interface Gen {
  project: Project;
  uses: Uses;
  /** The sections being written (release calls publish.yml only when it is written too). */
  sections: ReadonlySet<string>;
}

/** A file init writes: path relative to the repository root. */
export interface OutFile {
  path: string;
  text: string;
}

/** A YAML scalar, quoted only when plain style would change its meaning. */
export function q(s: string): string {
  return /^[\w./-]+$/.test(s) && !/^(true|false|yes|no|on|off|null|~|[\d.]+)$/i.test(s)
    ? s
    : JSON.stringify(s);
}

export function indent(text: string, n: number): string {
  const pad = " ".repeat(n);
  return text
    .split("\n")
    .map((l) => (l ? pad + l : l))
    .join("\n");
}

/** Checkout without leaving the token in .git/config, where later steps could read it. */
export function checkout(uses: Uses, extra: Record<string, string> = {}): string {
  const w = Object.entries(extra).map(([k, v]) => `\n    ${k}: ${v}`);
  return `- uses: ${uses("actions/checkout")}\n  with:\n    persist-credentials: false${w.join("")}`;
}

export interface JobHead {
  id: string;
  why: string;
  name?: string;
  runsOn?: string;
  timeout: number;
  permissions?: Record<string, string>;
  needs?: string[];
  if?: string;
  environment?: string;
  extra?: string;
}

/** A job's keys up to `steps:`; the comment above it says why the job exists. */
export function jobHead(h: JobHead): string {
  const perms = h.permissions ?? { contents: "read" };
  const lines = [
    ...h.why.split("\n").map((l) => `# ${l}`),
    `${h.id}:`,
    ...(h.name ? [`  name: ${q(h.name)}`] : []),
    ...(h.needs?.length ? [`  needs: [${h.needs.join(", ")}]`] : []),
    ...(h.if ? [`  if: ${h.if}`] : []),
    `  runs-on: ${h.runsOn ?? "ubuntu-latest"}`,
    `  timeout-minutes: ${h.timeout}`,
    ...(h.environment ? [`  environment: ${h.environment}`] : []),
    "  permissions:",
    ...Object.entries(perms).map(([k, v]) => `    ${k}: ${v}`),
    ...(h.extra ? [indent(h.extra, 2)] : []),
    "  steps:",
  ];
  return lines.join("\n");
}

/** A job: its head and steps, indented under `jobs:`. */
export function job(h: JobHead, steps: string[]): string {
  return indent(`${jobHead(h)}\n${steps.map((s) => indent(s, 4)).join("\n")}`, 2);
}

/** The header of a workflow file: what it is, that init wrote it and how to regenerate. */
export function header(title: string, about: string): string {
  return [
    `# ${title}`,
    "# Written by 'slipway init'. Edit freely: re-running init shows a diff and overwrites only with --yes.",
    ...about.split("\n").map((l) => (l ? `# ${l}` : "#")),
  ].join("\n");
}

/** Runs the Slipway CLI: the installed one, else the npm package at this version. */
export const SLIPWAY_VERSION = "0.1.0";
export function installSlipway(): string {
  return `- name: Install Slipway
  # The release tooling of this pipeline; a machine that has it (slipway run, an agent) keeps its own.
  run: command -v slipway >/dev/null || npm install --global slipway@${SLIPWAY_VERSION}`;
}

/**
 * Exact versions of the Python tools the workflows install (the newest on PyPI on 2026-12-05):
 * an unpinned install runs whatever was released this morning. Dependabot does not see these;
 * raise them here (and re-run init) or in the workflows.
 */
export const PY_TOOLS: Record<string, string> = {
  pytest: "9.2.0",
  "pytest-cov": "7.1.0",
  ruff: "0.17.6",
  "pip-audit": "2.10.1",
  build: "1.6.1",
  maturin: "1.16.0",
};

export const pyTool = (name: string) => `${name}==${PY_TOOLS[name]}`;
