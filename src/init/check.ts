// After init: Slipway's own `lint --audit` and `score` on the result, in this process. A dry run
// checks a scratch copy of the repository with the generated files in place of its own.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { Finding } from "../lint/finding.js";
import { lintRepoDetailed } from "../lint/index.js";
import { type ScoreCard, scoreRepo } from "../lint/score.js";
import type { OutFile } from "./steps.js";

export interface CheckResult {
  findings: Finding[];
  sources: Map<string, string>;
  card: ScoreCard;
}

const HEAVY = new Set([".git", "node_modules", "target", "dist", ".slipway", "__pycache__", ".venv"]);

export async function check(root: string, store: string | undefined): Promise<CheckResult> {
  const lint = await lintRepoDetailed(root, [], { audit: store ? { store } : {} });
  const card = await scoreRepo(root, store ? { store } : {});
  return { findings: lint.findings, sources: lint.sources, card };
}

/** check() on a copy of the repository with `files` written into it; the copy is removed. */
export async function checkCopy(
  root: string,
  files: OutFile[],
  store: string | undefined,
): Promise<CheckResult> {
  const scratch = mkdtempSync(join(tmpdir(), "slipway-init-"));
  const copy = join(scratch, basename(root));
  try {
    cpSync(root, copy, { recursive: true, filter: (src) => !HEAVY.has(basename(src)) });
    for (const f of files) {
      mkdirSync(dirname(join(copy, f.path)), { recursive: true });
      writeFileSync(join(copy, f.path), f.text);
    }
    return await check(copy, store);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
