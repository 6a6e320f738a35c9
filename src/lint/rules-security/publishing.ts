// Long-lived registry tokens: PyPI, npm and crates.io accept short-lived OIDC credentials from
// GitHub Actions ("trusted publishing"), so a stored token is an avoidable secret that can leak.
import { str } from "../source.js";
import { type AuditContext, type AuditStep, type EnvEntry, report, withInput } from "./context.js";

interface Registry {
  name: string;
  /** A step publishes to this registry. */
  publishes: (step: AuditStep) => boolean;
  /** Env variables that carry a long-lived token for it. */
  tokenEnv: RegExp;
  /** Command-line flags that may carry one; group 1 is the value. */
  tokenFlag: RegExp;
  fix: string;
}

const scripts = new WeakMap<AuditStep, string>();
/**
 * The step's script without dry runs, which publish nothing (asked for by every registry); "" for
 * a script that names no publish, upload, release or push, which every pattern here needs.
 */
function script(s: AuditStep): string {
  let out = scripts.get(s);
  if (out === undefined) {
    const all = String(s.run?.value ?? "");
    out = !/publish|upload|release|push/.test(all)
      ? ""
      : all.includes("dry")
        ? all
            .split("\n")
            .filter((l) => !/--dry[-_]run\b/.test(l))
            .join("\n")
        : all;
    scripts.set(s, out);
  }
  return out;
}

export const REGISTRIES: Registry[] = [
  {
    name: "PyPI",
    publishes: (s) =>
      /\b(twine\s+upload|maturin\s+(publish|upload)|uv\s+publish|poetry\s+publish|flit\s+publish|hatch\s+publish)\b/.test(
        script(s),
      ) ||
      (s.action === "pyo3/maturin-action" && /^(upload|publish)$/.test(str(withInput(s, "command")) ?? "")),
    tokenEnv:
      /^(TWINE_PASSWORD|MATURIN_PYPI_TOKEN|MATURIN_PASSWORD|UV_PUBLISH_TOKEN|UV_PUBLISH_PASSWORD|POETRY_PYPI_TOKEN_\w+|FLIT_PASSWORD|HATCH_INDEX_AUTH|PYPI_TOKEN|PYPI_API_TOKEN)$/,
    tokenFlag: /(?:--password|--token)[ =]["']?(\$\{\{[^}]*\}\}|\S+)/,
    fix: "add a trusted publisher on pypi.org, grant 'id-token: write' and drop the token",
  },
  {
    name: "npm",
    publishes: (s) =>
      /\b(npm|pnpm|yarn(\s+npm)?)\s+publish\b/.test(script(s)) ||
      s.action === "js-devtools/npm-publish" ||
      // semantic-release publishes to npm when it is given an npm token
      (/\bsemantic-release\b/.test(script(s)) && (s.env.has("NPM_TOKEN") || s.env.has("NODE_AUTH_TOKEN"))),
    tokenEnv: /^(NODE_AUTH_TOKEN|NPM_TOKEN|NPM_AUTH_TOKEN|NPM_CONFIG_TOKEN)$/,
    tokenFlag: /_authToken=(\$\{\{[^}]*\}\}|\S+)/,
    fix: "add a trusted publisher on npmjs.com (npm >= 11.5), grant 'id-token: write' and drop the token",
  },
  {
    name: "crates.io",
    publishes: (s) => /\bcargo\s+(publish|release|ws\s+publish|workspaces\s+publish)\b/.test(script(s)),
    tokenEnv: /^CARGO_REGISTRY_TOKEN$/,
    tokenFlag: /--token[ =]["']?(\$\{\{[^}]*\}\}|\S+)/,
    fix: "use rust-lang/crates-io-auth-action with 'id-token: write' and a trusted publisher on crates.io",
  },
];

const fromSecret = (e: EnvEntry | undefined) => /\$\{\{[^}]*\bsecrets\./i.test(str(e?.value) ?? "");

/** A command-line value that is a secret: `${{ secrets.X }}` or `$X` where env X comes from one. */
function secretValued(value: string, step: AuditStep): boolean {
  if (/secrets\./.test(value)) return true;
  const v = /\$\{?(\w+)/.exec(value)?.[1];
  return v !== undefined && fromSecret(step.env.get(v));
}

/** What the workflow publishes, as a short phrase, or undefined. */
export function publishesIn(ctx: AuditContext): string | undefined {
  return publishedBy(ctx.steps);
}

/** What these steps publish, as a short phrase, or undefined (job reuse asks it of a job's steps). */
export function publishedBy(steps: readonly AuditStep[]): string | undefined {
  const found = new Set<string>();
  for (const s of steps) {
    for (const r of REGISTRIES) if (r.publishes(s)) found.add(r.name);
    const name = s.action;
    if (name === "pypa/gh-action-pypi-publish") found.add("PyPI");
    if (
      /^(softprops\/action-gh-release|ncipollo\/release-action|svenstaro\/upload-release-action)$/.test(
        name ?? "",
      )
    )
      found.add("GitHub release");
    if (/\bgh\s+release\s+(create|upload)\b/.test(script(s))) found.add("GitHub release");
    if (name === "docker/build-push-action" && str(withInput(s, "push")) === "true")
      found.add("container image");
    if (/\bdocker\s+(push|buildx\s+build[^\n]*--push)\b/.test(script(s))) found.add("container image");
    if (/\bgem\s+push\b/.test(script(s))) found.add("RubyGems");
  }
  return found.size ? [...found].join(", ") : undefined;
}

export function checkLongLivedTokens(ctx: AuditContext): void {
  for (const step of ctx.steps) {
    if (step.action === "pypa/gh-action-pypi-publish") {
      const pw = withInput(step, "password");
      const repo = str(withInput(step, "repository-url")) ?? "";
      if (pw && (!repo || /(^|\.)pypi\.org/.test(repo)))
        report(
          ctx,
          "long-lived-token",
          pw,
          "publishes to PyPI with an API token; PyPI supports trusted publishing",
          {
            fix: REGISTRIES[0]!.fix,
          },
        );
      continue;
    }
    for (const r of REGISTRIES) {
      if (!r.publishes(step)) continue;
      for (const [name, e] of step.env) {
        if (!r.tokenEnv.test(name) || !fromSecret(e)) continue;
        report(
          ctx,
          "long-lived-token",
          e.key,
          `${name} is a long-lived ${r.name} token; ${r.name} supports trusted publishing`,
          {
            fix: r.fix,
          },
        );
      }
      const m = step.run?.range
        ? r.tokenFlag.exec(ctx.src.text.slice(step.run.range[0], step.run.range[1]))
        : null;
      if (m && step.run?.range && secretValued(m[1]!, step))
        report(
          ctx,
          "long-lived-token",
          step.run.range[0] + m.index,
          `publishes to ${r.name} with a token on the command line`,
          {
            fix: r.fix,
          },
        );
    }
  }
}
