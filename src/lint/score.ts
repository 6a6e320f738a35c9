// `slipway score`: a 0-100 card in six categories. Every check says why it earned what it did,
// pointing at audit/lint findings or at the YAML that shows a feature, and what would raise it.
import { auditRepo } from "./audit.js";
import type { Finding } from "./finding.js";
import { lintRepoDetailed } from "./index.js";
import { collectFacts, type Evidence, type Feature, type PipelineFacts } from "./score-facts.js";

export interface Check {
  id: string;
  title: string;
  points: number;
  max: number;
  reason: string;
  evidence: Evidence[];
  fix?: string;
}

export interface Category {
  id: string;
  name: string;
  points: number;
  max: number;
  checks: Check[];
}

export interface ScoreCard {
  score: number;
  max: 100;
  categories: Category[];
  /** Checks below their maximum, most points to gain first. */
  fixes: { check: string; category: string; gain: number; fix: string }[];
  /** Which analyses fed the card. */
  sources: { audit: boolean; lint: boolean };
  /** Files that could not be read as workflows at all (binary, not UTF-8, too big, alias bombs). */
  unreadable?: string[];
}

interface Inputs {
  facts: PipelineFacts;
  audit: Finding[];
  lint: Finding[] | undefined;
}

const fromFinding = (f: Finding): Evidence => ({
  file: f.file,
  line: f.line,
  col: f.col,
  detail: `${f.severity} ${f.rule}: ${f.message}`,
});

type Spec = (i: Inputs) => Omit<Check, "id" | "title" | "max"> & { fix: string };

/** A yes/no feature: full points with its evidence, else none and the fix. */
const has =
  (feature: Feature, max: number, yes: string, no: string, fix: string): Spec =>
  ({ facts }) => {
    const ev = facts.features[feature];
    return ev.length
      ? { points: max, reason: yes, evidence: ev, fix }
      : { points: 0, reason: no, evidence: [], fix };
  };

/** Points in proportion to a share; full points when nothing applies. */
const share = (max: number, good: number, all: number) => (all === 0 ? max : Math.round((max * good) / all));

const AUDIT_OWN = new Set([
  "unpinned-action",
  "missing-permissions",
  "excessive-permissions",
  "long-lived-token",
]);

