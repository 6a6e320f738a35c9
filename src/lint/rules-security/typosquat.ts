// `uses: action/checkout` or `actions/chekout`: one letter away from a popular action, and the
// misspelt owner or repository is one anyone can register and fill with code that runs in the job.
import { type AuditContext, report } from "./context.js";
import { POPULAR_ACTIONS } from "./popular-actions.js";

const POPULAR = new Set(POPULAR_ACTIONS);

/** Whether a and b differ by exactly one insertion, deletion, substitution or swap of neighbours. */
export function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  let ea = a.length;
  let eb = b.length;
  while (ea > i && eb > i && a[ea - 1] === b[eb - 1]) {
    ea--;
    eb--;
  }
  const da = ea - i;
  const db = eb - i;
  if (da <= 1 && db <= 1) return true; // one substitution, insertion or deletion
  return da === 2 && db === 2 && a[i] === b[i + 1] && a[i + 1] === b[i]; // a swap
}

const near = new Map<string, string | undefined>();

function lookalike(name: string): string | undefined {
  if (near.has(name)) return near.get(name);
  const hit = POPULAR.has(name) ? undefined : POPULAR_ACTIONS.find((p) => oneEditApart(name, p));
  near.set(name, hit);
  return hit;
}

export function checkTyposquat(ctx: AuditContext): void {
  for (const step of ctx.steps) {
    const [owner, repo] = step.action?.split("/") ?? [];
    if (!owner || !repo) continue;
    const hit = lookalike(`${owner}/${repo}`);
    if (hit)
      report(ctx, "typosquat-uses", step.uses, `${owner}/${repo} is one letter away from ${hit}`, {
        fix: `use ${hit} if that is what was meant; otherwise check who owns ${owner}/${repo}`,
      });
  }
}
