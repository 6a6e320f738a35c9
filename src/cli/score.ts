// `slipway score`: argument parsing, output and exit codes only.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { scoreRepo } from "../lint/score.js";
import { renderScore } from "../lint/score-render.js";
import { EXIT, fail, parse, UsageError } from "./common.js";

const USAGE = `usage: slipway score [options]

Grades the repository's pipeline 0-100 in six categories (security, release process, testing
quality, build efficiency, platform coverage, maintainability). Each check shows the findings
of 'slipway audit' and 'slipway lint' or the workflow lines it is based on, and the fixes are
listed by the points they would gain.

      --json            print the card as JSON
      --all             show every piece of evidence and every fix
      --min N           exit 1 when the score is below N
      --store DIR       action store for 'slipway audit' (version comments of SHA pins)
  -h, --help            show this help

Exit codes: 0 graded (at or above --min), 1 below --min, 2 usage error or unreadable input.`;

export async function main(args: string[], cwd = process.cwd()): Promise<number> {
  try {
    const { values } = parse(() => options(args));
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    const min = values.min === undefined ? undefined : Number(values.min);
    if (min !== undefined && !(/^\d+$/.test(values.min!) && min >= 0 && min <= 100))
      throw new UsageError("--min must be a whole number from 0 to 100");
    if (!existsSync(join(cwd, ".github")))
      throw new UsageError("no .github/ folder here; run it at the repository root");
    const card = await scoreRepo(cwd, values.store ? { store: values.store } : {});
    if (values.json) console.log(JSON.stringify(card, null, 2));
    else process.stdout.write(renderScore(card, values.all ? { evidence: Infinity, fixes: Infinity } : {}));
    // A card that had to leave files out is not a grade of the pipeline.
    for (const u of card.unreadable ?? []) console.error(`slipway score: ${u}`);
    if (card.unreadable?.length) return EXIT.usage;
    return min !== undefined && card.score < min ? EXIT.failure : EXIT.ok;
  } catch (e) {
    return fail(e, "score");
  }
}

function options(args: string[]) {
  return parseArgs({
    args,
    options: {
      json: { type: "boolean" },
      all: { type: "boolean" },
      min: { type: "string" },
      store: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
