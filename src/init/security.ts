// security.yml: dependency advisories (cargo-deny / RustSec, pip-audit, npm audit, govulncheck)
// and secret scanning, daily and on pull requests that change dependencies.
import type { Project } from "./detect.js";
import { checkout, type Gen, header, job, type OutFile, pyTool } from "./steps.js";

function paths(p: Project): string[] {
  const out: string[] = [];
  if (p.rust) out.push("Cargo.lock", "**/Cargo.toml", ...(p.deny ? ["deny.toml"] : []));
  if (p.python.length) out.push("**/pyproject.toml", "**/requirements*.txt");
  if (p.npm) out.push("**/package.json", "**/package-lock.json");
  if (p.go) out.push("**/go.mod", "**/go.sum");
  out.push(".github/workflows/security.yml");
  return out;
}

export function security(g: Gen): OutFile[] {
  const { project: p, uses } = g;
  const co = checkout(uses);
  const jobs: string[] = [];
  if (p.rust)
    jobs.push(
      job(
        {
          id: "cargo-deny",
          why: p.deny
            ? "RustSec advisories, licenses, bans and sources, as deny.toml configures them."
            : "RustSec advisories, banned and duplicate crates, and crate sources. Add a deny.toml\n(cargo deny init) to check licenses as well.",
          name: "cargo-deny",
          timeout: 15,
        },
        [
          co,
          `- uses: ${uses("taiki-e/install-action")}\n  with:\n    tool: cargo-deny`,
          p.deny ? "- run: cargo deny check" : "- run: cargo deny check advisories bans sources",
        ],
      ),
    );
  if (p.python.length)
    jobs.push(
      job(
        {
          id: "pip-audit",
          why: "Known vulnerabilities in the Python dependencies (PyPI advisory database).",
          name: "pip-audit",
          timeout: 15,
        },
        [
          co,
          `- uses: ${uses("actions/setup-python")}\n  with:\n    python-version: 3.x`,
          `- run: python -m pip install ${pyTool("pip-audit")}`,
          ...p.python.map((x) => `- run: pip-audit ${x.dir === "." ? "." : `./${x.dir}`}`),
        ],
      ),
    );
  if (p.npm?.root && p.npm.lockfile)
    jobs.push(
      job(
        {
          id: "npm-audit",
          why: "Known vulnerabilities in the npm dependencies you ship (dev dependencies left out).",
          name: "npm audit",
          timeout: 10,
        },
        [
          co,
          `- uses: ${uses("actions/setup-node")}\n  with:\n    node-version: lts/*`,
          "- run: npm audit --omit=dev --audit-level=high",
        ],
      ),
    );
  if (p.go)
    jobs.push(
      job(
        {
          id: "govulncheck",
          why: "Known vulnerabilities in the Go modules that the code calls.",
          timeout: 15,
        },
        [
          co,
          `- uses: ${uses("actions/setup-go")}\n  with:\n    go-version-file: ${p.go.dir === "." ? "go.mod" : `${p.go.dir}/go.mod`}`,
          "- run: go run golang.org/x/vuln/cmd/govulncheck@latest ./...",
        ],
      ),
    );
  jobs.push(
    job(
      {
        id: "secrets",
        why: "Secrets committed anywhere in the history (tokens, keys, passwords).\nOrganisations need a free GITLEAKS_LICENSE secret; personal repositories do not.",
        name: "secret scan",
        timeout: 10,
      },
      [
        checkout(uses, { "fetch-depth": "0" }),
        `- uses: ${uses("gitleaks/gitleaks-action")}\n  env:\n    GITHUB_TOKEN: \${{ github.token }}`,
      ],
    ),
  );
  const text = `${header(
    "Security: advisories in the dependencies and secrets in the history.",
    "Daily, because advisories appear without any change here; and on pull requests that change\ndependencies, so a vulnerable one is caught before it is merged.",
  )}
name: Security

on:
  schedule:
    - cron: "23 4 * * *"
  workflow_dispatch:
  pull_request:
    paths:
${paths(p)
  .map((x) => `      - ${JSON.stringify(x)}`)
  .join("\n")}

permissions: {}

concurrency:
  group: \${{ github.workflow }}-\${{ github.ref }}
  cancel-in-progress: true

jobs:
${jobs.join("\n\n")}
`;
  return [{ path: ".github/workflows/security.yml", text }];
}
