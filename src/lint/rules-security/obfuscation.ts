// Ways of writing a workflow that hide what it does from a reader and from other rules:
// obfuscation (a uses: path with ./, .. or empty segments; an expression that is a constant) and
// misfeatures (the cmd shell, whose quoting has no grammar; setup-python's pip-install, which
// installs into the global interpreter; at the auditor persona, shells GitHub does not document).
import { isScalar, type Node } from "yaml";
import { memoByText } from "../memo.js";
import { get, str } from "../source.js";
import { type AuditContext, report, usesAction, withInput } from "./context.js";
import { fileExpressions } from "./expressions.js";
import { usesNodes } from "./pinning.js";

const FUNCTIONS = new Set(["format", "join", "tojson", "fromjson", "contains", "startswith", "endswith"]);
const LITERAL_WORDS = new Set(["true", "false", "null"]);
const STRINGS = /'(?:[^']|'')*'/g;
const MAYBE_CONSTANT =
  /\$\{\{\s*(?:['\d!(-]|true\b|false\b|null\b|format\s*\(|join\s*\(|tojson\s*\(|fromjson\s*\(|contains\s*\(|startswith\s*\(|endswith\s*\()|fromjson\s*\(\s*tojson/i;

/** What makes an expression a needless constant, or undefined when it is not one. */
const constantKind = memoByText(findConstant);

function findConstant(expr: string): string | undefined {
  if (/\bfromjson\s*\(\s*tojson\s*\(/i.test(expr)) return "fromJSON(toJSON(x)) is x";
  const strings = expr.match(STRINGS) ?? [];
  // `${{ '${{' }}` is how a literal ${{ is written: a needed constant.
  if (strings.some((s) => s.includes("${{") || s.includes("}}"))) return undefined;
  const rest = expr.replace(STRINGS, "''");
  const words = rest.match(/[A-Za-z_][\w.-]*/g) ?? [];
  for (const w of words) {
    const l = w.toLowerCase();
    if (!LITERAL_WORDS.has(l) && !FUNCTIONS.has(l)) return undefined;
  }
  // fromJSON('[...]') turns text into an array, number or boolean: a typed literal, not a disguise.
  if (/^\s*fromjson\s*\(\s*''\s*\)\s*$/i.test(rest)) return undefined;
  if (/^\s*format\s*\(/i.test(rest)) return "format() of constants only is a constant";
  return "an expression with no context in it is a constant";
}

export function checkObfuscation(ctx: AuditContext): void {
  for (const node of usesNodes(ctx)) {
    const v = str(node)?.trim();
    if (!v || v.startsWith("./") || v.startsWith("../") || v.startsWith("docker://") || v.includes("${{"))
      continue;
    const at = v.lastIndexOf("@");
    const segments = (at < 0 ? v : v.slice(0, at)).split("/");
    const odd = segments.filter((s) => s === "" || s === "." || s === "..");
    if (odd.length)
      report(
        ctx,
        "obfuscation",
        node,
        `uses: path '${v}' has ${odd.map((s) => `'${s}'`).join(", ")} segments`,
        {
          fix: "write the path without empty, . or .. segments",
        },
      );
  }
  // Walking every expression costs; a constant starts with a literal or a function (or holds
  // fromJSON(toJSON(...))), which a look at the text finds first.
  if (!MAYBE_CONSTANT.test(ctx.src.text)) return;
  for (const { found, inIf } of fileExpressions(ctx.src)) {
    // A constant if: is lint's if-constant.
    if (inIf || !found.closed) continue;
    const kind = constantKind(found.expr);
    if (!kind) continue;
    report(ctx, "obfuscation", found.offset, `\${{ ${found.expr.trim()} }}: ${kind}`, {
      end: found.offset + found.expr.length,
      fix: "write the value itself, without ${{ }}",
    });
  }
}

const DOCUMENTED_SHELLS = new Set(["bash", "sh", "pwsh", "powershell", "python", "cmd"]);

function checkShell(ctx: AuditContext, node: Node | undefined): void {
  if (!isScalar(node) || typeof node.value !== "string" || node.value.includes("${{")) return;
  const first = node.value.trim().split(/\s+/)[0]!.toLowerCase();
  if (/^cmd(\.exe)?$/.test(first)) {
    report(
      ctx,
      "misfeature",
      node,
      "shell: cmd has no quoting grammar: what a script does with its input is guesswork",
      {
        fix: "use pwsh (the Windows default) or bash",
      },
    );
  } else if (!DOCUMENTED_SHELLS.has(first)) {
    report(
      ctx,
      "misfeature",
      node,
      `shell '${node.value.trim()}' is not one GitHub documents: runners may lack it`,
      {
        persona: "auditor",
        fix: "use bash, pwsh or python, or install the interpreter in an earlier step",
      },
    );
  }
}

export function checkMisfeatures(ctx: AuditContext): void {
  for (const step of ctx.steps) {
    if (!usesAction(step, "actions/setup-python")) continue;
    const pip = withInput(step, "pip-install");
    if (pip)
      report(ctx, "misfeature", pip, "setup-python's pip-install puts packages into the global interpreter", {
        fix: "install in a run: step into a virtual environment: python -m venv .venv && .venv/bin/pip install ...",
      });
  }
  if (!/\bshell\s*:/.test(ctx.src.text)) return;
  const root = ctx.src.doc.contents;
  for (const step of ctx.steps) checkShell(ctx, get(step.node, "shell"));
  if (ctx.src.kind !== "workflow") return;
  checkShell(ctx, get(get(get(root, "defaults"), "run"), "shell"));
  for (const job of ctx.model?.jobs.values() ?? [])
    checkShell(ctx, get(get(get(job.node, "defaults"), "run"), "shell"));
}
