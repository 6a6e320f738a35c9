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

// Steps of one job share their secret-backed names: each set's patterns are compiled once.
const compiled = new Map<string, [RegExp, RegExp]>();

/** Lines that print one of the names `alt` (a|b|c), and command-line flags that pass one. */
function patternsFor(alt: string): [RegExp, RegExp] {
  let p = compiled.get(alt);
  if (!p) {
    const ref = `(?:\\$\\{?(?:${alt})\\b\\}?|\\$env:(?:${alt})\\b)`;
    p = [
      new RegExp(`^[ \\t]*(?:echo|printf|Write-Host|Write-Output)\\b(?![^\\n]*[|>])[^\\n]*?${ref}`, "gim"),
      new RegExp(
        `(?:--password|--token|--api-key|--apikey|--auth-token|(?<=\\s)-p)(?:=|[ \\t]+)["']?${ref}`,
        "g",
      ),
    ];
    if (compiled.size > 256) compiled.clear();
    compiled.set(alt, p);
  }
  return p;
}

function flagSecretEnvUse(
  ctx: AuditContext,
  run: NonNullable<AuditContext["steps"][number]["run"]>,
  names: string[],
) {
  if (!names.length || !run.range) return;
  const raw = ctx.src.text.slice(run.range[0], run.range[1]);
  const [printed, flag] = patternsFor(names.map((n) => n.replace(/[^\w]/g, "")).join("|"));
  for (const m of raw.matchAll(printed)) {
    const at = run.range[0] + m.index + m[0].length - m[0].trimStart().length;
    report(ctx, "secret-exposure", at, "prints a secret-backed variable to the log", {
      fix: "do not print secrets; masking misses transformed values",
    });
  }
  for (const m of raw.matchAll(flag)) {
    report(
      ctx,
      "secret-exposure",
      run.range[0] + m.index,
      "secret passed as a command-line argument (visible to other processes)",
      {
        fix: "pass it through an environment variable or stdin (e.g. --password-stdin)",
      },
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
