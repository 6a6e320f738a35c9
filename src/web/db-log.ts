import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Db } from "../db/db.js";
import { eventLinesWith } from "../db/event-lines.js";
import { logLine, safe } from "../report/run-folder.js";
import type { RunEvent } from "../run/events.js";
import { type JobLog, jobLog, jobLogOf } from "./job-log.js";

/** A read of the run history (the server's: opened for the read, closed after). */
type History = <T>(read: (db: Db | undefined) => Promise<T>) => Promise<T>;

/**
 * Job `key`'s log for its page: from the run folder `dir` when this machine has it, else from
 * the database's copy of its event lines (PostgreSQL: a replica on another machine ran it).
 */
export async function jobLogOfRun(dir: string, n: number, key: string, history: History): Promise<JobLog> {
  if (existsSync(dir)) return jobLog(dir, key);
  const needle = `"job":${JSON.stringify(key)}`;
  return jobLogOf(await history(async (db) => (db ? eventLinesWith(db, n, needle) : [])), key);
}

/** Job `key`'s raw log (logs/<job>.log), from the run folder or, as above, the database. */
export async function rawLogOfRun(dir: string, n: number, key: string, history: History): Promise<string> {
  const file = join(dir, "logs", `${safe(key)}.log`);
  if (existsSync(dir)) return existsSync(file) ? readFileSync(file, "utf8") : "";
  const needle = `"job":${JSON.stringify(key)}`;
  const events = await history(async (db) => (db ? eventLinesWith(db, n, needle) : []));
  let out = "";
  for (const raw of events) {
    let e: RunEvent;
    try {
      e = JSON.parse(raw) as RunEvent;
    } catch {
      continue;
    }
    const line = "job" in e && e.job === key ? logLine(e) : undefined;
    if (line !== undefined) out += `${line}\n`;
  }
  return out;
}
