// Deployments waiting for people: a run the server started asks here when a job deploys to an
// environment (POST /api/dispatch/approval, a long poll); the environment's protection rules
// (src/cd/) say who may decide and when it may go. Requests and every reviewer's decision are
// rows of the history database, so any replica can take a decision and a restart loses none;
// the waiting run re-reads its request every second (sooner when this server takes a decision).
import { randomBytes } from "node:crypto";
import type { CdConfig } from "../cd/config.js";
import { type CdListener, tell } from "../cd/events.js";
import { authorsOf } from "../cd/git.js";
import { eligible, refRefused, type Standing, selfReview, standing } from "../cd/policy.js";
import {
  type ApprovalRow,
  addReview,
  approvalById,
  approvalOf,
  approvalOfQueued,
  holdersBefore,
  insertApproval,
  type Review,
  reviewsOf,
  settleApproval,
  stopDeploymentsOfQueued,
  touchApproval,
  waitingApprovals,
} from "../cd/store.js";
import type { User, Users } from "../cd/users.js";
import type { Db } from "../db/db.js";
import { getQueued } from "../db/server-queue.js";
import type { RunRequest } from "./queue.js";

export interface AskRequest {
  run: number;
  job: string;
  name: string;
  environment: string;
  queued?: number;
  trigger?: { event: string; ref: string; sha: string; actor?: string };
}

export interface Decision {
  approved: boolean;
  by: string;
  rejected?: string;
}

export interface PendingApproval {
  id: string;
  run: number;
  job: string;
  name: string;
  environment: string;
  ref: string;
  sha: string;
  actor: string;
  requestedAt: number;
  /** What it waits for (while it waits). */
  waiting?: string;
  waitUntil?: number;
  /** Once decided: approved, rejected or withdrawn, by whom, when and why. */
  decision?: { state: string; by: string; at: number; reason?: string };
  /** "2 of 3": approvals given of those required, and who may give them. */
  rule: {
    required: number;
    given: string[];
    reviewers: string[];
    preventSelfReview: boolean;
    adminBypass: boolean;
  };
  reviews: Review[];
}

export interface ApprovalsOptions {
  db: Db;
  config: CdConfig;
  users: Users;
  /** The served repository (commit authors for self-review). */
  root: string;
  /** An unanswered request is rejected after this long (GitHub: 30 days). */
  timeoutMs: number;
  log: (t: string) => void;
  now?: () => number;
  /** Told when a request waits and when it is decided (notifications). */
  listener?: CdListener;
}

/** A request whose run stopped asking for this long is withdrawn (the run was cancelled or died). */
const STALE_MS = 120_000;

export class ApprovalError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class Approvals {
  private readonly wakers = new Set<() => void>();
  private readonly now: () => number;

  constructor(private readonly o: ApprovalsOptions) {
    this.now = o.now ?? Date.now;
  }

  private rule(environment: string) {
    return this.o.config.environments.get(environment.toLowerCase());
  }

