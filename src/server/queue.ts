import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { Db } from "../db/db.js";
import { alive } from "../db/interrupted.js";
import {
  askGroups,
  type GroupAnswer,
  type GroupAsk,
  groupWaits,
  releaseGroups,
} from "../db/server-groups.js";
import {
  beat,
  claim,
  enqueue,
  finish,
  getQueued,
  listQueued,
  type QueueRow,
  requestCancel,
  setJobsWaiting,
  setRun,
  settleOrphans,
} from "../db/server-queue.js";
import { currentCommit } from "../plan/git.js";
import type { Mirror } from "./mirror.js";
import { dotenvText } from "./secret-store.js";
import { postStatus, type StatusState, type StatusTarget } from "./statuses.js";

/** What a trigger asks for: `slipway run <event> --ref REF -e payload`. */
export interface RunRequest {
  event: string;
  ref: string;
  /** The event's payload, as the webhook sent it (or as the API made it). */
  payload: Record<string, unknown>;
  /** push: the 'before' commit; pull_request: the base branch. */
  base?: string;
  inputs?: Record<string, string>;
  actor?: string;
  delivery?: string;
  /** The commit the event names (push: after; pull_request: the head). */
  sha?: string;
  /** A fork's pull request: run without secrets, in the sandbox only. */
  untrusted?: boolean;
  /** Only this workflow file (a schedule's). */
  workflow?: string;
  /** false: every job runs, none reused from an earlier run (a re-run of all jobs). */
  reuse?: boolean;
  /** A re-run of this run's failed jobs: its succeeded jobs are kept, deployments included. */
  keepSucceededOf?: number;
  /**
   * A new attempt of this run (its Slipway run number; --rerun-of): github.run_id and
   * run_number stay its first attempt's, run_attempt goes up. keepSucceededOf implies it.
   */
  attemptOf?: number;
  /** Only this job and the jobs it needs (--job): a rollback re-runs one deployment job. */
  job?: string;
  /** Run `sha` as the ref's commit even when the ref has moved on since (--sha: a rollback). */
  pinSha?: boolean;
  /** A rollback's record (src/cd/rollback.ts): the server approves its deployment itself. */
  rollback?: { of: number; environment: string; by: string; incident?: number };
}

export interface Queued {
  id: number;
  request: RunRequest;
  /** 2: run again after the server running it died. */
  attempt?: number;
  state: "queued" | "running" | "done" | "cancelled";
  /** The run's number, once its run folder is known. */
  run?: number;
  exitCode?: number;
  /** Why no run came of it (nothing triggered, a bad input, ...): the CLI's own words. */
  message?: string[];
  cancelRequested?: boolean;
  /** The queued run this one runs again. */
  rerunOf?: number;
  /** Why a running run has not started its jobs yet (a concurrency group). */
  waiting?: string;
  /** Its jobs waiting for a concurrency group, by job key, and why (as its run told this server). */
  jobsWaiting?: Record<string, string>;
}

export interface QueueOptions {
  root: string;
  /** The history database the queue lives in (opened once, by start()). */
  open: () => Promise<Db>;
  /** A run whose server has not beaten for this long is settled by another (ms). */
  replicaTimeoutMs: number;
  beatMs?: number;
  db?: string;
  /** The runs' secrets (the --secret-file's and the server's store), read for each run. */
  secrets?: () => Record<string, string>;
  /** Extra `slipway run` options (e.g. --no-sandbox). */
  runArgs: string[];
  /** The server's dispatch API: the runs' legs go to its agents. */
  dispatch?: { url: string; token: string };
  /** How many runs at once (default: 4); each run's legs still wait for agents. */
  maxRuns?: number;
  /** A run ended: its result and how long it took (for /metrics). */
  onFinished?: (result: string, seconds: number, q: Queued) => void;
  /** The fetched repository (--repo): brought up to date and checked out at each run's commit. */
  mirror?: Mirror;
  /** Where commit statuses go (none: not posted). */
  statuses?: StatusTarget;
  log: (t: string) => void;
}

/** The script this server runs as (bin/slipway.js): its runs are that same Slipway's. */
const cli = () => process.argv[1] as string;

