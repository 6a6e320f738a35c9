import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { safe } from "../report/run-folder.js";
import { fail, parse, savedRun, UsageError } from "./common.js";
import { jobNames } from "./job-names.js";

const HELP = `usage: slipway logs [run] [job] [options]

Shows the saved logs of a run (default: the latest) and, with a job, only that job (and
its matrix legs or called jobs). A job is named as the run printed it ("Node.js 24",
"call / build") or by its id.
  -C, --directory DIR   repository (default: .)`;

export async function main(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(() =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          directory: { type: "string", short: "C" },
          help: { type: "boolean", short: "h" },
        },
      }),
    );
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const saved = savedRun(values.directory, positionals[0]);
    const run = saved.number;
    const dir = join(saved.dir, "logs");
    const logs = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith(".log"))
          .sort()
      : [];
    const job = positionals[1];
    const names = jobNames(saved.dir);
    const keyOf = (f: string) => f.slice(0, -4);
    const bySafe = new Map([...names].map(([k, n]) => [safe(k), { key: k, name: n }]));
    const shown = (f: string) => {
      const j = bySafe.get(keyOf(f));
      return j && j.name !== j.key ? `${j.name} (${j.key})` : keyOf(f);
    };
    const chosen = job ? pick(logs, job, names) : logs;
    if (job && chosen.length === 0)
      throw new UsageError(
        `run ${run} has no job '${job}' (jobs: ${logs.map((f) => bySafe.get(keyOf(f))?.name ?? keyOf(f)).join(", ")})`,
      );
    const note = runNote(saved.dir, run);
    if (note) console.log(note);
    for (const f of chosen) {
      console.log(`=== ${shown(f)}`);
      process.stdout.write(readFileSync(join(dir, f), "utf8"));
      const sum = join(dir, `${keyOf(f)}.summary.md`);
      if (existsSync(sum)) console.log(`--- summary\n${readFileSync(sum, "utf8")}`);
    }
    return 0;
  } catch (e) {
    return fail(e, "logs");
  }
}

/**
 * The log files of a job given by id or key (`test`, `test.2`) or by the name the run
 * printed; a job's legs and called jobs come with it.
 */
function pick(logs: string[], job: string, names: Map<string, string>): string[] {
  const under = (keys: string[]) => {
    const bases = keys.map(safe);
    return logs.filter((f) => bases.some((b) => f === `${b}.log` || f.startsWith(`${b}.`)));
  };
  const byKey = under([job]);
  if (byKey.length) return byKey;
  for (const same of [(n: string) => n === job, (n: string) => n.toLowerCase() === job.toLowerCase()]) {
    const keys = [...names].filter(([, n]) => same(n)).map(([k]) => k);
    if (keys.length) return under(keys);
  }
  return [];
}

/** A first line for a run that did not end on its own: interrupted, or never saved a result. */
function runNote(dir: string, run: number): string | undefined {
  const path = join(dir, "result.json");
  if (!existsSync(path)) return `Run ${run} has no saved result: it was stopped before it ended.`;
  try {
    const r = JSON.parse(readFileSync(path, "utf8")) as { interrupted?: string; result?: string };
    if (r.interrupted)
      return `Run ${run} was interrupted (${r.interrupted === "SIGINT" ? "Ctrl-C" : r.interrupted}); result: ${r.result}.`;
  } catch {
    return `Run ${run}: its result.json cannot be read (the disk may have been full).`;
  }
  return undefined;
}