const CATEGORIES: {
  id: string;
  name: string;
  checks: { id: string; title: string; max: number; spec: Spec }[];
}[] = [
  {
    id: "security",
    name: "Security",
    checks: [
      {
        id: "audit-clean",
        title: "no high-risk audit findings",
        max: 8,
        spec: ({ audit }) => {
          const errors = audit.filter((f) => f.severity === "error");
          // A low-confidence warning is a lead to look at, not a risk to count.
          const warns = audit.filter(
            (f) => f.severity === "warning" && f.confidence !== "low" && !AUDIT_OWN.has(f.rule),
          );
          const points = Math.max(0, 8 - 3 * errors.length - warns.length);
          return {
            points,
            reason: `${errors.length} audit error(s), ${warns.length} other warning(s)`,
            evidence: [...errors, ...warns].map(fromFinding),
            fix: `fix what 'slipway audit' reports${errors[0] ? `, starting with ${errors[0].rule}` : ""}`,
          };
        },
      },
      {
        id: "sha-pinning",
        title: "dependencies pinned (actions, images, installs)",
        max: 5,
        spec: ({ facts, audit }) => {
          // As Scorecard's Pinned-Dependencies: container images without a digest and tools
          // installed in run: steps without a version count against it, beside the actions.
          const loose = audit.filter((f) => f.rule === "unpinned-images" || f.rule === "adhoc-packages");
          const all = facts.remoteUses.length + loose.length;
          const pinned = facts.pinnedUses.length;
          const unpinned = facts.remoteUses.filter(
            (u) => !facts.pinnedUses.some((p) => p.file === u.file && p.line === u.line),
          );
          const images = loose.filter((f) => f.rule === "unpinned-images").length;
          return {
            points: share(5, pinned, all),
            reason: `${pinned} of ${facts.remoteUses.length} remote uses pinned to a full SHA${loose.length ? `; ${images} image(s) without a digest, ${loose.length - images} install(s) without a version` : ""}`,
            evidence: pinned === all ? facts.pinnedUses : [...unpinned, ...loose.map(fromFinding)],
            fix: "run 'slipway pin' (and keep it with 'slipway pin --check'); pin images by digest and installed tools by version",
          };
        },
      },
      {
        id: "token-permissions",
        title: "least-privilege GITHUB_TOKEN",
        max: 5,
        spec: ({ facts, audit }) => {
          const bad = audit.filter(
            (f) => f.rule === "missing-permissions" || f.rule === "excessive-permissions",
          );
          const files = new Set(bad.map((f) => f.file)).size;
          return {
            points: share(5, facts.workflows - files, facts.workflows),
            reason: `${facts.workflows - files} of ${facts.workflows} workflows declare narrow permissions`,
            evidence: bad.map(fromFinding),
            fix: "add 'permissions: contents: read' to each workflow and grant writes per job",
          };
        },
      },
      {
        id: "trusted-publishing",
        title: "trusted publishing instead of registry tokens",
        max: 4,
        spec: ({ facts, audit }) => {
          const tokens = audit.filter((f) => f.rule === "long-lived-token");
          const fix = "publish with OIDC trusted publishing (id-token: write) and delete the registry tokens";
          if (tokens.length)
            return {
              points: 0,
              reason: `${tokens.length} long-lived registry token(s)`,
              evidence: tokens.map(fromFinding),
              fix,
            };
          const tp = facts.features["trusted-publishing"];
          if (tp.length) return { points: 4, reason: "publishes with OIDC", evidence: tp, fix };
          if (!facts.features.publishes.length)
            return { points: 4, reason: "publishes nothing to a registry", evidence: [], fix };
          return {
            points: 2,
            reason: "publishes, but not with id-token: write",
            evidence: facts.features.publishes,
            fix,
          };
        },
      },
      {
        id: "security-scan",
        title: "dependency or code scanning",
        max: 3,
        spec: has(
          "security-scan",
          3,
          "scans dependencies or code",
          "no security scanner runs",
          "add a scheduled job with cargo audit / pip-audit / npm audit, CodeQL or 'slipway audit'",
        ),
      },
    ],
  },
  {
    id: "release",
    name: "Release process",
    checks: [
      {
        id: "release-automation",
        title: "releases built by a workflow",
        max: 5,
        spec: has(
          "release-trigger",
          5,
          "a workflow releases on tags/releases",
          "no tag- or release-triggered workflow",
          "add a release workflow triggered by 'push: tags: [v*]' that builds and publishes",
        ),
      },
      {
        id: "versioning",
        title: "versions and changelog from commits",
        max: 5,
        spec: has(
          "versioning",
          5,
          "versions are automated",
          "versions and changelog are manual",
          "adopt semantic-release, release-please, release-plz or changesets",
        ),
      },
      {
        id: "signing",
        title: "signed releases or provenance",
        max: 4,
        spec: has(
          "signing",
          4,
          "artifacts are signed or attested",
          "releases are neither signed nor attested",
          "add actions/attest-build-provenance (attestations: write) or cosign/GPG signatures",
        ),
      },
      {
        id: "environments",
        title: "deployment environments",
        max: 3,
        spec: has(
          "environments",
          3,
          "publishing goes through environments",
          "no job uses an environment",
          "publish from a job with 'environment:' that has required reviewers",
        ),
      },
      {
        id: "publish-gated",
        title: "publishing waits for tests",
        max: 3,
        spec: has(
          "publish-gated",
          3,
          "publish jobs need earlier jobs",
          "nothing gates publishing",
          "make the publish job 'needs:' the build and test jobs",
        ),
      },
    ],
  },
  {
    id: "testing",
    name: "Testing quality",
    checks: [
      {
        id: "tests",
        title: "tests run in CI",
        max: 7,
        spec: has(
          "tests",
          7,
          "tests run in CI",
          "no test command found",
          "run the test suite (cargo test, pytest, npm test...) in a CI workflow",
        ),
      },
      {
        id: "tests-on-pr",
        title: "tests run on pull requests",
        max: 3,
        spec: has(
          "tests-on-pr",
          3,
          "pull requests are tested",
          "pull requests are not tested",
          "trigger the test workflow on pull_request",
        ),
      },
      {
        id: "static-analysis",
        title: "linters and formatters",
        max: 4,
        spec: has(
          "static-analysis",
          4,
          "static analysis runs",
          "no linter or format check runs",
          "run clippy/ruff/eslint and a format check in CI",
        ),
      },
      {
        id: "coverage",
        title: "coverage measured",
        max: 3,
        spec: has(
          "coverage",
          3,
          "coverage is measured",
          "coverage is not measured",
          "measure coverage (cargo llvm-cov, pytest --cov, c8) and upload it",
        ),
      },
      {
        id: "coverage-gate",
        title: "coverage gate",
        max: 3,
        spec: has(
          "coverage-gate",
          3,
          "a coverage threshold fails the build",
          "no coverage threshold",
          "fail below a threshold (--fail-under 80, Codecov target)",
        ),
      },
    ],
  },
  {
    id: "efficiency",
    name: "Build efficiency",
    checks: [
      {
        id: "caching",
        title: "dependency caching",
        max: 5,
        spec: (input) => {
          const r = has(
            "caching",
            5,
            "dependencies are cached",
            "nothing is cached",
            "cache dependencies (Swatinem/rust-cache, setup-* 'cache:' input) in CI jobs",
          )(input);
          // A crate with no dependency has nothing to cache: no point lost, no advice to add one.
          const none = input.facts.nothingToCache;
          return r.points || !none ? r : { ...r, points: 5, reason: `nothing to cache: ${none}` };
        },
      },
      {
        id: "timeouts",
        title: "job timeouts",
        max: 4,
        spec: ({ facts }) => {
          const all = facts.jobs.length;
          const ok = facts.jobsWithTimeout.length;
          const missing = facts.jobs.filter(
            (j) =>
              !facts.jobsWithTimeout.some((t) => t.file === j.file && t.detail.startsWith(`${j.detail} `)),
          );
          return {
            points: share(4, ok, all),
            reason: `${ok} of ${all} jobs set timeout-minutes`,
            evidence: ok === all ? facts.jobsWithTimeout : missing,
            fix: "set timeout-minutes on every job (the default is 360)",
          };
        },
      },
      {
        id: "concurrency",
        title: "superseded runs cancelled",
        max: 3,
        spec: ({ facts }) => ({
          points: share(3, facts.ciWithConcurrency.length, facts.ciWorkflows.length),
          reason: `${facts.ciWithConcurrency.length} of ${facts.ciWorkflows.length} push/PR workflows set concurrency`,
          evidence: facts.ciWithConcurrency.length ? facts.ciWithConcurrency : facts.ciWorkflows,
          fix: "add 'concurrency: { group: ${{ github.workflow }}-${{ github.ref }}, cancel-in-progress: true }'",
        }),
      },
      {
        id: "artifacts",
        title: "build once, reuse artifacts",
        max: 3,
        spec: ({ facts }) => {
          const up = facts.features["artifacts-upload"];
          const down = facts.features["artifacts-download"];
          const fix = "upload build outputs once and download them in test and publish jobs";
          if (up.length && down.length)
            return {
              points: 3,
              reason: "artifacts are passed between jobs",
              evidence: [...up, ...down],
              fix,
            };
          if (up.length)
            return { points: 1, reason: "artifacts are uploaded but never reused", evidence: up, fix };
          return { points: 0, reason: "no artifacts", evidence: [], fix };
        },
      },
    ],
  },
  {
    id: "platforms",
    name: "Platform coverage",
    checks: [
      {
        id: "matrix",
        title: "build matrix",
        max: 3,
        spec: has(
          "matrix",
          3,
          "jobs run over a matrix",
          "no matrix",
          "test over a strategy.matrix of versions and platforms",
        ),
      },
      {
        id: "operating-systems",
        title: "Linux, macOS and Windows",
        max: 4,
        spec: ({ facts }) => {
          const oses = (["linux", "macos", "windows"] as const).filter((o) => facts.features[o].length);
          const points = [0, 1, 2, 4][oses.length]!;
          return {
            points,
            reason: oses.length ? `runs on ${oses.join(", ")}` : "no known runner OS",
            evidence: oses.map((o) => facts.features[o][0]!),
            fix: "add the missing operating systems to the matrix (ubuntu-latest, macos-latest, windows-latest)",
          };
        },
      },
      {
        id: "arm64",
        title: "ARM64",
        max: 3,
        spec: has(
          "arm64",
          3,
          "builds or tests on ARM64",
          "no ARM64 runner or target",
          "add ubuntu-24.04-arm or macos-latest (Apple Silicon) or an aarch64 target",
        ),
      },
    ],
  },
  {
    id: "maintainability",
    name: "Maintainability",
    checks: [
      {
        id: "lint-clean",
        title: "workflows pass slipway lint",
        max: 5,
        spec: ({ lint }) => {
          const fix = "fix what 'slipway lint' reports";
          if (!lint) return { points: 0, reason: "lint did not run", evidence: [], fix };
          const errors = lint.filter((f) => f.severity === "error");
          const warns = lint.filter((f) => f.severity === "warning");
          return {
            points: Math.max(0, 5 - errors.length - Math.floor(warns.length / 3)),
            reason: `${errors.length} lint error(s), ${warns.length} warning(s)`,
            evidence: [...errors, ...warns].map(fromFinding),
            fix,
          };
        },
      },
      {
        id: "reuse",
        title: "composite actions or reusable workflows",
        max: 3,
        spec: has(
          "reuse",
          3,
          "shared steps live in one place",
          "no composite actions or reusable workflows",
          "move repeated setup steps into .github/actions/<name>/action.yml",
        ),
      },
      {
        id: "dependency-updates",
        title: "automated action updates",
        max: 2,
        spec: has(
          "dependency-updates",
          2,
          "action versions are updated automatically",
          "no Dependabot/Renovate for actions",
          "add .github/dependabot.yml with package-ecosystem: github-actions",
        ),
      },
    ],
  },
];

