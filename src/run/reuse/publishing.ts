// Whether a job publishes or deploys, as the audit's publishing rule recognises it: such a
// job is never reused (a second publish is the point of running it again, or an error).
import { Document, type Node } from "yaml";
import { jobAuditSteps } from "../../lint/rules-security/context.js";
import { publishedBy } from "../../lint/rules-security/publishing.js";
import type { TokenJson } from "../../workflow/token-json.js";

/** A token as plain YAML data; an expression as the text it was written as. */
function plain(t: TokenJson): unknown {
  switch (t.type) {
    case "string":
    case "number":
    case "boolean":
      return t.value;
    case "null":
    case "insert":
      return null;
    case "expression":
      return t.source ?? `\${{ ${t.expr} }}`;
    case "mapping":
      return Object.fromEntries(t.pairs.map(([k, v]) => [String(plain(k)), plain(v)]));
    case "sequence":
      return t.items.map(plain);
  }
}

/** What the job's steps publish (`npm`, `crates.io`, `GitHub release`, ...), or undefined. */
export function jobPublishes(body: TokenJson): string | undefined {
  const doc = new Document(plain(body));
  return publishedBy(jobAuditSteps(doc.contents as Node | undefined));
}
