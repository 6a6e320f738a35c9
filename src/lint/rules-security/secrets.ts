// Where secrets travel: expanded into script text (written to disk, shown in process lists and
// logs of `set -x`), printed, passed as command-line flags, handed to every step through the
// workflow env, or handed wholesale to a called workflow.
import { expressionsIn } from "../expr-scan.js";
import { entries, get, str } from "../source.js";
import { type AuditContext, type EnvEntry, report } from "./context.js";
import { valueRefs } from "./expr-taint.js";

const isSecretRef = (path: string) => path.startsWith("secrets.") || path === "github.token";
const secretNames = (expr: string) => valueRefs(expr).filter((r) => isSecretRef(r.path));

/** The line of `text` around `offset`. */
function lineAround(text: string, offset: number): { line: string; start: number } {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  const end = text.indexOf("\n", offset);
  return { line: text.slice(start, end < 0 ? text.length : end), start };
}

/** `echo`/`printf` whose output goes to the log (not into a pipe or a file). */
const PRINTS = /^\s*(?:-\s*)?(?:echo|printf|Write-Host|Write-Output)\b(?![^\n]*[|>])/i;

// Workflow and job env entries are shared by every step below them: each is read once.
const fromSecrets = new WeakMap<EnvEntry, boolean>();

function secretEnvNames(env: Map<string, EnvEntry>): string[] {
  const out: string[] = [];
  for (const [name, v] of env) {
    let secret = fromSecrets.get(v);
    if (secret === undefined) {
      const s = str(v.value);
      secret = !!s?.includes("${{") && secretsIn(s).length > 0;
      fromSecrets.set(v, secret);
    }
    if (secret) out.push(name);
  }
  return out;
}

/** Lines printing to the log: group 2 is what follows the command (a pipe or redirect: not the log). */
const PRINT_LINE = /^([ \t]*(?:echo|printf|Write-Host|Write-Output))\b(?![^\n]*[|>])([^\n]*)/gim;
/** A command-line flag that takes a credential, up to the `$` of its value. */
const SECRET_FLAG = /(?:--password|--token|--api-key|--apikey|--auth-token|(?<=\s)-p)(?:=|[ \t]+)["']?\$/g;
const WORD = /\w+/y;

/**
 * Whether the `$` at `at` starts `$NAME`, `${NAME}` or `$env:NAME` for one of `names` (compared
 * lower-cased when `fold`). The names are fixed patterns and the regexes static: a regex built per
 * set of names had to be compiled for nearly every step.
 */
function refersTo(text: string, at: number, names: Set<string>, fold: boolean): boolean {
  const word = (from: number) => {
    WORD.lastIndex = from;
    const w = WORD.exec(text)?.[0];
    return w === undefined ? undefined : fold ? w.toLowerCase() : w;
  };
  const anyName = names.has(""); // a name with no word characters matches any word
  const braced = text.charCodeAt(at + 1) === 123; // {
  const w = word(at + 1) ?? (braced ? word(at + 2) : undefined);
  if (w !== undefined && (anyName || names.has(w))) return true;
  const env = text.slice(at + 1, at + 5);
  if ((fold ? env.toLowerCase() : env) !== "env:") return false;
  const e = word(at + 5);
  return e !== undefined && (anyName || names.has(e));
}

/** Offsets in `script` of commands printing one of `names` and of flags passing one. */
export function secretEnvUses(script: string, names: string[]): { printed: number[]; flags: number[] } {
  const stripped = names.map((n) => n.replace(/[^\w]/g, ""));
  const folded = new Set(stripped.map((n) => n.toLowerCase()));
  const exact = new Set(stripped);
  const printed: number[] = [];
  for (const m of script.matchAll(PRINT_LINE)) {
    const rest = m.index + m[1]!.length;
    for (
      let d = script.indexOf("$", rest);
      d >= 0 && d < rest + m[2]!.length;
      d = script.indexOf("$", d + 1)
    ) {
      if (!refersTo(script, d, folded, true)) continue;
      printed.push(m.index + m[1]!.length - m[1]!.trimStart().length);
      break;
    }
  }
  const flags: number[] = [];
  const flag = new RegExp(SECRET_FLAG); // lastIndex is per scan
  for (let m = flag.exec(script); m; m = flag.exec(script)) {
    const dollar = m.index + m[0].length - 1;
    if (refersTo(script, dollar, exact, false)) {
      flags.push(m.index);
      flag.lastIndex = dollar + 1;
    } else flag.lastIndex = m.index + 1;
  }
  return { printed, flags };
}

function flagSecretEnvUse(
  ctx: AuditContext,
  run: NonNullable<AuditContext["steps"][number]["run"]>,
  names: string[],
) {
  if (!names.length || !run.range) return;
  const uses = secretEnvUses(ctx.src.text.slice(run.range[0], run.range[1]), names);
  for (const at of uses.printed) {
    report(ctx, "secret-exposure", run.range[0] + at, "prints a secret-backed variable to the log", {
      fix: "do not print secrets; masking misses transformed values",
    });
  }
  for (const at of uses.flags) {
    report(
      ctx,
      "secret-exposure",
      run.range[0] + at,
      "secret passed as a command-line argument (visible to other processes)",
      { fix: "pass it through an environment variable or stdin (e.g. --password-stdin)" },
    );
  }
}

export function checkSecrets(ctx: AuditContext): void {
  for (const step of ctx.steps) {
    const run = step.run;
    if (!run) continue;
    for (const found of expressionsIn(ctx.src.text, run)) {
      for (const ref of secretNames(found.expr)) {
        const at = found.offset + ref.index;
        const name = found.expr.slice(ref.index, ref.index + ref.length);
        const { line } = lineAround(ctx.src.text, at);
        const printed = PRINTS.test(line.replace(/^\s*run:\s*[|>]?[-+]?\s*/, ""));
        report(
          ctx,
          "secret-exposure",
          at,
          printed
            ? `${name} is printed to the log`
            : `${name} is expanded into the script text (written to disk, visible in the process list)`,
          {
            end: at + ref.length,
            fix: `set env: TOKEN: \${{ ${name} }} on the step and use "$TOKEN"${printed ? " without printing it" : ""}`,
          },
        );
      }
    }
    flagSecretEnvUse(ctx, run, secretEnvNames(step.env));
  }
  checkWorkflowEnv(ctx);
  for (const job of ctx.model?.jobs.values() ?? []) {
    const s = get(job.node, "secrets");
    if (str(s) === "inherit")
      report(ctx, "secrets-inherit", s, `job ${job.id} hands every repository secret to the called workflow`);
  }
}

function checkWorkflowEnv(ctx: AuditContext): void {
  if (ctx.src.kind !== "workflow") return;
  for (const e of entries(get(ctx.src.doc.contents, "env"))) {
    const v = str(e.value);
    if (!v?.includes("${{")) continue;
    for (const path of secretsIn(v)) {
      const token = /^(github\.token|secrets\.github_token)$/i.test(path);
      report(
        ctx,
        "workflow-env-secret",
        e.keyNode,
        token
          ? `${e.key}: the GITHUB_TOKEN is given to every step and action of the workflow`
          : `${e.key}: ${path} is given to every step and action of the workflow`,
      );
      break;
    }
  }
}

/** Secret references in a value with expressions, as written (`secrets.SENTRY`, `github.token`). */
function secretsIn(value: string): string[] {
  const out: string[] = [];
  for (const m of value.matchAll(/\$\{\{([\s\S]*?)\}\}/g))
    for (const r of secretNames(m[1]!)) out.push(m[1]!.slice(r.index, r.index + r.length));
  return out;
}
