// A container image named by tag (or by nothing, which is `latest`) is whatever the registry
// serves when the job starts: whoever can push that tag runs code inside the job. Only a digest
// (`image@sha256:…`) names fixed content.
import { isScalar, type Node } from "yaml";
import { entries, get, str } from "../source.js";
import { type AuditContext, report } from "./context.js";

const DIGEST = /@sha(256|512):[0-9a-f]{32,}$/i;

function flag(ctx: AuditContext, node: Node | undefined, what: string, image: string): void {
  if (!isScalar(node) || image === "" || image.includes("${{") || DIGEST.test(image)) return;
  const name = image.replace(/^docker:\/\//, "");
  const tag = /:([^/:]+)$/.exec(name)?.[1];
  const how = tag === undefined || tag === "latest" ? "by the moving tag latest" : `by tag ${tag}`;
  report(ctx, "unpinned-images", node, `${what} ${name} is named ${how}, not by digest`, {
    fix: `pin it by digest: ${name.replace(/:[^/:]+$/, "")}@sha256:<digest> (docker buildx imagetools inspect ${name} shows it)`,
  });
}

export function checkUnpinnedImages(ctx: AuditContext): void {
  const text = ctx.src.text;
  const docker = text.includes("docker://");
  if (!docker && !/\b(container|services)\s*:/.test(text)) return;
  for (const job of ctx.model?.jobs.values() ?? []) {
    const container = get(job.node, "container");
    const image = isScalar(container) ? container : get(container, "image");
    flag(ctx, image, "job container image", str(image) ?? "");
    for (const s of entries(get(job.node, "services"))) {
      const img = get(s.value, "image");
      flag(ctx, img, `service ${s.key} image`, str(img) ?? "");
    }
  }
  if (!docker) return;
  for (const step of ctx.steps) {
    const uses = str(step.uses)?.trim();
    if (uses?.startsWith("docker://")) flag(ctx, step.uses, "step image", uses);
  }
}
