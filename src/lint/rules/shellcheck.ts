// `run:` scripts checked by shellcheck when it is installed. Expressions are blanked to
// same-length placeholders so columns still line up, then findings are mapped back into the YAML.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childProcess, fsPromises } from "../../builtin.js";
import { type LintContext, report } from "../context.js";
import { type RunScript, runScripts, scriptPos } from "../scripts.js";

// SC1091: sourced files are not there; SC2050/SC2157/SC2194: blanked expressions look constant;
// SC2154: variables come from the step's env, which shellcheck cannot see.
const EXCLUDE = "SC1091,SC2050,SC2154,SC2157,SC2194";

interface ShellcheckComment {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  level: string;
  code: number;
  message: string;
}

function shellFor(run: RunScript): "bash" | "sh" | undefined {
  if (run.shell === undefined) return run.windows ? undefined : "bash";
  const name = run.shell.trim().split(/\s+/)[0]!.split("/").pop();
  return name === "bash" || name === "sh" ? name : undefined;
}

export function blankExpressions(script: string): string {
  return script.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => m.replace(/[^\n]/g, "_"));
}

function exec(bin: string, args: string[], input: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = childProcess().execFile(bin, args, { maxBuffer: 16 << 20 }, (err, stdout) => {
      const code = err ? ((err as { code?: unknown }).code ?? null) : 0;
      resolve({ code: typeof code === "number" ? code : null, stdout });
    });
    child.stdin?.on("error", () => {});
    child.stdin?.end(input);
  });
}

/** Whether `bin` runs; asked once per lint run. */
export async function shellcheckAvailable(bin: string): Promise<boolean> {
  const r = await exec(bin, ["--version"], "");
  return r.code === 0;
}

/**
 * One shellcheck process per YAML file: each script goes to its own temp file whose first line is
 * a shebang naming its shell, so script line N is file line N + 1.
 */
export async function checkShellcheck(ctx: LintContext, bin: string): Promise<void> {
  const scripts = runScripts(ctx).filter((r) => shellFor(r));
  if (scripts.length === 0) return;
  const dir = await fsPromises().mkdtemp(join(tmpdir(), "slipway-sc-"));
  try {
    const names = await Promise.all(
      scripts.map(async (run, i) => {
        const name = join(dir, `${i}.sh`);
        await fsPromises().writeFile(name, `#!/bin/${shellFor(run)}\n${blankExpressions(run.script)}`);
        return name;
      }),
    );
    const r = await exec(bin, ["--format=json1", `--exclude=${EXCLUDE}`, ...names], "");
    let comments: (ShellcheckComment & { file: string })[] = [];
    try {
      comments = (JSON.parse(r.stdout) as { comments: typeof comments }).comments;
    } catch {
      return;
    }
    for (const c of comments) {
      const run = scripts[names.indexOf(c.file)];
      if (!run || c.line < 2) continue;
      report(ctx, "shellcheck", scriptPos(ctx, run.node, c.line - 1, c.column), `SC${c.code}: ${c.message}`, {
        severity: c.level === "error" ? "error" : c.level === "warning" ? "warning" : "info",
      });
    }
  } finally {
    await fsPromises().rm(dir, { recursive: true, force: true });
  }
}
