import { isMapping } from "@actions/workflow-parser";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { type Json, toStr, truthy } from "../expr/index.js";
import { field } from "../workflow/tokens.js";

// What holds a job back before it runs, as decisions of the plan: --matrix selection,
// container jobs, deployment environments and concurrency groups. run/ acts on them.

/**
 * The first `--matrix` key this leg fails, as `k=a or k=b`. Values given for one key are
 * alternatives; every key given must match (a leg without the key is not filtered).
 */
export function deselected(
  leg: Record<string, Json>,
  filter: Record<string, string[]> | undefined,
): string | undefined {
  for (const [k, vs] of Object.entries(filter ?? {}))
    if (k in leg && !vs.includes(toStr(leg[k]!))) return vs.map((v) => `${k}=${v}`).join(" or ");
  return undefined;
}

/** `environment: name` or `{ name, url }`, evaluated. */
export function environmentOf(v: Json): { name: string; url?: string } | undefined {
  if (typeof v === "string") return v ? { name: v } : undefined;
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const name = toStr(v.name ?? "");
    return name ? { name, url: v.url ? toStr(v.url) : undefined } : undefined;
  }
  return undefined;
}

/**
 * A job's `environment` as the plan knows it: the name (github, needs, strategy, matrix, vars,
 * inputs), and the url when it needs nothing more. A url reading steps, job, runner or env is
 * GitHub's to evaluate after the job's steps (src/run/job.ts environmentUrl): left out here.
 */
export function planEnvironment(
  tok: TemplateToken,
  evaluate: (t: TemplateToken) => Json,
): { name: string; url?: string } | undefined {
  if (!isMapping(tok)) return environmentOf(evaluate(tok));
  const nameTok = field(tok, "name");
  const name = nameTok ? toStr(evaluate(nameTok)) : "";
  if (!name) return undefined;
  const urlTok = field(tok, "url");
  if (!urlTok) return { name };
  try {
    const url = toStr(evaluate(urlTok));
    return url ? { name, url } : { name };
  } catch {
    return { name };
  }
}

export function concurrencyOf(c: Json): { group: string; cancel: boolean } | undefined {
  if (typeof c === "string") return c ? { group: c, cancel: false } : undefined;
  if (c && typeof c === "object" && !Array.isArray(c)) {
    const group = toStr(c.group ?? "");
    return group ? { group, cancel: truthy(c["cancel-in-progress"]) } : undefined;
  }
  return undefined;
}

/** Why a job with `container:` or `services:` does not run here. */
export function containerSkip(uses: "container" | "services"): string {
  return `the job uses \`${uses}:\`, which needs a container executor (this machine has none); skipped`;
}

/** Why a deployment that was not approved did not run. */
export function notApproved(environment: string): string {
  return `the job deploys to environment '${environment}', which on GitHub can require reviewers; approve it with --approve ${environment} (or --approve '*')`;
}
