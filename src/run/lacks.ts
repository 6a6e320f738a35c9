import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { parseActionRef } from "../action-store/ref.js";
import { addHint, defaultStore, findInStore } from "../action-store/store.js";
import { evaluateTemplate, type Json, toStr } from "../expr/index.js";
import type { SelectedWorkflow, WorkflowPlan } from "../plan/api.js";
import { field, pos, rawJob, rawSteps } from "../workflow/tokens.js";
import { BUILTINS } from "./actions/builtins/index.js";
import { withValues } from "./actions/inputs.js";
import type { Builtin, BuiltinContext } from "./actions/types.js";
import type { JobState } from "./job-state.js";
import { resolveShell, which } from "./shells.js";

/**
 * What a run will lack, found before it starts: toolchains the setup actions will not
 * find, actions and reusable workflows missing from the action store, shells that are not
 * installed, jobs whose runs-on this machine skips. Each with where it is in the YAML.
 */
export interface Lack {
  file: string;
  line?: number;
  col?: number;
  job: string;
  kind: "toolchain" | "action" | "reusable-workflow" | "shell" | "runs-on";
  message: string;
}

/** A setup action's look-up that succeeded: for `slipway doctor`, which tool each will use. */
export interface Found {
  job: string;
  uses: string;
  message: string;
}

export interface LackOptions {
  repoRoot: string;
  toolCache: string;
  store?: string;
  path?: string;
}

/** Built-ins that look for a toolchain on this machine (the rest need nothing installed). */
const SETUP = new Set([
  "actions/setup-node",
  "actions/setup-python",
  "actions/setup-go",
  "actions/setup-java",
  "dtolnay/rust-toolchain",
  "astral-sh/setup-uv",
]);

type Host = Parameters<typeof evaluateTemplate>[1];

function tryEval(
  t: TemplateToken | undefined,
  host: Host,
): { ok: true; v: Json | undefined } | { ok: false } {
  if (!t) return { ok: true, v: undefined };
  try {
    return { ok: true, v: evaluateTemplate(t, host) };
  } catch {
    return { ok: false };
  }
}