/**
 * Runs of one repository, up to `maxRuns` at once, started in arrival order, from the queue in
 * the history database (db/server-queue.ts): a trigger is a row before anything runs, so
 * nothing waiting is lost when the server stops or is killed, and servers sharing a PostgreSQL
 * database share the queue. Each run is `slipway run` in a child process: the same engine, run
 * folder, masking and history as the CLI, and a run that crashes cannot take the server with
 * it. SIGTERM to the child cancels the run, which is saved as cancelled. A run whose server
 * died (its heartbeat stopped) is settled by another server, or by this one at its next start,
 * and runs again once. Each row is claimed, beaten, settled and re-queued on its own.
 */
export class RunQueue {
  private db?: Db;
  /** This server among its replicas: host, process and a nonce (a pid is reused). */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  private cache: Queued[] = [];
  /** Runs running here, by queue id, with their `slipway run` once started. */
  private readonly active = new Map<number, { q: Queued; child?: ChildProcess }>();
  /**
   * A fetched repository has one working tree: a run holds it from its checkout until its
   * `slipway run` has read the workflows (it says its run number: started()) or has ended.
   */
  private tree: Promise<void> = Promise.resolve();
  private readonly treeHeld = new Map<number, () => void>();
  /** What the runs here said about their jobs waiting for a concurrency group. */
  /** Runs here waiting for a concurrency group: woken when a run here ends. */
  private readonly groupWaiters = new Set<() => void>();
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private wake?: () => void;

  constructor(private readonly o: QueueOptions) {}

  /** Opens the queue, settles what a dead server left running, and starts taking runs. */
  async start(): Promise<void> {
    this.db = await this.o.open();
    await this.tick();
    this.loop = this.drain();
    this.timer = setInterval(
      () => void this.tick().catch((e) => this.o.log(`queue: ${(e as Error).message}`)),
      this.o.beatMs ?? 2000,
    );
    this.timer.unref();
  }

  async add(request: RunRequest, rerunOf?: number, attempt = 1): Promise<Queued> {
    const id = await enqueue(this.must(), JSON.stringify(request), { rerunOf, attempt });
    this.wake?.();
    await this.refresh();
    return { id, request, state: "queued", attempt, ...(rerunOf ? { rerunOf } : {}) };
  }

  async get(id: number): Promise<Queued | undefined> {
    const r = await getQueued(this.must(), id);
    return r && queued(r);
  }

  /** The queue, oldest first, as the API shows it (as of the last second). */
  list(): Queued[] {
    return this.cache;
  }

  /** Whether run `n` is being run now, here or by a replica (its events may still grow). */
  running(n: number): boolean {
    for (const { q } of this.active.values()) if (q.run === n) return true;
    return this.cache.some((q) => q.run === n && q.state === "running");
  }

  /**
   * A run this server started says its number (it has read its workflows and made its run
   * folder): the queue row shows it at once, and the working tree is free for the next run.
   */
  async started(id: number, run: number): Promise<boolean> {
    const a = this.active.get(id);
    if (!a) return false;
    a.q.run = run;
    this.treeHeld.get(id)?.();
    await setRun(this.must(), id, run);
    await this.refresh();
    return true;
  }

  /**
   * Cancels a queued run (dropped) or a running one (SIGTERM to it, here or on the replica
   * running it: its jobs are cancelled, their always() steps run, it is saved as cancelled).
   */
  async cancel(id: number): Promise<"cancelled" | "asked" | "ended" | "none"> {
    const r = await requestCancel(this.must(), id);
    const a = this.active.get(id);
    if (r === "asked" && a) {
      a.q.cancelRequested = true;
      a.child?.kill("SIGTERM");
    }
    await this.refresh();
    return r;
  }

  /** The running runs are cancelled (and saved as such); queued ones stay for the next start or another server. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.wake?.();
    for (const a of this.active.values()) a.child?.kill("SIGTERM");
    await this.loop;
    await this.db?.close();
  }

  private must(): Db {
    if (!this.db) throw new Error("the run queue is not open");
    return this.db;
  }

  private async refresh(): Promise<void> {
    const db = this.must();
    const [rows, waits] = await Promise.all([listQueued(db), groupWaits(db)]);
    this.cache = rows.map((r) => {
      const q = queued(r);
      const why = q.state === "running" ? waits.get(q.id) : undefined;
      return {
        ...q,
        ...(why ? { waiting: why } : {}),
      };
    });
  }

  /** A run here says which of its jobs wait for a concurrency group (none: an empty record). */
  async jobsWaiting(id: number, waits: Record<string, string>): Promise<boolean> {
    if (!this.active.has(id)) return false;
    await setJobsWaiting(this.must(), id, waits);
    await this.refresh();
    return true;
  }