export function scoreCard(inputs: Inputs): ScoreCard {
  const categories: Category[] = CATEGORIES.map((c) => {
    const checks = c.checks.map(({ id, title, max, spec }) => {
      const r = spec(inputs);
      const check: Check = { id, title, points: r.points, max, reason: r.reason, evidence: r.evidence };
      if (r.points < max) check.fix = r.fix;
      return check;
    });
    return {
      id: c.id,
      name: c.name,
      points: checks.reduce((n, k) => n + k.points, 0),
      max: checks.reduce((n, k) => n + k.max, 0),
      checks,
    };
  });
  const fixes = categories
    .flatMap((c) =>
      c.checks
        .filter((k) => k.fix)
        .map((k) => ({ check: k.id, category: c.id, gain: k.max - k.points, fix: k.fix! })),
    )
    .sort((a, b) => b.gain - a.gain);
  return {
    score: categories.reduce((n, c) => n + c.points, 0),
    max: 100,
    categories,
    fixes,
    sources: { audit: true, lint: inputs.lint !== undefined },
  };
}

/** Scores the repository at `root`. Lint runs without shellcheck so the score does not depend on the machine. */
export async function scoreRepo(root: string, opts: { store?: string } = {}): Promise<ScoreCard> {
  const [facts, audit, lint] = await Promise.all([
    collectFacts(root),
    auditRepo(root, undefined, opts),
    lintRepoDetailed(root, undefined, { shellcheck: false }).then(
      (r) => r.findings,
      () => undefined,
    ),
  ]);
  const card = scoreCard({ facts, audit: audit.findings, lint });
  return audit.unreadable.length ? { ...card, unreadable: audit.unreadable } : card;
}
