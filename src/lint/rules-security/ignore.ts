// Suppressions: `# slipway-ignore: rule-id` (shared with lint), and zizmor's
// `# zizmor: ignore[rule]` for the rules both tools have, so a repository moving over keeps them.
import type { Finding } from "../finding.js";
import { isSuppressed, suppressions } from "../suppress.js";

const FROM_ZIZMOR: Record<string, string[]> = {
  "template-injection": ["template-injection"],
  "dangerous-triggers": ["untrusted-checkout", "dangerous-triggers"],
  "excessive-permissions": ["excessive-permissions", "missing-permissions"],
  "unpinned-uses": ["unpinned-action"],
  "ref-version-mismatch": ["pin-comment-mismatch", "pin-comment-missing"],
  "secrets-inherit": ["secrets-inherit"],
  "overprovisioned-secrets": ["overprovisioned-secrets"],
  "unredacted-secrets": ["unredacted-secrets"],
  "bot-conditions": ["bot-conditions"],
  "unsound-contains": ["unsound-contains"],
  "unsound-condition": ["unsound-condition"],
  "github-env": ["github-env"],
  "unpinned-images": ["unpinned-images"],
  "typosquat-uses": ["typosquat-uses"],
  "adhoc-packages": ["adhoc-packages"],
  artipacked: ["persist-credentials"],
  "cache-poisoning": ["cache-poisoning"],
  "self-hosted-runner": ["self-hosted-public", "self-hosted-runner"],
  "use-trusted-publishing": ["long-lived-token"],
  "insecure-commands": ["insecure-commands"],
  "secrets-outside-env": ["secrets-outside-env"],
  "concurrency-limits": ["concurrency-limits"],
  "anonymous-definition": ["anonymous-definition"],
  "undocumented-permissions": ["undocumented-permissions"],
  "archived-uses": ["archived-uses"],
  "forbidden-uses": ["forbidden-uses"],
  obfuscation: ["obfuscation"],
  misfeature: ["misfeature"],
  "superfluous-actions": ["superfluous-actions"],
  "dependabot-cooldown": ["dependabot-cooldown"],
  "dependabot-execution": ["dependabot-execution"],
};

const ZIZMOR = /#\s*zizmor:\s*ignore\[([\w,\s-]+)\]/;

export function auditSuppressor(text: string): (f: Finding) => boolean {
  const marks = suppressions(text);
  if (text.includes("zizmor:")) {
    text.split("\n").forEach((line, i) => {
      const m = ZIZMOR.exec(line);
      if (!m) return;
      const ours = m[1]!.split(",").flatMap((id) => FROM_ZIZMOR[id.trim()] ?? []);
      const set = marks.get(i + 1) ?? new Set<string>();
      for (const id of ours) set.add(id);
      marks.set(i + 1, set);
    });
  }
  return (f) => isSuppressed(f, marks);
}
