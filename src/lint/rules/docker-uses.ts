// `uses: docker://image` with no tag and no digest runs whatever `latest` is when the job starts;
// an empty tag (`image:`) does not run at all.

import type { Scalar } from "yaml";
import { type LintContext, report } from "../context.js";
import { get, items, str } from "../source.js";

function checkUses(ctx: LintContext, node: Scalar | undefined): void {
  const uses = str(node)?.trim();
  if (!node || !uses?.startsWith("docker://") || uses.includes("${{")) return;
  const image = uses.slice("docker://".length);
  if (image.includes("@")) return; // by digest
  const last = image.split("/").pop() ?? "";
  if (last.endsWith(":")) {
    report(ctx, "docker-image-tag", node, `docker image '${image}' has an empty tag`, {
      severity: "error",
      fix: `name a tag or digest: docker://${image}<tag>`,
    });
  } else if (!last.includes(":")) {
    report(
      ctx,
      "docker-image-tag",
      node,
      `docker image '${image}' has no tag, so it runs whatever 'latest' is`,
      {
        fix: `name a tag or, better, a digest: docker://${image}:<tag> or docker://${image}@sha256:<digest>`,
      },
    );
  }
}

export function checkDockerUses(ctx: LintContext): void {
  if (!ctx.src.text.includes("docker://")) return;
  if (ctx.src.kind === "action") {
    for (const step of items(get(get(ctx.src.doc.contents, "runs"), "steps")))
      checkUses(ctx, get(step, "uses") as Scalar);
    return;
  }
  for (const job of ctx.model?.jobs.values() ?? []) for (const step of job.steps) checkUses(ctx, step.uses);
}
