import type { ServerResponse } from "node:http";
import { historyDatabase } from "../cli/common.js";
import type { Db } from "../db/db.js";
import { eventLinesAfter, runEnded } from "../db/event-lines.js";
import { openHistory } from "../db/open.js";
import { stamp } from "../report/run-folder.js";

/** How often a followed run's new lines are read: the recorder writes a batch every 50 ms. */
const POLL_MS = 200;
/**
 * A run no replica says is running, whose row has not ended, that adds no line for this long
 * is given up on (its machine died; the row is settled later by whoever notices).
 */
const IDLE_MS = 30_000;

/**
 * Runs' events from the database (run_event_lines) as Server-Sent Events, for a replica that
 * does not have the run's folder (the run runs, or ran, on another machine). The streams of
 * one server share one connection, opened with the first and closed after the last.
 *
 * Followed by reading again every 200 ms, not LISTEN/NOTIFY: the recorder writes a batch at
 * most every 50 ms anyway, a read by (repo, run, seq) is one index range, and no connection is
 * held per replica for notifications (which a transaction-pooling PgBouncer would not pass).
 */
export class DbEventStreams {
  private db?: Promise<Db>;
  private users = 0;

  constructor(private readonly open: () => Promise<Db>) {}

  /** Whether run `n` is in the database: undefined when the database cannot be read. */
  async known(n: number): Promise<boolean> {
    const db = await this.acquire();
    try {
      return (await runEnded(db, n)) !== undefined;
    } finally {
      this.release();
    }
  }

  /**
   * Run `n`'s events after seq `after` (Last-Event-ID), in seq order, each with `id:` its seq,
   * followed while `live()` says it runs (here or on a replica), until run-end. Rows are whole
   * events, written one batch after another, so a reader never sees a gap or a line twice.
   */
  async stream(
    res: ServerResponse,
    n: number,
    after: number,
    live: () => boolean,
    mask: (t: string) => string,
  ): Promise<void> {
    const db = await this.acquire();
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let lastLine = Date.now();
    let settled = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.release();
      res.end();
    };
    res.on("close", finish);
    const pump = async (): Promise<void> => {
      if (done) return;
      const rows = await eventLinesAfter(db, n, after);
      if (done) return;
      let out = "";
      let ended = false;
      for (const r of rows) {
        const e = stamp(r.line);
        after = r.seq;
        out += `id: ${r.seq}\nevent: ${e?.type ?? "message"}\ndata: ${mask(r.line)}\n\n`;
        if (e?.type === "run-end") {
          ended = true;
          break;
        }
      }
      if (out) lastLine = Date.now();
      // A slow client is waited for (drain), not buffered in the server's memory.
      if (out && !res.write(out)) await new Promise((ok) => res.once("drain", ok).once("close", ok));
      if (ended || done) return finish();
      if (rows.length > 0) return pump();
      if (settled) return finish();
      // Not running here nor on a replica (the queue's view is a second or two behind: the
      // run's row says whether it ended): read once more (its last batch may have been written
      // since the read above), then the stream ends.
      if (!live() && (((await runEnded(db, n)) ?? true) || Date.now() - lastLine > IDLE_MS)) {
        settled = true;
        return pump();
      }
      timer = setTimeout(() => void pump().catch(failed), POLL_MS);
    };
    // A broken connection (the database restarted) ends the stream (the client reconnects with
    // its Last-Event-ID) and is not handed to the next one.
    const failed = () => {
      this.drop(db);
      finish();
    };
    await pump().catch(failed);
  }

  private drop(db: Db): void {
    const current = this.db;
    void current?.then((d) => {
      if (d === db && this.db === current) this.db = undefined;
    });
    void db.close().catch(() => {});
  }

  private acquire(): Promise<Db> {
    this.users++;
    this.db ??= this.open();
    const db = this.db;
    db.catch(() => {
      if (this.db === db) this.db = undefined;
    });
    return db.catch((e) => {
      this.users--;
      throw e;
    });
  }

  private release(): void {
    if (--this.users > 0 || !this.db) return;
    const db = this.db;
    this.db = undefined;
    void db.then((d) => d.close()).catch(() => {});
  }
}

/** The database streams of the history of `root` (`db`: --db): PostgreSQL only (SQLite is this machine's folder). */
export function dbEventStreams(root: string, db: string | undefined): DbEventStreams | undefined {
  const url = historyDatabase(db);
  return url ? new DbEventStreams(async () => (await openHistory(root, true, url))!) : undefined;
}