  /**
   * A run here asks for its workflows' concurrency groups (GitHub's rules across runs, see
   * db/server-groups.ts): answered at once when it may start or is cancelled, else within
   * `waitMs` with why it waits. Runs it displaces are cancelled, here or by their server.
   */
  async groups(id: number, asks: GroupAsk[], waitMs: number): Promise<GroupAnswer> {
    const db = this.must();
    const end = Date.now() + waitMs;
    for (let first = true; ; first = false) {
      const { answer, displaced } = await askGroups(db, id, asks);
      for (const d of displaced) {
        await requestCancel(db, d.queued, d.why);
        const a = this.active.get(d.queued);
        if (a && d.why.startsWith("cancelled by")) {
          a.q.cancelRequested = true;
          a.child?.kill("SIGTERM");
        }
      }
      if (displaced.length) this.wakeGroups();
      if (first || answer.go || "cancelled" in answer) await this.refresh();
      if (answer.go || "cancelled" in answer || Date.now() >= end) return answer;
      // Woken by a run here ending; another replica's run ending is seen within a second.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.groupWaiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, Math.max(0, Math.min(1000, end - Date.now())));
        this.groupWaiters.add(done);
      });
    }
  }

  private wakeGroups(): void {
    for (const w of [...this.groupWaiters]) w();
  }

  /** Heartbeat, cancels asked for elsewhere, and the runs of servers that died. */
  private async tick(): Promise<void> {
    const db = this.must();
    const asked = await beat(db, this.owner);
    for (const id of asked) {
      const a = this.active.get(id);
      if (!a || a.q.cancelRequested) continue;
      a.q.cancelRequested = true;
      a.child?.kill("SIGTERM");
    }
    const orphans = await settleOrphans(db, Date.now() - this.o.replicaTimeoutMs, ownerGone);
    for (const r of orphans) {
      const why = `the server running it (${r.owner}) stopped`;
      if (r.attempt >= 2) {
        this.o.log(`queued run ${r.id}: ${why}; it ran twice, not again`);
        continue;
      }
      // It goes on where it stopped: the jobs that succeeded in it (deployments and publishing
      // too) are kept, as a re-run of failed jobs keeps them; the others run.
      // (A new attempt of its run, or of the run it re-ran when it had not started one.)
      const asked = JSON.parse(r.request) as RunRequest;
      const { keepSucceededOf: _, attemptOf: __, ...request } = asked;
      const of = asked.attemptOf ?? asked.keepSucceededOf;
      const again = await this.add(
        r.run !== null
          ? { ...request, keepSucceededOf: r.run }
          : { ...request, ...(of ? { attemptOf: of } : {}) },
        r.id,
        r.attempt + 1,
      );
      this.o.log(
        `queued run ${r.id}: ${why}; runs again as ${again.id}${r.run !== null ? `, keeping what succeeded in run #${r.run}` : ""}`,
      );
    }
    await this.refresh();
  }

  private async drain(): Promise<void> {
    const max = this.o.maxRuns ?? 4;
    const runs = new Set<Promise<void>>();
    while (!this.stopping) {
      const row =
        this.active.size < max
          ? await claim(this.must(), this.owner).catch((e: Error) => {
              this.o.log(`queue: ${e.message}`);
              return undefined;
            })
          : undefined;
      if (!row) {
        // Woken by a new row or a run's end; the second is a safety net (another replica's row).
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 1000);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
        continue;
      }
      const q = queued(row);
      this.active.set(q.id, { q });
      const p = this.runAndFinish(q).finally(() => {
        runs.delete(p);
        this.wake?.();
      });
      runs.add(p);
      await this.refresh();
    }
    await Promise.all(runs);
  }

  private async runAndFinish(q: Queued): Promise<void> {
    try {
      await this.runOne(q);
    } catch (e) {
      q.state = "done";
      q.message = [`the run could not start: ${(e as Error).message}`];
      this.o.log(`run ${q.id}: ${q.message[0]}`);
    } finally {
      this.active.delete(q.id);
      this.treeHeld.get(q.id)?.();
    }
    if (q.state === "running") q.state = "done";
    await releaseGroups(this.must(), q.id).catch((e: Error) => this.o.log(`queue: ${e.message}`));
    this.wakeGroups();
    await finish(this.must(), q.id, {
      state: q.state === "cancelled" ? "cancelled" : "done",
      run: q.run,
      exitCode: q.exitCode,
      message: q.message,
    }).catch((e: Error) => this.o.log(`queue: ${e.message}`));
    await this.refresh().catch(() => {});
  }

  /** Waits for the working tree of a fetched repository (see `tree`); no wait without one. */
  private async holdTree(id: number): Promise<void> {
    if (!this.o.mirror) return;
    const before = this.tree;
    let free!: () => void;
    this.tree = new Promise<void>((resolve) => {
      free = () => {
        this.treeHeld.delete(id);
        resolve();
      };
    });
    this.treeHeld.set(id, free);
    await before;
  }

  private async runOne(q: Queued): Promise<void> {
    const { root, mirror } = this.o;
    const r = q.request;
    await this.holdTree(q.id);
    if (this.stopping || q.cancelRequested) {
      q.state = "cancelled";
      q.message = ["cancelled before it started"];
      return;
    }
    mirror?.fetch();
    // `slipway run --ref` runs the ref's commit here: a ref that moved since the event (or was
    // never updated here) would run another commit than the one pushed. Not run, said why.
    // A fork's head gets a ref of the server's own (its branch name may be one of ours).
    const pinned =
      r.untrusted && r.sha && currentCommit(root, r.sha)
        ? spawnSync("git", ["update-ref", r.ref, r.sha], { cwd: root, stdio: "ignore" }).status === 0
        : false;
    const here =
      pinned || (r.pinSha && r.sha && currentCommit(root, r.sha))
        ? r.sha
        : r.sha
          ? currentCommit(root, r.ref)
          : undefined;
    if (r.sha && here !== r.sha) {
      q.state = "done";
      q.message = [
        `${r.ref} is at ${here?.slice(0, 12) ?? "nothing"} in ${root}, not at ${r.sha.slice(0, 12)}: not run (the server runs the commits of the repository it serves)`,
      ];
      this.o.log(`run ${q.id}: ${q.message[0]}`);
      return;
    }
    // The workflows that run are the commit's: the fetched clone is checked out there.
    const at = here ?? currentCommit(root, r.ref);
    if (mirror && (!at || !mirror.checkout(at))) {
      q.state = "done";
      q.message = [`${r.ref} is not in ${mirror.source}: not run`];
      this.o.log(`run ${q.id}: ${q.message[0]}`);
      return;
    }
    const tmp = mkdtempSync(join(tmpdir(), "slipway-serve-"));
    const payloadPath = join(tmp, "event.json");
    writeFileSync(payloadPath, JSON.stringify(r.payload));
    const args = [cli(), "run", r.event, "-C", root, `--ref=${r.ref}`, "-e", payloadPath, "--json"];
    if (r.base && currentCommit(root, r.base)) args.push(`--base=${r.base}`);
    if (r.actor) args.push(`--actor=${r.actor}`);
    if (r.workflow) args.push("-W", r.workflow);
    if (r.reuse === false) args.push("--no-reuse");
    if (r.keepSucceededOf) args.push(`--keep-succeeded-of=${r.keepSucceededOf}`);
    else if (r.attemptOf) args.push(`--rerun-of=${r.attemptOf}`);
    if (r.job) args.push("--job", r.job);
    if (r.pinSha && r.sha) args.push(`--sha=${r.sha}`);
    for (const [k, v] of Object.entries(r.inputs ?? {})) args.push(`--input=${k}=${v}`);
    // Secrets reach the run through a pipe (fd 3), never a file: a fork's run gets none.
    const secrets = r.untrusted ? {} : (this.o.secrets?.() ?? {});
    if (Object.keys(secrets).length) args.push("--secret-file", "/dev/fd/3");
    // The agents' capacity limits how many legs run at once, not the run.
    if (this.o.dispatch) args.push("--jobs", "256");
    if (this.o.db) args.push("--db", this.o.db);
    args.push(...this.o.runArgs);
    // The child takes the next free number and says it (started()); without a dispatch API
    // (no agents) the summary says it at the end.
    q.state = "running";
    const startedAt = Date.now();
    const sha = r.sha ?? here ?? currentCommit(root, r.ref);
    const repository = (r.payload.repository as { full_name?: unknown } | undefined)?.full_name;
    const status = (state: StatusState, description: string, run?: number) => {
      if (this.o.statuses && sha && typeof repository === "string")
        void postStatus(this.o.statuses, { repository, sha, state, description, run });
    };
    status("pending", `Slipway: ${r.event} is running`);
    this.o.log(`run ${q.id}: ${r.event} ${r.ref}${r.delivery ? ` (delivery ${r.delivery})` : ""}`);
    return new Promise((resolve) => {
      const d = this.o.dispatch;
      const child = spawn(process.execPath, args, {
        cwd: root,
        env: {
          ...process.env,
          CI: "true",
          ...(d
            ? {
                SLIPWAY_DISPATCH_URL: d.url,
                SLIPWAY_DISPATCH_TOKEN: d.token,
                SLIPWAY_DISPATCH_UNTRUSTED: r.untrusted ? "1" : "0",
                SLIPWAY_DISPATCH_QUEUED: String(q.id),
              }
            : {}),
        },
        // stdin: a pipe the run watches; it closes when this server ends, even by kill -9.
        stdio: ["pipe", "pipe", "pipe", "pipe"],
      });
      const fd3 = child.stdio[3] as NodeJS.WritableStream;
      fd3.on("error", () => {}); // a run that fails before reading it
      fd3.end(Object.keys(secrets).length ? dotenvText(secrets) : "");
      const a = this.active.get(q.id);
      if (a) a.child = child;
      // Asked to cancel between the claim and the spawn.
      if (q.cancelRequested) child.kill("SIGTERM");
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
      });
      // The run's own log lines are in its run folder; the server says only errors.
      let err = "";
      child.stderr.on("data", (d) => {
        err += d;
      });
      child.on("close", (code) => {
        rmSync(tmp, { recursive: true, force: true });
        let sum: { run?: unknown; message?: unknown } = {};
        try {
          sum = JSON.parse(out) as typeof sum;
        } catch {}
        // The summary's number wins; a run killed before it said one keeps the one it announced.
        q.run = typeof sum.run === "number" ? sum.run : q.run;
        q.exitCode = code ?? -1;
        q.state = this.stopping || q.cancelRequested ? "cancelled" : "done";
        // No run folder: what the CLI said is all there is to show (its output is masked).
        if (q.run === undefined) {
          const lines = err.split("\n").filter((l) => l.trim());
          q.message = [...lines.slice(-10), ...(typeof sum.message === "string" ? [sum.message] : [])];
        }
        this.o.log(`run ${q.id}: finished (exit ${q.exitCode}${q.run ? `, run #${q.run}` : ""})`);
        const result =
          typeof (sum as { result?: unknown }).result === "string" ? (sum as { result: string }).result : "";
        this.o.onFinished?.(result || "none", (Date.now() - startedAt) / 1000, q);
        const jobs = Array.isArray((sum as { jobs?: unknown }).jobs)
          ? (sum as { jobs: unknown[] }).jobs.length
          : 0;
        if (result === "success" || result === "skipped")
          status("success", `Slipway run #${q.run}: ${result} (${jobs} jobs)`, q.run);
        else if (result === "failure")
          status("failure", `Slipway run #${q.run}: failure (${jobs} jobs)`, q.run);
        else if (result === "cancelled") status("error", `Slipway run #${q.run}: cancelled`, q.run);
        else
          status(
            q.exitCode === 0 ? "success" : "error",
            `Slipway: ${q.message?.at(-1) ?? `exit ${q.exitCode}`}`,
            q.run,
          );
        for (const l of q.message ?? []) this.o.log(`run ${q.id}: ${l}`);
        resolve();
      });
    });
  }
}

function queued(r: QueueRow): Queued {
  return {
    id: r.id,
    request: JSON.parse(r.request) as RunRequest,
    state: r.state,
    attempt: r.attempt,
    ...(r.run !== null ? { run: r.run } : {}),
    ...(r.exit_code !== null ? { exitCode: r.exit_code } : {}),
    ...(r.message ? { message: JSON.parse(r.message) as string[] } : {}),
    ...(r.rerun_of !== null ? { rerunOf: r.rerun_of } : {}),
    // Kept in the row while it runs (the run says), so every replica answers the same.
    ...(r.state === "running" && r.jobs_waiting
      ? { jobsWaiting: JSON.parse(r.jobs_waiting) as Record<string, string> }
      : {}),
    ...(r.cancel ? { cancelRequested: true } : {}),
  };
}

/** A server of this host whose process is gone. */
function ownerGone(owner: string): boolean {
  const [host, pid] = owner.split(":");
  return host === hostname() && Number(pid) > 0 && !alive(Number(pid));
}
