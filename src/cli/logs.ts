import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { safe } from "../report/run-folder.js";
import { fail, parse, savedRun, UsageError } from "./common.js";

const HELP = `usage: slipway logs [run] [job] [options]

Shows the saved logs of a run (default: the latest) and, with a job, only that job.
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
    const chosen = job ? logs.filter((f) => f === `${safe(job)}.log` || f.startsWith(`${safe(job)}.`)) : logs;
    if (job && chosen.length === 0)
      throw new UsageError(
        `run ${run} has no job '${job}' (jobs: ${logs.map((f) => f.slice(0, -4)).join(", ")})`,
      );
    for (const f of chosen) {
      console.log(`=== ${f.slice(0, -4)}`);
      process.stdout.write(readFileSync(join(dir, f), "utf8"));
      const sum = join(dir, `${f.slice(0, -4)}.summary.md`);
      if (existsSync(sum)) console.log(`--- summary\n${readFileSync(sum, "utf8")}`);
    }
    return 0;
  } catch (e) {
    return fail(e);
  }
}