export async function findLacks(
  selected: SelectedWorkflow[],
  plans: WorkflowPlan[],
  o: LackOptions,
): Promise<{ lacks: Lack[]; found: Found[] }> {
  const lacks: Lack[] = [];
  const found: Found[] = [];
  const store = o.store ?? defaultStore();
  const path = o.path ?? process.env.PATH ?? "";
  // Each distinct look-up once: a matrix of ten legs asking for node 20 probes once.
  const probes = new Map<string, Promise<string | Error>>();
  const scratch = mkdtempSync(join(tmpdir(), "slipway-lacks-"));
  const seen = new Set<string>();
  const add = (l: Lack) => {
    const key = `${l.file}:${l.line}:${l.col}:${l.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      lacks.push(l);
    }
  };
  try {
    for (const [i, s] of selected.entries()) {
      const plan = plans[i];
      if (!plan) continue;
      const file = s.wf.file;
      for (const pj of plan.jobs) {
        const raw = rawJob(s.wf.root, pj.id);
        const at = (t: TemplateToken | undefined) => {
          const p = pos(t);
          return p ? { line: p.line, col: p.col } : {};
        };
        if (pj.condition === "skip") continue;
        if (pj.placement === "skip") {
          add({
            file,
            ...at(field(raw, "runs-on")),
            job: pj.id,
            kind: "runs-on",
            message: `skipped: ${pj.placementReason}`,
          });
          continue;
        }
        if (pj.kind === "reusable" && pj.uses) {
          const r = parseActionRef(pj.uses);
          if (r.ok && r.ref.kind === "remote" && !findInStore(store, r.ref.owner, r.ref.repo, r.ref.ref).ok)
            add({
              file,
              ...at(field(raw, "uses")),
              job: pj.id,
              kind: "reusable-workflow",
              message: `reusable workflow '${pj.uses}' is not in the action store (${store}): ${addHint(r.ref.owner, r.ref.repo, r.ref.ref)}`,
            });
          continue;
        }
        const legs = Array.isArray(pj.legs) ? pj.legs : [{ name: pj.id }];
        for (const leg of legs) {
          if ("deselected" in leg && leg.deselected) continue; // --matrix leaves it out
          const host: Host = {
            contexts: {
              ...s.contexts,
              matrix: (leg as { matrix?: Json }).matrix ?? {},
              env: {},
              steps: {},
              needs: {},
            },
            status: { success: true, failure: false, cancelled: false },
          };
          const defShell = (t: TemplateToken | undefined) =>
            field(field(field(t, "defaults"), "run"), "shell");
          const jobShell = tryEval(defShell(raw) ?? defShell(s.wf.root), host);
          for (const step of rawSteps(raw)) {
            const uses = field(step, "uses");
            if (!uses) {
              const sh = tryEval(field(step, "shell"), host);
              if (!sh.ok || (sh.v === undefined && !jobShell.ok)) continue; // decided at run time
              const given = sh.v ?? (jobShell.ok ? jobShell.v : undefined);
              const name = given === undefined ? undefined : toStr(given);
              const message = shellLack(name, path);
              if (message)
                add({ file, ...at(field(step, "shell") ?? step), job: pj.id, kind: "shell", message });
              continue;
            }
            const text = toStr(evaluateUses(uses));
            const parsed = parseActionRef(text);
            if (!parsed.ok) continue; // lint reports it
            const ref = parsed.ref;
            if (ref.kind === "docker") {
              add({
                file,
                ...at(uses),
                job: pj.id,
                kind: "action",
                message: `'${text}' is a Docker action, which needs a container executor`,
              });
              continue;
            }
            if (ref.kind === "local") continue; // in the repository, checked out by the job
            const builtin = BUILTINS[ref.name];
            if (!builtin) {
              if (!findInStore(store, ref.owner, ref.repo, ref.ref).ok)
                add({
                  file,
                  ...at(uses),
                  job: pj.id,
                  kind: "action",
                  message: `action '${text}' is not built in and not in the action store (${store}): ${addHint(ref.owner, ref.repo, ref.ref)}`,
                });
              continue;
            }
            if (!SETUP.has(ref.name)) continue;
            const w = tryEval(field(step, "with"), host);
            if (!w.ok) continue; // depends on the run (steps' outputs and the like)
            const inputs = { ...builtin.inputs, ...withValues(w.v) };
            const key = JSON.stringify([ref.name, ref.ref, inputs]);
            let p = probes.get(key);
            if (!p) {
              p = lookUp(builtin, ref.ref, inputs, o, scratch);
              probes.set(key, p);
            }
            const res = await p;
            if (res instanceof Error)
              add({ file, ...at(uses), job: pj.id, kind: "toolchain", message: `${text}: ${res.message}` });
            else found.push({ job: leg.name, uses: text, message: res });
          }
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { lacks, found: [...new Map(found.map((f) => [`${f.uses}\0${f.message}`, f])).values()] };
}

/** Why a `run:` step's shell cannot start here, or undefined when it can. */
function shellLack(name: string | undefined, path: string): string | undefined {
  const r = resolveShell(name, path);
  if (!r.ok) return r.error;
  // A command template ("perl {0}") names its own program.
  const program = r.shell.argv[0]!;
  if (program.includes("/"))
    return existsSync(program) ? undefined : `shell '${name}': ${program} does not exist`;
  return which(program, path) ? undefined : `shell '${name}': '${program}' is not installed on this machine`;
}

/** `uses:` is a plain string in valid workflows; the token keeps it. */
function evaluateUses(t: TemplateToken): Json {
  return evaluateTemplate(t, { contexts: {}, status: { success: true, failure: false, cancelled: false } });
}

/**
 * Runs a setup built-in's own look-up (read-only: it probes installed tools and returns
 * what it would put on PATH), in a context that records instead of changing the job.
 * The message of its error says what it looked for and where.
 */
async function lookUp(
  builtin: Builtin,
  ref: string,
  inputs: Record<string, string>,
  o: LackOptions,
  scratch: string,
): Promise<string | Error> {
  const logs: string[] = [];
  const job = {
    space: { workspace: o.repoRoot, temp: mkdtempSync(join(scratch, "t-")), toolCache: o.toolCache },
    env: {},
    path: [],
    // A look-up has no secrets (setup-node's registry-url reads them).
    contexts: { secrets: {} },
  } as unknown as JobState;
  const ctx: BuiltinContext = {
    job,
    call: undefined as unknown as BuiltinContext["call"],
    ref,
    inputs,
    label: "",
    workspace: o.repoRoot,
    log: (t) => logs.push(t),
    warn: () => {},
    processEnv: () => ({
      ...(process.env as Record<string, string>),
      PATH: o.path ?? process.env.PATH ?? "",
    }),
    setEnv: () => {},
    addPath: () => {},
    addPost: () => {},
  };
  try {
    await builtin.run(ctx);
    return logs.find((l) => l.startsWith("Using ")) ?? logs[logs.length - 1] ?? "found";
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** Where `slipway run` keeps RUNNER_TOOL_CACHE (the same folder it passes to jobs). */
export function defaultToolCache(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "slipway", "tool-cache");
}

export function lackOptions(repoRoot: string): LackOptions {
  return { repoRoot, toolCache: defaultToolCache() };
}

export function renderLacks(lacks: Lack[]): string {
  const out = [`What the run will lack (${lacks.length}):`];
  for (const l of lacks) {
    const at = l.line ? `${l.file}:${l.line}:${l.col}` : l.file;
    out.push(`  ${at}  job '${l.job}': ${l.message}`);
  }
  return out.join("\n");
}
