// Job reuse for one run: before a leg starts, its key is computed and recorded; when a leg
// with the same key succeeded before in this repository's history (and its run folder is
// still there), the leg is not run: its outputs, artifacts and step summaries are restored
// and it ends as a success, `reused (run N, <age> ago)`.
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { arch, platform } from "node:os";
import { basename, join } from "node:path";
import type { Db } from "../../db/db.js";
import type { Json } from "../../expr/index.js";
import type { JobAssignment } from "../assignment.js";
import type { Emit } from "../events.js";
import type { ReuseConfig } from "./config.js";
import { reuseKey } from "./key.js";
import { type Earlier, findSucceeded } from "./lookup.js";
import { ToolPrints } from "./tools.js";
import { RepoTree } from "./tree.js";

export interface ReuseOptions {
  root: string;
  /** This run's folder (artifacts are copied into it) and number. */
  runDir: string;
  runNumber: number;
  config: ReuseConfig;
  event: { name: string; payload: Json };
  /** The run's history connection (the recorder's; it closes it). */
  history: () => Promise<Db | undefined>;
  /**
   * A re-run of run N's failed jobs: a leg that succeeded in run N with the same key is kept
   * even when it deploys or publishes (GitHub keeps succeeded jobs of the attempt it re-runs).
   */
  keepSucceededOf?: number;
}

/** Slipway's version: a new Slipway may run a job differently. */
export const SLIPWAY_VERSION = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
    return String((pkg as { version?: string }).version ?? "unknown");
  } catch {
    return "unknown";
  }
})();

/** The repository's HMAC key for reuse keys: random, made once, never leaves .slipway/. */
export function repositoryKey(root: string): Buffer {
  const file = join(root, ".slipway", "reuse-key");
  try {
    const hex = readFileSync(file, "utf8").trim();
    if (/^[0-9a-f]{64}$/.test(hex)) return Buffer.from(hex, "hex");
  } catch {
    // made below
  }
  mkdirSync(join(root, ".slipway"), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString("hex")}\n`, { mode: 0o600 });
  return key;
}

/** `2 days`, `5 min`: how long ago, roughly. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

/** Why a leg is never reused, or undefined when it may be. */
export function neverReused(
  a: JobAssignment,
  environment: string | undefined,
  publishes: string | undefined,
  config: ReuseConfig,
): string | undefined {
  if (environment) return `it deploys to environment '${environment}'`;
  if (publishes) return `it publishes (${publishes})`;
  if (config.get(`${basename(a.workflow.file)}/${a.jobId}`)?.reuse === false) return "reuse: false";
  return undefined;
}

export class Reuser {
  private secret: Buffer;
  private tree: RepoTree;
  private tools = new ToolPrints();
  private db?: Promise<Db | undefined>;

  readonly config: ReuseConfig;
  readonly keepSucceededOf: number | undefined;

  constructor(private readonly o: ReuseOptions) {
    this.config = o.config;
    this.keepSucceededOf = o.keepSucceededOf;
    this.secret = repositoryKey(o.root);
    this.tree = new RepoTree(o.root);
  }

  /**
   * Records the leg's key and, when an earlier success has the same key, restores it and
   * returns its outputs; undefined: run the leg. `kept`: a leg never reused (a deployment) is
   * restored only from the run whose failed jobs this run re-runs; without one, its key is
   * recorded (so such a re-run can find it) and it runs.
   */
  async tryReuse(
    a: JobAssignment,
    emit: Emit,
    kept = false,
  ): Promise<{ outputs: Record<string, string>; reason: string } | undefined> {
    const only = kept ? this.o.keepSucceededOf : undefined;
    let key: ReturnType<typeof reuseKey>;
    try {
      key = reuseKey({
        assignment: a,
        secret: this.secret,
        tree: this.tree,
        settings: this.o.config.get(`${basename(a.workflow.file)}/${a.jobId}`),
        event: this.o.event,
        platform: { os: platform(), arch: arch(), slipway: SLIPWAY_VERSION },
        tools: this.tools,
      });
    } catch (e) {
      emit({
        type: "log",
        job: a.key,
        stream: "info",
        text: `not reused: no key (${(e as Error).message.split("\n")[0]})`,
      });
      return undefined;
    }
    emit({ type: "job-key", job: a.key, key: key.key, parts: key.parts });
    if (kept && only === undefined) return undefined;
    const db = await this.history();
    if (!db) return undefined;
    const earlier = await findSucceeded(db, key.key, this.o.runNumber, only).catch(() => undefined);
    if (!earlier) return undefined;
    const from = join(this.o.root, earlier.folder);
    const gone = earlier.artifacts.find((x) => !existsSync(join(from, x.path)));
    if (!existsSync(from) || gone) {
      emit({
        type: "log",
        job: a.key,
        stream: "info",
        text: `not reused: run ${earlier.run}'s folder ${earlier.folder} is gone`,
      });
      return undefined;
    }
    return this.restore(a, earlier, from, emit);
  }

  private restore(a: JobAssignment, earlier: Earlier, from: string, emit: Emit) {
    const reason = `reused (run ${earlier.run}, ${age(Date.now() - earlier.endedAt)} ago)`;
    const started = Date.now();
    emit({ type: "job-start", job: a.key, name: a.name, reused: true });
    emit({ type: "log", job: a.key, stream: "info", text: reason });
    for (const x of earlier.artifacts) {
      cpSync(join(from, x.path), join(this.o.runDir, x.path), { recursive: true });
      const meta = join(from, `${x.path}.artifact.json`);
      if (existsSync(meta)) cpSync(meta, join(this.o.runDir, `${x.path}.artifact.json`));
      emit({ type: "artifact", job: a.key, name: x.name, files: x.files, size: x.size, path: x.path });
    }
    for (const s of earlier.summaries)
      emit({ type: "summary", job: a.key, step: s.step, markdown: s.markdown });
    // Tests and coverage as the earlier run read them: the report, --json and the history show
    // them for this run too. Benchmarks are not: a reused job measured nothing new.
    for (const t of earlier.tests)
      emit({ type: "test-results", job: a.key, step: t.step, report: t.report, cases: t.cases });
    for (const c of earlier.coverage) {
      const total = { lines: 0, hit: 0 };
      for (const f of c.files) {
        total.lines += f.lines;
        total.hit += f.hit;
      }
      emit({ type: "coverage", job: a.key, step: c.step, files: c.files, total });
    }
    emit({
      type: "job-end",
      job: a.key,
      name: a.name,
      result: "success",
      durationMs: Date.now() - started,
      reason,
      outputs: earlier.outputs,
    });
    return { outputs: earlier.outputs, reason };
  }

  private history(): Promise<Db | undefined> {
    this.db ??= this.o.history().catch(() => undefined);
    return this.db;
  }
}
