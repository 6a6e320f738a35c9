// `on: schedule` for the server: the cron lines of the workflows on the default branch, in
// UTC as GitHub reads them (croner). Each (workflow, cron) remembers its last tick in
// .slipway/server-schedules.json; ticks missed while the server was down run once at start,
// not once per tick missed. A new schedule starts counting from when it is first seen.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cron } from "croner";
import { parse } from "yaml";

export interface Schedule {
  /** The workflow file, relative to the repository. */
  file: string;
  cron: string;
}

/** The schedules of the workflows at `rev` (a branch), read from git, not the working tree. */
export function schedulesAt(root: string, rev: string): { schedules: Schedule[]; errors: string[] } {
  const git = (...a: string[]) =>
    spawnSync("git", a, { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const list = git("ls-tree", "--name-only", `${rev}:.github/workflows`);
  if (list.status !== 0) return { schedules: [], errors: [] };
  const schedules: Schedule[] = [];
  const errors: string[] = [];
  for (const name of list.stdout.split("\n").filter((n) => /\.ya?ml$/.test(n))) {
    const file = `.github/workflows/${name}`;
    const text = git("show", `${rev}:${file}`).stdout;
    let on: unknown;
    try {
      on = (parse(text) as { on?: unknown } | null)?.on;
    } catch {
      continue; // lint says what is wrong with it; a schedule cannot be read from it
    }
    const list =
      on && typeof on === "object" && !Array.isArray(on)
        ? (on as { schedule?: unknown }).schedule
        : undefined;
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const cron = (item as { cron?: unknown } | null)?.cron;
      if (typeof cron !== "string") continue;
      if (!validCron(cron)) {
        errors.push(`${file}: schedule '${cron}' is not a cron of five fields; not scheduled`);
        continue;
      }
      schedules.push({ file, cron });
    }
  }
  return { schedules, errors };
}

/** Five fields, as GitHub accepts (croner would also take seconds). */
export function validCron(cron: string): boolean {
  if (cron.trim().split(/\s+/).length !== 5) return false;
  try {
    new Cron(cron, { timezone: "UTC", paused: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a schedule whose last tick was `last` is due at `now`, and the tick to record: the
 * latest one not after now, however many passed since `last` (they run once).
 */
export function due(cron: string, last: Date, now: Date): { due: boolean; tick: Date } {
  const c = new Cron(cron, { timezone: "UTC", paused: true });
  const next = c.nextRun(last);
  if (!next || next > now) return { due: false, tick: last };
  // The latest tick ≤ now: step forward from the first missed one (minutes apart at least).
  let tick = next;
  for (let n = c.nextRun(tick); n && n <= now; n = c.nextRun(n)) tick = n;
  return { due: true, tick };
}

const key = (s: Schedule) => `${s.file}\n${s.cron}`;

export class ScheduleState {
  private readonly path: string;
  private last: Record<string, string> = {};

  constructor(root: string) {
    this.path = join(root, ".slipway", "server-schedules.json");
    try {
      this.last = JSON.parse(readFileSync(this.path, "utf8")) as Record<string, string>;
    } catch {
      this.last = {};
    }
  }

  /** The schedules due at `now`; each is recorded as run at its latest tick. A new one is recorded, not run. */
  take(schedules: Schedule[], now: Date): Schedule[] {
    const out: Schedule[] = [];
    for (const s of schedules) {
      const seen = this.last[key(s)];
      if (!seen) {
        this.last[key(s)] = now.toISOString();
        continue;
      }
      const d = due(s.cron, new Date(seen), now);
      if (!d.due) continue;
      this.last[key(s)] = d.tick.toISOString();
      out.push(s);
    }
    this.save();
    return out;
  }

  private save(): void {
    mkdirSync(join(this.path, ".."), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.last, null, 2)}\n`);
    renameSync(tmp, this.path);
  }
}
