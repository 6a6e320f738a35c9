import { join } from "node:path";
import { parseArgs } from "node:util";
import { artifactsDir, listArtifacts } from "../run/actions/artifact-store.js";
import { fail, parse, savedRun } from "./common.js";

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
    const { dir: runDir, number: n } = savedRun(values.directory, positionals[0]);
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
    return fail(e, "artifacts");
  }
}
