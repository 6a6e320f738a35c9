// Action versions whose Node.js runtime (node12, node16) GitHub has retired, archived actions,
// and local actions declared with those runtimes.
import { isScalar } from "yaml";
import { type LintContext, report } from "../context.js";
import { get, str } from "../source.js";

interface Retired {
  /** Majors up to and including this one are retired; Infinity for archived actions. */
  upTo: number;
  use: string;
}

const RETIRED: Record<string, Retired> = {
  "actions/checkout": { upTo: 3, use: "actions/checkout@v4 or later" },
  "actions/setup-node": { upTo: 3, use: "actions/setup-node@v4 or later" },
  "actions/setup-python": { upTo: 4, use: "actions/setup-python@v5 or later" },
  "actions/setup-go": { upTo: 3, use: "actions/setup-go@v5 or later" },
  "actions/setup-java": { upTo: 3, use: "actions/setup-java@v4 or later" },
  "actions/setup-dotnet": { upTo: 3, use: "actions/setup-dotnet@v4 or later" },
  "actions/cache": { upTo: 3, use: "actions/cache@v4 or later" },
  "actions/upload-artifact": { upTo: 3, use: "actions/upload-artifact@v4 or later" },
  "actions/download-artifact": { upTo: 3, use: "actions/download-artifact@v4 or later" },
  "actions/github-script": { upTo: 6, use: "actions/github-script@v7 or later" },
  "actions/stale": { upTo: 8, use: "actions/stale@v9 or later" },
  "actions/labeler": { upTo: 4, use: "actions/labeler@v5 or later" },
  "actions/configure-pages": { upTo: 3, use: "actions/configure-pages@v4 or later" },
  "actions/upload-pages-artifact": { upTo: 2, use: "actions/upload-pages-artifact@v3 or later" },
  "actions/deploy-pages": { upTo: 3, use: "actions/deploy-pages@v4 or later" },
  "github/codeql-action": { upTo: 2, use: "github/codeql-action@v3 or later" },
  "docker/build-push-action": { upTo: 4, use: "docker/build-push-action@v5 or later" },
  "docker/login-action": { upTo: 2, use: "docker/login-action@v3 or later" },
  "docker/setup-buildx-action": { upTo: 2, use: "docker/setup-buildx-action@v3 or later" },
  "docker/setup-qemu-action": { upTo: 2, use: "docker/setup-qemu-action@v3 or later" },
  "docker/metadata-action": { upTo: 4, use: "docker/metadata-action@v5 or later" },
  "actions/create-release": { upTo: Infinity, use: "`gh release create` in a run step" },
  "actions/upload-release-asset": { upTo: Infinity, use: "`gh release upload` in a run step" },
  "actions/setup-ruby": { upTo: Infinity, use: "ruby/setup-ruby" },
  "actions-rs/toolchain": { upTo: Infinity, use: "dtolnay/rust-toolchain or rustup in a run step" },
  "actions-rs/cargo": { upTo: Infinity, use: "cargo in a run step" },
};

/** Why `uses` is retired, or undefined. Commit SHAs and branches are not judged here. */
export function retiredAction(uses: string): string | undefined {
  const at = uses.lastIndexOf("@");
  if (at < 0 || uses.startsWith("./") || uses.startsWith("docker://")) return undefined;
  const repo = uses.slice(0, at).split("/").slice(0, 2).join("/").toLowerCase();
  const entry = RETIRED[repo];
  if (!entry) return undefined;
  if (entry.upTo === Infinity) return `${repo} is archived and runs on a retired Node.js; use ${entry.use}`;
  const m = /^v(\d+)(\.|$)/.exec(uses.slice(at + 1));
  if (!m || Number(m[1]) > entry.upTo) return undefined;
  return `${uses} runs on a Node.js version GitHub has retired; use ${entry.use}`;
}

export function checkDeprecatedActions(ctx: LintContext): void {
  const root = ctx.src.doc.contents;
  const steps =
    ctx.src.kind === "action"
      ? ((get(get(root, "runs"), "steps") as { items?: unknown[] } | undefined)?.items ?? [])
      : [...(ctx.model?.jobs.values() ?? [])].flatMap((j) => j.steps.map((s) => s.node));
  for (const step of steps) {
    const uses = get(step, "uses");
    const why = isScalar(uses) ? retiredAction(String(uses.value)) : undefined;
    if (why) report(ctx, "deprecated-action", uses, why);
  }
  if (ctx.src.kind === "action") {
    const using = get(get(root, "runs"), "using");
    const runtime = str(using);
    if (runtime && /^node(12|16)$/.test(runtime)) {
      report(ctx, "deprecated-action", using, `'using: ${runtime}' is retired on GitHub runners`, {
        fix: "use 'using: node20' or 'node24'",
      });
    }
  }
}