  /** The run asks (again): the decision if there is one, else waits up to `waitMs` for it. */
  async ask(r: AskRequest, waitMs: number): Promise<Decision | undefined> {
    const db = this.o.db;
    let a = await approvalOf(db, r.run, r.job, r.environment);
    if (!a) a = await this.create(r);
    else await touchApproval(db, a.id, this.now());
    const end = this.now() + waitMs;
    for (;;) {
      const d = await this.settle(a.id);
      if (d) return d;
      const left = end - this.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.wakers.delete(done);
          resolve();
        };
        const t = setTimeout(done, Math.min(left, 1000));
        this.wakers.add(done);
      });
    }
  }

  private async create(r: AskRequest): Promise<ApprovalRow> {
    const db = this.o.db;
    const q = r.queued ? await getQueued(db, r.queued) : undefined;
    const request = q ? (JSON.parse(q.request) as RunRequest) : undefined;
    const now = this.now();
    const a: ApprovalRow = {
      id: randomBytes(6).toString("hex"),
      run: r.run,
      queued: r.queued ?? null,
      job: r.job,
      name: r.name,
      environment: r.environment,
      ref: r.trigger?.ref ?? request?.ref ?? "",
      sha: r.trigger?.sha ?? request?.sha ?? "",
      // The trigger as the server recorded it wins over what the run says.
      actor: request?.actor ?? r.trigger?.actor ?? "",
      state: "waiting",
      requested_at: now,
      last_asked: now,
      decided_at: null,
      decided_by: null,
      reason: null,
      rollback_of: null,
    };
    const rb = request?.rollback;
    const refused = refRefused(this.o.config, this.rule(r.environment), a.ref);
    if (rb && rb.environment.toLowerCase() === r.environment.toLowerCase()) {
      // A rollback was asked for by someone allowed to (or by auto-rollback): it goes at once.
      Object.assign(a, { state: "approved", decided_at: now, decided_by: rb.by, rollback_of: rb.of });
      a.reason = `rollback to deployment ${rb.of}`;
    } else if (q && q.attempt >= 2 && q.rerun_of !== null && !refused) {
      // The run runs again because its server stopped: its request keeps its place, its
      // reviews and its decision (a restart loses no approval).
      const was = await approvalOfQueued(db, q.rerun_of, r.job, r.environment);
      if (was && (was.state === "waiting" || was.state === "withdrawn" || was.state === "approved")) {
        a.requested_at = was.requested_at;
        if (was.state === "approved")
          Object.assign(a, { state: "approved", decided_at: was.decided_at, decided_by: was.decided_by });
        await insertApproval(db, a);
        for (const rv of await reviewsOf(db, was.id)) await addReview(db, a.id, rv);
        await stopDeploymentsOfQueued(db, q.rerun_of, now);
        await settleApproval(db, was.id, {
          state: "withdrawn",
          by: "nobody",
          reason: `carried over to run #${a.run}`,
          at: now,
        });
        this.o.log(
          `run #${a.run}: ${a.job} → ${a.environment}: request ${was.id} of run #${was.run} carried over`,
        );
        return a;
      }
    }
    if (refused && a.state === "waiting")
      Object.assign(a, {
        state: "rejected",
        decided_at: now,
        decided_by: "the environment's rules",
        reason: refused,
      });
    await insertApproval(db, a);
    if (a.state === "waiting")
      tell(
        this.o.listener,
        {
          type: "approval-needed",
          id: a.id,
          run: a.run,
          job: a.job,
          environment: a.environment,
          sha: a.sha,
          ref: a.ref,
        },
        this.o.log,
      );
    this.o.log(
      `run #${a.run}: ${a.job} deploys to ${a.environment}: ${a.state === "waiting" ? `waiting (${a.id})` : `${a.state}: ${a.reason}`}`,
    );
    return a;
  }

  /** The request's decision, taking it now when the rules allow; undefined while it waits. */
  private async settle(id: string): Promise<Decision | undefined> {
    const db = this.o.db;
    const a = await approvalById(db, id);
    if (!a) return undefined;
    if (a.state === "approved") return { approved: true, by: a.decided_by ?? "" };
    if (a.state === "rejected" || a.state === "withdrawn")
      return { approved: false, by: a.decided_by ?? "", rejected: a.reason ?? "rejected" };
    const s = await this.standing(a);
    if (!s.decision) return undefined;
    const d = s.decision;
    const won = await settleApproval(db, a.id, {
      state: d.approved ? "approved" : "rejected",
      by: d.by,
      reason: d.rejected,
      at: this.now(),
    });
    // Someone settled it first (the reviewer's request and the run's wait at once, or another
    // replica): the decision is theirs, and so is its announcement — told once per decision.
    if (!won) return this.settle(id);
    tell(
      this.o.listener,
      {
        type: "approval-decided",
        id: a.id,
        run: a.run,
        job: a.job,
        environment: a.environment,
        approved: d.approved,
        by: d.by,
        ...(d.rejected ? { reason: d.rejected } : {}),
      },
      this.o.log,
    );
    this.o.log(
      `run #${a.run}: ${a.job} → ${a.environment}: ${d.approved ? `approved by ${d.by}` : d.rejected}`,
    );
    return d;
  }

  private async standing(a: ApprovalRow): Promise<Standing> {
    return standing({
      rule: this.rule(a.environment),
      reviews: await reviewsOf(this.o.db, a.id),
      requestedAt: a.requested_at,
      now: this.now(),
      timeoutMs: this.o.timeoutMs,
      holders: await holdersBefore(this.o.db, a, this.now() - STALE_MS),
    });
  }

  /** A reviewer's decision (with a comment). Throws ApprovalError with the HTTP status when refused. */
  async decide(
    id: string,
    user: User,
    approve: boolean,
    comment?: string,
  ): Promise<PendingApproval | Decision> {
    const db = this.o.db;
    const a = await approvalById(db, id);
    if (!a || a.state === "withdrawn")
      throw new ApprovalError(404, `no deployment waits for approval as ${id}`);
    if (a.state !== "waiting") throw new ApprovalError(409, `the deployment ${id} was ${a.state} already`);
    const rule = this.rule(a.environment);
    const who = user.name.toLowerCase();
    const reviewers = eligible(this.o.config, rule, this.o.users.admins());
    const listed = reviewers.includes(who);
    const bypass = !listed && user.role === "admin" && (rule?.adminBypass ?? true);
    if (!listed && !bypass)
      throw new ApprovalError(
        403,
        `${user.name} is not a reviewer of ${a.environment}${user.role === "admin" ? " (admin bypass is off)" : ""}`,
      );
    if (listed && rule?.preventSelfReview) {
      const def = this.o.users.get(user.name);
      const refusal = selfReview(
        { name: user.name, emails: def?.emails ?? [] },
        a.actor,
        authorsOf(this.o.root, a.sha, await this.previousSha(a)),
      );
      if (refusal) throw new ApprovalError(403, `${refusal} (prevent-self-review)`);
    }
    const reviews = await reviewsOf(db, id);
    if (approve && reviews.some((r) => r.reviewer === who && r.approved))
      throw new ApprovalError(409, `${user.name} approved this deployment already`);
    await addReview(db, id, {
      reviewer: who,
      approved: approve,
      bypass,
      comment: comment ?? null,
      at: this.now(),
    });
    for (const w of [...this.wakers]) w();
    const d = await this.settle(id);
    if (d) return d;
    return (await this.view(a))!;
  }

  /** The commit the environment runs now (the deployed range starts after it). */
  private async previousSha(a: ApprovalRow): Promise<string | undefined> {
    const r = await this.o.db.get<{ sha: string }>(
      `SELECT sha FROM cd_deployments WHERE repo = ? AND lower(environment) = lower(?) AND status = 'active'
       ORDER BY id DESC LIMIT 1`,
      [this.o.db.repo, a.environment],
    );
    return r?.sha;
  }

  /** Requests still waiting, oldest first, with their rules' state; those whose run stopped asking are withdrawn. */
  async pending(): Promise<PendingApproval[]> {
    const out: PendingApproval[] = [];
    for (const a of await waitingApprovals(this.o.db)) {
      if (a.last_asked < this.now() - STALE_MS) {
        await settleApproval(this.o.db, a.id, {
          state: "withdrawn",
          by: "nobody",
          reason: "the run stopped waiting (cancelled, or its server stopped)",
          at: this.now(),
        });
        continue;
      }
      const v = await this.view(a);
      if (v) out.push(v);
    }
    return out;
  }

  /** A request, waiting or decided (the record of who decided, when, with what comment). */
  async get(id: string): Promise<PendingApproval | undefined> {
    const a = await approvalById(this.o.db, id);
    return a && this.view(a);
  }

  private async view(a: ApprovalRow): Promise<PendingApproval | undefined> {
    const rule = this.rule(a.environment);
    const s = await this.standing(a);
    const decided = a.state !== "waiting";
    return {
      id: a.id,
      run: a.run,
      job: a.job,
      name: a.name,
      environment: a.environment,
      ref: a.ref,
      sha: a.sha,
      actor: a.actor,
      requestedAt: a.requested_at,
      ...(decided
        ? {
            decision: {
              state: a.state,
              by: a.decided_by ?? "",
              at: a.decided_at ?? 0,
              ...(a.reason ? { reason: a.reason } : {}),
            },
          }
        : { waiting: s.waiting ?? "a decision", ...(s.waitUntil ? { waitUntil: s.waitUntil } : {}) }),
      rule: {
        required: s.required,
        given: s.given,
        reviewers: eligible(this.o.config, rule, this.o.users.admins()),
        preventSelfReview: rule?.preventSelfReview ?? false,
        adminBypass: rule?.adminBypass ?? true,
      },
      reviews: await reviewsOf(this.o.db, a.id),
    };
  }

  /** The environment a run's job was approved for (its secrets may go to it), if any. */
  async approvedFor(run: number, job: string): Promise<ApprovalRow | undefined> {
    const a = await approvalOf(this.o.db, run, job);
    return a?.state === "approved" ? a : undefined;
  }
}
