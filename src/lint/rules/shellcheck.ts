// `run:` scripts checked by shellcheck when it is installed. Expressions are blanked to
// same-length placeholders so columns still line up, then findings are mapped back into the YAML.
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
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

/**
 * Whether the script runs with `-e`: GitHub runs `bash`, `sh` and the default shell with it, so
 * a failed `cd` stops the step and SC2164 (`cd ... || exit`) does not apply. A custom template
 * (`bash {0}`) has it only if it says so.
 */
export function runsWithErrexit(run: RunScript): boolean {
  const s = run.shell?.trim();
  if (s === undefined) return !run.windows;
  if (s === "bash" || s === "sh") return true;
  return /(^|\s)-[a-z]*e[a-z]*(\s|$)|-o\s+errexit\b/.test(s);
}

/**
 * The repository's shellcheck config, as shellcheck itself would find it for a script beside the
 * workflow: `.shellcheckrc` or `shellcheckrc` in the file's folder or any folder above it, up to
 * the repository root.
 */
export function findShellcheckrc(path: string, root: string): string | undefined {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    for (const name of [".shellcheckrc", "shellcheckrc"]) {
      if (existsSync(join(dir, name))) return join(dir, name);
    }
    if (dir === dirname(dir) || relative(root, dir) === "" || relative(root, dir).startsWith(".."))
      return undefined;
  }
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
    // The scripts are checked from a temp folder: the repository's config goes with them.
    const rc = findShellcheckrc(ctx.src.path, ctx.root);
    if (rc) await fsPromises().copyFile(rc, join(dir, ".shellcheckrc"));
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
      if (!run || c.line < 2 || (c.code === 2164 && runsWithErrexit(run))) continue;
      report(ctx, "shellcheck", scriptPos(ctx, run.node, c.line - 1, c.column), `SC${c.code}: ${c.message}`, {
        severity: c.level === "error" ? "error" : c.level === "warning" ? "warning" : "info",
      });
    }
  } finally {
    await fsPromises().rm(dir, { recursive: true, force: true });
  }
}
