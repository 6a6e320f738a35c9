// `run:` scripts checked by shellcheck when it is installed. Expressions are blanked to
// same-length placeholders so columns still line up, then findings are mapped back into the YAML.
import { execFile } from "node:child_process";
import { availableParallelism } from "node:os";
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
    const child = execFile(bin, args, { maxBuffer: 16 << 20 }, (err, stdout) => {
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

async function pool<T>(tasks: (() => Promise<T>)[], size: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, tasks.length) }, worker));
  return out;
}

export async function checkShellcheck(ctx: LintContext, bin: string): Promise<void> {
  const scripts = runScripts(ctx).filter((r) => shellFor(r));
  const results = await pool(
    scripts.map((run) => async () => {
      const args = ["--format=json1", `--shell=${shellFor(run)}`, `--exclude=${EXCLUDE}`, "-"];
      const r = await exec(bin, args, blankExpressions(run.script));
      try {
        return (JSON.parse(r.stdout) as { comments: ShellcheckComment[] }).comments;
      } catch {
        return [];
      }
    }),
    availableParallelism(),
  );
  scripts.forEach((run, i) => {
    for (const c of results[i]!) {
      const at = scriptPos(ctx, run.node, c.line, c.column);
      report(ctx, "shellcheck", at, `SC${c.code}: ${c.message}`, {
        severity: c.level === "error" ? "error" : c.level === "warning" ? "warning" : "info",
      });
    }
  });
}
