import { parseArgs } from "node:util";
import { formatDiagnostic } from "../workflow/diagnostic.js";
import { discoverWorkflows, loadWorkflow } from "../workflow/load.js";
import { fail, parse, repoRootOf, UsageError } from "./common.js";

const HELP = `usage: slipway list [options]

Lists workflows, their triggers and jobs.
  -C, --directory DIR   repository (default: .)
  -W, --workflows PATH  workflow file or folder
      --json            machine-readable output`;

export async function main(args: string[]): Promise<number> {
  try {
    const { values } = parse(() =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          directory: { type: "string", short: "C" },
          workflows: { type: "string", short: "W" },
          json: { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
      }),
    );
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const root = repoRootOf(values.directory);
    const files = discoverWorkflows(root, values.workflows);
    if (files.length === 0) throw new UsageError(`no workflows found under ${root}`);
    const loaded = await Promise.all(files.map((f) => loadWorkflow(f, root)));
    const rows = loaded.map((w) => ({
      file: w.file,
      name: w.name,
      triggers: w.template ? Object.keys(w.template.events) : [],
      jobs: (w.template?.jobs ?? []).map((j) => ({
        id: j.id.value,
        needs: (j.needs ?? []).map((n) => n.value),
        steps: j.type === "job" ? j.steps.length : 0,
        uses: j.type === "reusableWorkflowJob" ? j.ref.value : undefined,
      })),
      errors: w.diagnostics.map(formatDiagnostic),
    }));
    if (values.json) console.log(JSON.stringify(rows, null, 2));
    else
      for (const r of rows) {
        console.log(`${r.file}  ${r.name}`);
        console.log(`  on: ${r.triggers.join(", ") || "(invalid)"}`);
        for (const j of r.jobs)
          console.log(
            `  - ${j.id}${j.needs.length ? ` (needs ${j.needs.join(", ")})` : ""}${j.uses ? ` uses ${j.uses}` : ` ${j.steps} step${j.steps === 1 ? "" : "s"}`}`,
          );
        for (const e of r.errors) console.log(`  error: ${e}`);
      }
    return rows.some((r) => r.errors.length) ? 1 : 0;
  } catch (e) {
    return fail(e, "list");
  }
}
