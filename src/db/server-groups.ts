// Workflow-level `concurrency:` groups across the runs of a server (and of its replicas on one
// PostgreSQL): GitHub's rule, one run holds a group and one waits; a newer waiting run
// replaces the older waiting one (cancelled), and with cancel-in-progress it also cancels the
// holder. A unique index allows one holder per group, so two replicas granting at the same
// moment cannot both win.
import type { Db } from "./db.js";

export interface GroupAsk {
  group: string;
  cancel: boolean;
}

export type GroupAnswer = { go: true } | { go: false; why: string } | { go: false; cancelled: string };

/** Runs (queue rows) that a newer run's ask cancels, and why. */
export interface Displaced {
  queued: number;
  why: string;
}

const replacedWhy = (g: string) => `cancelled: a newer run waits for concurrency group '${g}'`;
const inProgressWhy = (g: string) => `cancelled by a newer run in concurrency group '${g}'`;

/**
 * A run asks for its groups (again and again while it waits): it is added as waiting, older
 * waiting runs are replaced, and it takes each group that is free, in name order (no two runs
 * can wait for each other). The runs it displaced come back for their servers to cancel.
 */
export async function askGroups(
  db: Db,
  queued: number,
  asks: GroupAsk[],
): Promise<{ answer: GroupAnswer; displaced: Displaced[] }> {
  const displaced: Displaced[] = [];
  const sorted = [...new Map(asks.map((a) => [a.group, a])).values()].sort((a, b) =>
    a.group < b.group ? -1 : 1,
  );
  for (const a of sorted) {
    const mine = await db.get<{ state: string }>(
      "SELECT state FROM server_groups WHERE repo = ? AND grp = ? AND queued = ?",
      [db.repo, a.group, queued],
    );
    if (mine?.state === "replaced")
      return { answer: { go: false, cancelled: replacedWhy(a.group) }, displaced };
    if (mine?.state === "holding") continue;
    if (!mine) {
      await db.run(
        `INSERT INTO server_groups (repo, grp, queued, state, cancel, created_at) VALUES (?, ?, ?, 'pending', ?, ?)
         ON CONFLICT DO NOTHING`,
        [db.repo, a.group, queued, a.cancel ? 1 : 0, Date.now()],
      );
      const older = await db.all<{ queued: number }>(
        `UPDATE server_groups SET state = 'replaced'
         WHERE repo = ? AND grp = ? AND state = 'pending' AND queued < ? RETURNING queued`,
        [db.repo, a.group, queued],
      );
      for (const o of older) displaced.push({ queued: Number(o.queued), why: replacedWhy(a.group) });
      if (a.cancel) {
        const holder = await holderOf(db, a.group);
        if (holder !== undefined && holder !== queued)
          displaced.push({ queued: holder, why: inProgressWhy(a.group) });
      }
    }
    if (!(await take(db, a.group, queued))) {
      const holder = await holderOf(db, a.group);
      return {
        answer: {
          go: false,
          why: `waiting for concurrency group '${a.group}'${holder !== undefined ? ` (held by queued run ${holder})` : ""}`,
        },
        displaced,
      };
    }
  }
  return { answer: { go: true }, displaced };
}

async function holderOf(db: Db, group: string): Promise<number | undefined> {
  const h = await db.get<{ queued: number }>(
    "SELECT queued FROM server_groups WHERE repo = ? AND grp = ? AND state = 'holding'",
    [db.repo, group],
  );
  return h ? Number(h.queued) : undefined;
}

async function take(db: Db, group: string, queued: number): Promise<boolean> {
  try {
    const r = await db.get<{ queued: number }>(
      `UPDATE server_groups SET state = 'holding'
       WHERE repo = ?1 AND grp = ?2 AND queued = ?3 AND state = 'pending'
         AND NOT EXISTS (SELECT 1 FROM server_groups WHERE repo = ?1 AND grp = ?2 AND state = 'holding')
       RETURNING queued`,
      [db.repo, group, queued],
    );
    return r !== undefined;
  } catch (e) {
    // Another replica took it at the same moment: the unique index refused this one.
    if (/unique|duplicate/i.test((e as Error).message)) return false;
    throw e;
  }
}

/** The run ended (or its server died): its groups are free, its waits withdrawn. */
export async function releaseGroups(db: Db, queued: number): Promise<void> {
  await db.run("DELETE FROM server_groups WHERE repo = ? AND queued = ?", [db.repo, queued]);
}

/** Why each waiting run waits, by queue row. */
export async function groupWaits(db: Db): Promise<Map<number, string>> {
  const rows = await db.all<{ queued: number; grp: string; holder: number | null }>(
    `SELECT w.queued, w.grp, h.queued AS holder FROM server_groups w
     LEFT JOIN server_groups h ON h.repo = w.repo AND h.grp = w.grp AND h.state = 'holding'
     WHERE w.repo = ? AND w.state = 'pending'`,
    [db.repo],
  );
  const out = new Map<number, string>();
  for (const r of rows)
    out.set(
      Number(r.queued),
      `waiting for concurrency group '${r.grp}'${r.holder !== null ? ` (held by queued run ${Number(r.holder)})` : ""}`,
    );
  return out;
}
