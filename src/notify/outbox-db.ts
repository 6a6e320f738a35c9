// The notifications' outbox in the history database (notify_outbox): a delivery waiting for
// its first attempt or a retry is a row, so a server restarted (even after kill -9) sends what
// its predecessor had not, and replicas on one PostgreSQL database share the rows. A server
// claims a row while it sends it (PostgreSQL: FOR UPDATE SKIP LOCKED, so two replicas never
// take the same one); a claim expires, so a row whose server died is taken by another.
import type { Db } from "../db/db.js";
import type { NotifyEvent } from "./events.js";
import type { OutboxRow, OutboxStore } from "./outbox.js";

interface Stored {
  id: string;
  target: string;
  event: string;
  body: string;
  attempt: number;
  due_at: number;
  created_at: number;
}

const COLUMNS = "id, target, event, body, attempt, due_at, created_at";
/** Nobody sends it: never claimed, or its claim expired. */
const FREE = "(claimed_until IS NULL OR claimed_until < ?)";

function row(s: Stored): OutboxRow {
  let event: NotifyEvent;
  try {
    event = JSON.parse(s.event) as NotifyEvent;
  } catch {
    // Masking can in theory cut a JSON text; the body (what is sent) is whole regardless.
    event = { type: "run.failed", repository: "" } as NotifyEvent;
  }
  return {
    id: s.id,
    target: s.target,
    event,
    body: s.body,
    attempt: Number(s.attempt),
    dueAt: Number(s.due_at),
    createdAt: Number(s.created_at),
  };
}

const byDue = (a: OutboxRow, b: OutboxRow) => a.dueAt - b.dueAt || a.createdAt - b.createdAt;

export class DbOutbox implements OutboxStore {
  readonly shared = true;

  /**
   * `db`: a connection of the outbox's own (its statements must not land inside another
   * user's transaction on a shared PostgreSQL connection); closed with the outbox. `mask`:
   * applied to the event's JSON as stored.
   */
  constructor(
    private readonly db: Db,
    private readonly mask: (t: string) => string = (t) => t,
  ) {}

  /**
   * SQLite: each statement starts on a macrotask of its own. Another connection of this process
   * may be inside a transaction between two microtasks (its statements answer at once); a write
   * of ours then would wait for its lock blocking the thread that must finish it.
   */
  private async turn(): Promise<void> {
    if (this.db.dialect === "sqlite") await new Promise((ok) => setImmediate(ok));
  }

  private get lock(): string {
    return this.db.dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
  }

  async add(rows: OutboxRow[], max: number, now: number): Promise<OutboxRow[]> {
    if (!rows.length) return [];
    const db = this.db;
    await this.turn();
    await db.run(
      `INSERT INTO notify_outbox (id, repo, target, event, body, attempt, due_at, created_at) VALUES ${rows
        .map(() => "(?, ?, ?, ?, ?, ?, ?, ?)")
        .join(", ")}`,
      rows.flatMap((r) => [
        r.id,
        db.repo,
        r.target,
        this.mask(JSON.stringify(r.event)),
        r.body,
        r.attempt,
        r.dueAt,
        r.createdAt,
      ]),
    );
    const { waiting } = await this.look(now);
    if (waiting <= max) return [];
    await this.turn();
    const gone = await db.all<Stored>(
      `DELETE FROM notify_outbox WHERE id IN (
         SELECT id FROM notify_outbox WHERE repo = ? AND ${FREE} ORDER BY created_at, id LIMIT ?${this.lock})
       RETURNING ${COLUMNS}`,
      [db.repo, now, waiting - max],
    );
    return gone.map(row).sort((a, b) => a.createdAt - b.createdAt);
  }

  async claim(
    room: Map<string, number>,
    now: number,
    until: number,
  ): Promise<{ rows: OutboxRow[]; strays: OutboxRow[] }> {
    const db = this.db;
    const rows: OutboxRow[] = [];
    for (const [target, n] of room) {
      if (n <= 0) continue;
      await this.turn();
      const got = await db.all<Stored>(
        `UPDATE notify_outbox SET claimed_until = ?1
         WHERE id IN (SELECT id FROM notify_outbox
                      WHERE repo = ?2 AND target = ?3 AND due_at <= ?4 AND (claimed_until IS NULL OR claimed_until < ?4)
                      ORDER BY due_at, created_at LIMIT ?5${this.lock})
           AND (claimed_until IS NULL OR claimed_until < ?4)
         RETURNING ${COLUMNS}`,
        [until, db.repo, target, now, n],
      );
      rows.push(...got.map(row));
    }
    const known = [...room.keys()];
    await this.turn();
    const strays = await db.all<Stored>(
      `DELETE FROM notify_outbox WHERE repo = ? AND due_at <= ? AND ${FREE}${
        known.length ? ` AND target NOT IN (${known.map(() => "?").join(", ")})` : ""
      } RETURNING ${COLUMNS}`,
      [db.repo, now, now, ...known],
    );
    return { rows: rows.sort(byDue), strays: strays.map(row).sort(byDue) };
  }

  async remove(id: string): Promise<void> {
    await this.turn();
    await this.db.run("DELETE FROM notify_outbox WHERE id = ? AND repo = ?", [id, this.db.repo]);
  }

  async retry(id: string, attempt: number, dueAt: number): Promise<void> {
    await this.turn();
    await this.db.run(
      "UPDATE notify_outbox SET attempt = ?, due_at = ?, claimed_until = NULL WHERE id = ? AND repo = ?",
      [attempt, dueAt, id, this.db.repo],
    );
  }

  async look(now: number): Promise<{ waiting: number; next?: number }> {
    await this.turn();
    const r = await this.db.get<{ n: number; next: number | null }>(
      `SELECT count(*) AS n, min(due_at) AS next FROM notify_outbox WHERE repo = ? AND ${FREE}`,
      [this.db.repo, now],
    );
    const waiting = Number(r?.n ?? 0);
    return waiting && r?.next != null ? { waiting, next: Number(r.next) } : { waiting };
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
