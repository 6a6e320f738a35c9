// Rules that judge a uses: by its name alone: archived repositories (no fixes will come),
// the forbidden-uses allow/deny list of .slipway.yml, and actions that do what a tool on the
// runner already does (each one more dependency to trust, zizmor's superfluous-actions).
import type { Scalar } from "yaml";
import { ARCHIVED_REPLACEMENTS, ARCHIVED_REPOS } from "../data/archived-actions.js";
import { str } from "../source.js";
import { type AuditContext, report } from "./context.js";
import type { Persona } from "./docs.js";
import { usesNodes } from "./pinning.js";

/** `owner/repo[/path]` and ref of a remote uses:, lower-cased name; undefined for local and docker. */
export function remoteName(node: Scalar): { name: string; ref: string } | undefined {
  const v = str(node)?.trim();
  if (!v || v.startsWith("./") || v.startsWith("../") || v.startsWith("docker://") || v.includes("${{"))
    return undefined;
  const at = v.lastIndexOf("@");
  const name = (at < 0 ? v : v.slice(0, at)).toLowerCase();
  return name.includes("/") ? { name, ref: at < 0 ? "" : v.slice(at + 1) } : undefined;
}

const repoOf = (name: string) => name.split("/").slice(0, 2).join("/");

export function checkArchivedUses(ctx: AuditContext): void {
  for (const node of usesNodes(ctx)) {
    const use = remoteName(node);
    if (!use) continue;
    const repo = repoOf(use.name);
    if (!ARCHIVED_REPOS.has(repo)) continue;
    const instead = ARCHIVED_REPLACEMENTS[repo];
    report(ctx, "archived-uses", node, `${repo} is archived on GitHub: it gets no fixes`, {
      ...(instead ? { fix: `use ${instead} instead` } : {}),
    });
  }
}

export function checkForbiddenUses(ctx: AuditContext): void {
  const rule = ctx.forbiddenUses;
  if (!rule) return;
  for (const node of usesNodes(ctx)) {
    const use = remoteName(node);
    if (!use) continue;
    const full = use.ref ? `${use.name}@${use.ref}` : use.name;
    if ("allow" in rule ? rule.allow(full) : !rule.deny(full)) continue;
    report(
      ctx,
      "forbidden-uses",
      node,
      "allow" in rule
        ? `${full} is not in the forbidden-uses allow list of the config`
        : `${full} is in the forbidden-uses deny list of the config`,
    );
  }
}

interface Superfluous {
  instead: string;
  /** When doing it by hand is clumsy (editing a comment by id, a pull request): pedantic, less sure. */
  persona?: Persona;
}

// zizmor's list (facts: which action, which preinstalled tool does the same).
const SUPERFLUOUS: Record<string, Superfluous> = {
  "ncipollo/release-action": { instead: "gh release create" },
  "softprops/action-gh-release": { instead: "gh release create" },
  "elgohr/github-release-action": { instead: "gh release create" },
  "svenstaro/upload-release-action": { instead: "gh release create and gh release upload" },
  "dacbd/create-issue-action": { instead: "gh issue create" },
  "actions-ecosystem/action-add-labels": { instead: "gh issue edit --add-label (or gh pr edit)" },
  "actions-ecosystem/action-remove-labels": { instead: "gh issue edit --remove-label (or gh pr edit)" },
  "addnab/docker-run-action": { instead: "docker run, or a container: step" },
  "sergeysova/jq-action": { instead: "jq" },
  "peter-evans/create-pull-request": { instead: "git and gh pr create", persona: "pedantic" },
  "peter-evans/create-or-update-comment": {
    instead: "gh pr comment or gh issue comment",
    persona: "pedantic",
  },
  "dtolnay/rust-toolchain": { instead: "rustup", persona: "pedantic" },
  "stefanzweifel/git-auto-commit-action": {
    instead: "git add, git commit and git push",
    persona: "pedantic",
  },
  "endbug/add-and-commit": { instead: "git add, git commit and git push", persona: "pedantic" },
};

export function checkSuperfluousActions(ctx: AuditContext): void {
  for (const step of ctx.steps) {
    if (!step.uses) continue;
    const use = remoteName(step.uses);
    const hit = use && SUPERFLUOUS[repoOf(use.name)];
    if (!hit) continue;
    report(
      ctx,
      "superfluous-actions",
      step.uses,
      `${repoOf(use.name)} can be replaced by ${hit.instead}, already on the runner`,
      {
        fix: `use ${hit.instead} in a run: step`,
        ...(hit.persona ? { persona: hit.persona, confidence: "low" } : {}),
      },
    );
  }
}
