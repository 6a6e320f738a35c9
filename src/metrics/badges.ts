// Badges for READMEs, at stable addresses: /badges/<workflow>.svg?branch=B (the last finished
// run of that workflow on that branch), /badges/coverage.svg?branch=B (line coverage of the
// branch's last run that read a coverage report) and /badges/score.svg (`slipway score` of the
// served repository, computed once per commit). The branch defaults to the default branch.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { parse } from "yaml";
import type { Db } from "../db/db.js";
import { ofWorkflow } from "../db/reads.js";
import { scoreRepo } from "../lint/score.js";
import { currentCommit, readGit } from "../plan/git.js";
import { badge, type Color, percentColor } from "./badge-svg.js";

export interface BadgeOptions {
  root: string;
  withDb: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
  /** The score of the repository at `root` (default: Slipway's score). */
  score?: (root: string) => Promise<number>;
}

const NAME = /^[\w.-]{1,100}$/;

export class Badges {
  private scored?: { sha: string; svg: Promise<string> };

  constructor(private readonly o: BadgeOptions) {}

  private branch(b: string | null): string {
    if (b) return b.startsWith("refs/") ? b : `refs/heads/${b}`;
    const g = readGit(this.o.root);
    return `refs/heads/${g.ok ? g.facts.defaultBranch : "main"}`;
  }

  /** The badge at `path` (/badges/...svg), or undefined when there is no such badge. */
  async svg(path: string, url: URL): Promise<{ svg: string; maxAge: number } | undefined> {
    const m = /^\/badges\/(.+)\.svg$/.exec(path);
    if (!m || !NAME.test(m[1]!)) return undefined;
    const branch = url.searchParams.get("branch");
    if (branch !== null && !/^[\w./-]{1,200}$/.test(branch)) return undefined;
    const ref = this.branch(branch);
    if (m[1] === "score") return { svg: await this.score(), maxAge: 300 };
    if (m[1] === "coverage") return { svg: await this.coverage(ref), maxAge: 60 };
    return { svg: await this.workflow(m[1]!, ref), maxAge: 60 };
  }

  /** `name`: a workflow file's base name with or without .yml/.yaml, or a workflow's name. */
  async workflow(name: string, ref: string): Promise<string> {
    const label = name.replace(/\.ya?ml$/, "");
    // A workflow's name first: SQLite's LIKE would let "CI" match ci.yml's runs by its file.
    const candidates = /\.ya?ml$/.test(name) ? [name] : [name, `${name}.yml`, `${name}.yaml`];
    const result = await this.o.withDb(async (db) => {
      for (const w of candidates) {
        const r = await lastResult(db, w, this.names(w), ref);
        if (r) return r;
      }
      return undefined;
    });
    const [message, color]: [string, Color] =
      result === undefined
        ? ["no runs", "lightgrey"]
        : result === "success"
          ? ["passing", "brightgreen"]
          : result === "failure"
            ? ["failing", "red"]
            : [result, "lightgrey"];
    return badge(label, message, color);
  }

  /**
   * What the jobs of workflow `w` record as their workflow: its name, or its path when it has
   * none (read from the served repository's file when `w` is one).
   */
  private names(w: string): string[] {
    if (!/\.ya?ml$/.test(w)) return [w];
    const path = `.github/workflows/${w}`;
    try {
      const name = (parse(readFileSync(join(this.o.root, path), "utf8")) as { name?: unknown } | null)?.name;
      return typeof name === "string" ? [name, path] : [path];
    } catch {
      return [path];
    }
  }

  async coverage(ref: string): Promise<string> {
    const p = await this.o.withDb((db) => lineCoverage(db, ref));
    return p === undefined
      ? badge("coverage", "unknown", "lightgrey")
      : badge("coverage", `${fmt(p)}%`, percentColor(p));
  }

  /** Computed once per commit of the served repository. */
  score(): Promise<string> {
    const sha = currentCommit(this.o.root, "HEAD") ?? "";
    if (this.scored?.sha !== sha) {
      const compute = this.o.score ?? (async (root: string) => (await scoreRepo(root)).score);
      const svg = compute(this.o.root).then(
        (s) => badge("slipway score", `${s}/100`, percentColor(s)),
        () => badge("slipway score", "unknown", "lightgrey"),
      );
      this.scored = { sha, svg };
    }
    return this.scored!.svg;
  }
}

/** 75%, 81.3%: one decimal, none when it is 0. */
const fmt = (p: number) => p.toFixed(1).replace(/\.0$/, "");

/** How workflow `w` ended in the last finished run on `ref` that ran it. */
async function lastResult(db: Db, w: string, names: string[], ref: string): Promise<string | undefined> {
  const run = await db.get<{ id: number; result: string; workflows: string }>(
    `SELECT id, result, workflows FROM runs
     WHERE repo = ?1 AND ref = ?3 AND ended_at IS NOT NULL AND result IS NOT NULL AND ${ofWorkflow(db, 2)}
     ORDER BY number DESC LIMIT 1`,
    [db.repo, w, ref],
  );
  if (!run) return undefined;
  if ((JSON.parse(run.workflows) as string[]).length <= 1) return run.result;
  // A run of several workflows: this one's jobs (carrying its name, or its path when it has none).
  const jobs = (
    await db.all<{ workflow: string | null; result: string | null }>(
      "SELECT workflow, result FROM jobs WHERE run = ?",
      [run.id],
    )
  ).filter((j) => j.workflow !== null && names.includes(j.workflow));
  if (!jobs.length) return run.result;
  if (jobs.some((j) => j.result === "failure")) return "failure";
  if (jobs.some((j) => j.result === "cancelled")) return "cancelled";
  return "success";
}

/** Line coverage (percent) of the last finished run on `ref` that read a coverage report. */
async function lineCoverage(db: Db, ref: string): Promise<number | undefined> {
  const run = await db.get<{ id: number }>(
    `SELECT runs.id FROM runs WHERE repo = ? AND ref = ? AND ended_at IS NOT NULL
       AND EXISTS (SELECT 1 FROM jobs JOIN coverage_files c ON c.job = jobs.id WHERE jobs.run = runs.id)
     ORDER BY number DESC LIMIT 1`,
    [db.repo, ref],
  );
  if (!run) return undefined;
  // A file several jobs (matrix legs) reported counts once, at its best.
  const files = await db.all<{ lines: number; hit: number }>(
    `SELECT max(c.lines) AS lines, max(c.hit) AS hit FROM coverage_files c JOIN jobs ON jobs.id = c.job
     WHERE jobs.run = ? GROUP BY c.path`,
    [run.id],
  );
  const lines = files.reduce((n, f) => n + Number(f.lines), 0);
  const hit = files.reduce((n, f) => n + Number(f.hit), 0);
  return lines ? (100 * hit) / lines : undefined;
}

/**
 * Sends a badge: an ETag of its bytes (a revalidation answers 304 without a body), a short
 * max-age so a README shows a new result within minutes, and no script (strict CSP).
 */
export function sendBadge(req: IncomingMessage, res: ServerResponse, svg: string, maxAge: number): void {
  const etag = `"${createHash("sha256").update(svg).digest("base64url").slice(0, 22)}"`;
  const headers = {
    etag,
    "cache-control": `max-age=${maxAge}, must-revalidate`,
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
    "x-content-type-options": "nosniff",
  };
  const match = req.headers["if-none-match"];
  if (match?.split(/\s*,\s*/).some((t) => t === etag || t === `W/${etag}` || t === "*")) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, "content-type": "image/svg+xml; charset=utf-8" });
  res.end(req.method === "HEAD" ? undefined : svg);
}
