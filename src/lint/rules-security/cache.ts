// Cache poisoning: caches are shared across branches, so code from any workflow run (a pull
// request included) can plant an entry that a tag-triggered release restores and ships.
import type { Node } from "yaml";
import { get, str } from "../source.js";
import { type AuditContext, type AuditStep, report, withInput } from "./context.js";
import { publishesIn } from "./publishing.js";

/** Whether the workflow runs for tags or releases. */
export function releaseTriggered(ctx: AuditContext): boolean {
  const t = ctx.model?.triggers;
  if (!t) return false;
  if (t.has("release")) return true;
  const push = t.get("push");
  return get(push, "tags") !== undefined && get(push, "branches") === undefined;
}

/** The node that turns a cache on in this step, if it restores one. */
export function cacheSwitch(step: AuditStep): Node | undefined {
  const name = step.action;
  if (!name) return undefined;
  const on = (key: string, dflt = false) => {
    const v = str(withInput(step, key));
    if (v === undefined) return dflt;
    return v !== "false" && v !== "";
  };
  if (name === "actions/cache" || name === "actions/cache/restore") return step.uses;
  if (name === "swatinem/rust-cache" || name === "mozilla-actions/sccache-action") return step.uses;
  if (/^actions\/setup-(node|python|java|dotnet)$/.test(name) && on("cache")) return withInput(step, "cache");
  if (name === "actions/setup-go" && on("cache", true)) return withInput(step, "cache") ?? step.uses;
  if (name === "astral-sh/setup-uv" && on("enable-cache")) return withInput(step, "enable-cache");
  if (name === "ruby/setup-ruby" && on("bundler-cache")) return withInput(step, "bundler-cache");
  if (name === "pyo3/maturin-action" && on("sccache")) return withInput(step, "sccache");
  if (name === "docker/build-push-action" && /type=gha/.test(str(withInput(step, "cache-from")) ?? ""))
    return withInput(step, "cache-from");
  return undefined;
}

export function checkCachePoisoning(ctx: AuditContext): void {
  if (!releaseTriggered(ctx)) return;
  const publish = publishesIn(ctx);
  if (!publish) return;
  for (const step of ctx.steps) {
    const at = cacheSwitch(step);
    if (!at) continue;
    report(ctx, "cache-poisoning", at, `cache restored in a release workflow that publishes (${publish})`, {
      fix: "remove the cache from release jobs (or set its cache input to false / lookup-only)",
    });
  }
}
