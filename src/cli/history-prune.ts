import { parseArgs } from "node:util";
import { durationMs } from "../cd/config.js";
import { prunable, pruneRuns } from "../db/prune.js";
import { EXIT, parse, positiveInt, readHistory, repoRootOf, UsageError } from "./common.js";

const HELP = `usage: slipway history prune --older-than DURATION [--keep N] [--dry-run] [--json]

Deletes the runs that ended more than DURATION ago from the run history — their jobs, steps,
logs, test results, coverage and benchmarks, their event lines in PostgreSQL — and removes their
folders (.slipway/runs/N). Running runs are never touched, and the newest N runs always stay
(default 10, at least 1: run numbers go on from the newest). Deployments, approvals and
incidents are kept (the DORA figures need them).

      --older-than D   90d, 12h, 30m (a number alone is days)
      --keep N         the newest N runs stay whatever their age (default: 10)
      --dry-run        say what would go; delete nothing
  -C, --directory DIR  repository (default: .)
      --db URL         the PostgreSQL database holding the history (default: SLIPWAY_DATABASE_URL,
                       else .slipway/slipway.db)
      --json           print the runs deleted (or that would be) as JSON

Exit codes: 0 done (or nothing to delete), 2 usage error, 74 the history could not be read.`;

/** --older-than: a duration such as 90d or 12h; a number alone is days. */
export function olderThanMs(v: string | undefined, flag: string): number {
  if (v === undefined) throw new UsageError(`${flag} is required (e.g. ${flag} 90d)`);
  const ms = durationMs(/^\d+$/.test(v.trim()) ? `${v.trim()}d` : v);
  if (ms === undefined)
    throw new UsageError(`${flag} expects a duration such as 90d, 12h or 30m, got '${v}'`);
  return ms;
}

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parse(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        "older-than": { type: "string" },
        keep: { type: "string" },
        "dry-run": { type: "boolean" },
        directory: { type: "string", short: "C" },
        db: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }),
  );
  if (values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  if (positionals.length) throw new UsageError(`unexpected ${positionals.join(" ")}\n\n${HELP}`);
  const age = olderThanMs(values["older-than"], "--older-than");
  const keep = positiveInt(values.keep, "--keep") ?? 10;
  const root = repoRootOf(values.directory);
  const before = Date.now() - age;
  return await readHistory(root, values.db, async (db) => {
    const runs = !db
      ? []
      : values["dry-run"]
        ? await prunable(db, before, keep)
        : await pruneRuns(db, root, before, keep);
    if (values.json) console.log(JSON.stringify({ dryRun: !!values["dry-run"], runs }, null, 2));
    else if (!runs.length) console.log("No run to delete.");
    else
      console.log(
        `${values["dry-run"] ? "Would delete" : "Deleted"} ${runs.length} run${runs.length === 1 ? "" : "s"}: #${runs[0]!.number}${runs.length > 1 ? ` … #${runs.at(-1)!.number}` : ""}`,
      );
    return EXIT.ok;
  });
}
