// `on.schedule[].cron`: five fields in POSIX syntax (no seconds, no L/W/#/?), at most every
// 5 minutes, and a date that exists. Warnings show the next run times so the user can see what
// the schedule really does.
import { Cron } from "croner";
import { type LintContext, report } from "../context.js";
import { get, items, str } from "../source.js";

const fmt = (d: Date) =>
  d
    .toISOString()
    .replace(/:00\.000Z$/, "Z")
    .replace("T", " ");

export interface CronCheck {
  error?: string;
  warning?: string;
  /** The next runs, for the messages: empty when there is nothing to say. */
  next: Date[];
}

/** Bounds of minute, hour, day of month, month and weekday (7 is left to croner). */
const BOUNDS: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

/** `*`, `N`, `N-M`, with `/S`, in lists: numbers in range, ranges upward, steps from 1. */
function plainField(field: string, i: number): boolean {
  const [lo, hi] = BOUNDS[i]!;
  const num = (t: string | undefined) => (t !== undefined && /^\d{1,2}$/.test(t) ? Number(t) : Number.NaN);
  return field.split(",").every((item) => {
    const m = /^(\*|(\d{1,2})(?:-(\d{1,2}))?)(?:\/(\d{1,2}))?$/.exec(item);
    if (!m) return false;
    if (m[4] !== undefined && !(num(m[4]) >= 1)) return false;
    if (m[1] === "*") return true;
    const a = num(m[2]);
    const b = m[3] === undefined ? a : num(m[3]);
    return a >= lo && b <= hi && a <= b;
  });
}

export function checkCronPattern(pattern: string, timezone = "UTC", now = new Date()): CronCheck {
  const fields = pattern.trim().split(/\s+/);
  if (fields.length !== 5)
    return { error: `needs 5 fields (minute hour day month weekday), got ${fields.length}`, next: [] };
  const odd = /[LW#?]/i.exec(fields.join(" ").replace(/[a-z]{3}/gi, ""));
  if (odd) return { error: `'${odd[0]}' is not supported by GitHub's cron`, next: [] };
  // One minute of the hour on any day of the month: at least an hour apart, and some date always
  // matches, so there is nothing to say. In plain numbers it needs no croner at all.
  const hourlyAnyDay = timezone === "UTC" && /^\d+$/.test(fields[0]!) && fields[2] === "*";
  if (hourlyAnyDay && fields.every(plainField)) return { next: [] };
  let cron: Cron;
  try {
    // UTC as an offset: the same dates, without Intl time-zone formatting (most of this rule's time).
    const zone = timezone === "UTC" ? { utcOffset: 0 } : { timezone };
    cron = new Cron(pattern, { mode: "5-part", ...zone, paused: true });
  } catch (e) {
    return { error: (e as Error).message.replace(/^CronPattern: /, ""), next: [] };
  }
  if (hourlyAnyDay) return { next: [] }; // valid (croner took it), with names or other syntax
  let next: Date[];
  try {
    next = cron.nextRuns(4, now);
  } catch (e) {
    return { error: (e as Error).message.replace(/^CronPattern: /, ""), next: [] };
  }
  if (next.length === 0) return { error: "matches no date, so it never runs", next };
  const gaps = next.slice(1).map((d, i) => (d.getTime() - next[i]!.getTime()) / 60_000);
  const minGap = Math.min(...gaps);
  if (minGap < 5) {
    return { warning: `runs every ${minGap} minute(s); GitHub runs schedules at most every 5 minutes`, next };
  }
  if (fields[2] !== "*" && fields[4] !== "*") {
    return { warning: "day-of-month and weekday are both set, so it runs when either matches", next };
  }
  return { next };
}

export function checkCron(ctx: LintContext): void {
  for (const entry of items(ctx.model?.triggers.get("schedule"))) {
    const node = get(entry, "cron");
    const pattern = str(node);
    if (pattern === undefined) continue;
    const tz = str(get(entry, "timezone")) ?? "UTC";
    const r = checkCronPattern(pattern, tz);
    const runs = r.next.map(fmt).join(", ");
    if (r.error) report(ctx, "cron", node, `cron '${pattern}': ${r.error}`);
    else if (r.warning) {
      report(ctx, "cron", node, `cron '${pattern}' ${r.warning}; next runs (UTC): ${runs}`, {
        severity: "warning",
      });
    }
  }
}
