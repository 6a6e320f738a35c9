import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readGit } from "../plan/git.js";
import { artifactsDir, listArtifacts } from "../run/actions/artifact-store.js";
import { fail, parse, UsageError } from "./common.js";

const HELP = `usage: slipway artifacts [run] [options]

Lists the artifacts a run uploaded (default: the latest run) and where their files are.
  -C, --directory DIR   repository (default: .)
      --json            as JSON`;

const size = (n: number) =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`;

export async function main(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(() =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          directory: { type: "string", short: "C" },
          json: { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
      }),
    );
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const cwd = resolve(values.directory ?? ".");
    const g = readGit(cwd);
    const root = g.ok ? g.facts.root : cwd;
    const runs = join(root, ".slipway", "runs");
    const numbers = existsSync(runs)
      ? readdirSync(runs)
          .filter((d) => /^\d+$/.test(d))
          .map(Number)
          .sort((a, b) => a - b)
      : [];
    if (!numbers.length) throw new UsageError(`no runs yet in ${root} (slipway run first)`);
    const n = positionals[0] ? Number(positionals[0]) : numbers[numbers.length - 1]!;
    if (!numbers.includes(n))
      throw new UsageError(`run ${positionals[0]} not found (runs: ${numbers.join(", ")})`);
    const runDir = join(runs, String(n));
    const list = listArtifacts(runDir);
    if (values.json) {
      console.log(
        JSON.stringify(
          list.map((a) => ({ ...a, path: join(artifactsDir(runDir), a.name) })),
          null,
          2,
        ),
      );
      return 0;
    }
    if (!list.length) {
      console.log(`Run ${n} has no artifacts.`);
      return 0;
    }
    console.log(`Artifacts of run ${n}:`);
    for (const a of list)
      console.log(
        `  ${a.name}  ${a.files} file(s), ${size(a.size)}, job ${a.job}, kept ${a.retentionDays} day(s)  ${join(artifactsDir(runDir), a.name)}`,
      );
    return 0;
  } catch (e) {
    return fail(e);
  }
}
