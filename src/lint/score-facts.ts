// What a pipeline has, with where: each detected feature keeps the file/line that shows it, so
// every point of `slipway score` can be traced to the YAML.
import { existsSync, readFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { isMap, type Node } from "yaml";
import { isSha } from "../action-store/ref.js";
import { discover } from "./index.js";
import { type JobInfo, workflowModel } from "./model.js";
import { cacheSwitch, releaseTriggered } from "./rules-security/cache.js";
import { type AuditContext, type AuditStep, stepsOf } from "./rules-security/context.js";
import { publishesIn } from "./rules-security/publishing.js";
import { runsOnLabels } from "./rules-security/runners.js";
import { get, keyNode, nodePos, parseSource, type SourceFile, str } from "./source.js";

export interface Evidence {
  file: string;
  line: number;
  col: number;
  detail: string;
}

export const FEATURES = [
  "tests",
  "tests-on-pr",
  "static-analysis",
  "coverage",
  "coverage-gate",
  "security-scan",
  "caching",
  "artifacts-upload",
  "artifacts-download",
  "matrix",
  "linux",
  "macos",
  "windows",
  "arm64",
  "publishes",
  "release-trigger",
  "trusted-publishing",
  "versioning",
  "signing",
  "environments",
  "publish-gated",
  "reuse",
  "dependency-updates",
] as const;
export type Feature = (typeof FEATURES)[number];

export interface PipelineFacts {
  workflows: number;
  actions: number;
  features: Record<Feature, Evidence[]>;
  /** Jobs that run steps (not reusable-workflow calls), and those of them with timeout-minutes. */
  jobs: Evidence[];
  jobsWithTimeout: Evidence[];
  /** Remote `uses:` (actions and reusable workflows), and those pinned to a full SHA. */
  remoteUses: Evidence[];
  pinnedUses: Evidence[];
  /** Workflows run on push or pull_request, and those of them with concurrency. */
  ciWorkflows: Evidence[];
  ciWithConcurrency: Evidence[];
  /** Why caching has nothing to do (a Rust crate with no dependencies), or undefined. */
  nothingToCache?: string;
}

const TESTS =
  /\b(cargo\s+(\+\S+\s+)?(test|nextest)|pytest|python\d?\s+-m\s+(pytest|unittest)|tox|nox|(npm|pnpm|yarn|bun)\s+(run\s+)?test|vitest|jest|go\s+test|mvn\b[^\n]*\b(test|verify)|gradlew?\s+[^\n]*\btest|ctest|make\s+(check|test)|deno\s+test|mix\s+test|dotnet\s+test|phpunit|rspec|rake\s+test)\b/;
const LINTERS =
  /\b(cargo\s+(\+\S+\s+)?clippy|cargo\s+(\+\S+\s+)?fmt\b[^\n]*--check|ruff\s+(check|format\s+--check)|eslint|biome\s+(check|ci|lint)|mypy|pyright|flake8|black\s+--check|prettier\s+(--check|-c)|golangci-lint|pre-commit\s+run|shellcheck|actionlint|tsc\s+--noEmit|pylint|rubocop|clang-tidy|typos|slipway\s+lint)\b/;
const LINT_ACTIONS =
  /^(pre-commit\/action|golangci\/golangci-lint-action|astral-sh\/ruff-action|chartboost\/ruff-action|rhysd\/actionlint|raven-actions\/actionlint|crate-ci\/typos|reviewdog\/.*)$/;
const COVERAGE =
  /(--cov\b|--cov=|coverage\s+run|cargo\s+(\+\S+\s+)?(tarpaulin|llvm-cov)|grcov|\bc8\b|\bnyc\b|--coverage\b|--experimental-test-coverage|jacoco|-coverprofile|-cover\b)/;
const COVERAGE_ACTIONS =
  /^(codecov\/codecov-action|coverallsapp\/github-action|qltysh\/qlty-action\/coverage)$/;
const COVERAGE_GATE =
  /(--fail-under|--cov-fail-under|--test-coverage-(?:lines|branches|functions)|fail_under|--fail-under-(lines|functions|regions)|check-coverage|--coverageThreshold|--min-coverage|coverage[^\n]*threshold)/i;
// Fuzzing counts as a security scan (Scorecard's Fuzzing check): cargo fuzz, atheris, jazzer, ClusterFuzzLite.
const SCANNERS =
  /\b(cargo\s+(audit|deny|fuzz\s+run)|pip-audit|(npm|pnpm|yarn)\s+audit|zizmor|trivy|gitleaks|osv-scanner|safety\s+check|bandit|semgrep|govulncheck|slipway\s+audit|atheris|jazzer|go\s+test\b[^\n]*-fuzz\b)\b/;
const SCAN_ACTIONS =
  /^(google\/clusterfuzzlite\/actions\/.*|google\/oss-fuzz\/infra\/cifuzz\/actions\/.*|github\/codeql-action\/.*|zizmorcore\/zizmor-action|woodruffw\/zizmor-action|ossf\/scorecard-action|actions\/dependency-review-action|aquasecurity\/trivy-action|gitleaks\/gitleaks-action|rustsec\/audit-check|embarkstudios\/cargo-deny-action|returntocorp\/semgrep-action|semgrep\/semgrep-action|google\/osv-scanner-action.*|pypa\/gh-action-pip-audit|snyk\/actions.*)$/;
const VERSIONING =
  /\b(slipway\s+release|semantic-release|release-please|changeset\s+(version|publish)|changesets|release-plz|cargo[- ]release|git-cliff|conventional-changelog|knope|cz\s+bump|commitizen|goreleaser)\b/;
const VERSIONING_ACTIONS =
  /^(googleapis\/release-please-action|google-github-actions\/release-please-action|changesets\/action|release-plz\/action|python-semantic-release\/python-semantic-release|cycjimmy\/semantic-release-action|orhun\/git-cliff-action|goreleaser\/goreleaser-action|amannn\/action-semantic-pull-request)$/;
// An SBOM made for a release counts with signatures and provenance (what a consumer can verify).
const SIGNING =
  /\b(cosign\s+(sign|attest)|gpg\b[^\n]*(--detach-sign|-b\b|--clearsign|--sign)|minisign|--provenance|sigstore|syft\b[^\n]*-o|cyclonedx[-\w]*|cargo\s+(cyclonedx|sbom)|spdx-sbom-generator|slipway\s+publish)\b/;
const SIGN_ACTIONS =
  /^(anchore\/sbom-action|CycloneDX\/gh-[\w-]+|actions\/attest-build-provenance|actions\/attest|actions\/attest-sbom|slsa-framework\/slsa-github-generator\/.*|sigstore\/.*|crazy-max\/ghaction-import-gpg)$/;
const REPO_VERSIONING = [
  ".releaserc",
  ".releaserc.json",
  ".releaserc.yml",
  "release.config.js",
  "release-please-config.json",
  ".changeset/config.json",
  "cliff.toml",
  "release-plz.toml",
  ".goreleaser.yml",
  ".goreleaser.yaml",
];
const RENOVATE = [
  "renovate.json",
  "renovate.json5",
  ".github/renovate.json",
  ".github/renovate.json5",
  ".renovaterc",
  ".renovaterc.json",
];
const OS: [Feature, RegExp][] = [
  ["linux", /ubuntu|linux/i],
  ["macos", /macos|mac-|osx/i],
  ["windows", /windows|win-/i],
  ["arm64", /arm64|aarch64|-arm\b|\barm\b|macos-(1[4-9]|latest)/i],
];

function emptyFeatures(): Record<Feature, Evidence[]> {
  return Object.fromEntries(FEATURES.map((f) => [f, []])) as unknown as Record<Feature, Evidence[]>;
}

/** `npm test`, `npm run lint`, `yarn lint`, `pnpm run check`, `make lint`: the script a step runs by name. */
const SCRIPT_CALL = /\b(?:(npm|pnpm|yarn|bun)\s+(?:run(?:-script)?\s+)?([\w:.-]+)|(make)\s+([\w.-]+))/g;
const PKG_LINTERS =
  /\b(xo|eslint|standard|tslint|stylelint|biome\s+(?:check|ci|lint)|prettier\s+(?:--check|-c)|tsc\s+--noEmit|oxlint|ruff|flake8|pylint|mypy|clippy)\b/;

class Collector {
  /** Scripts steps run by name, resolved against package.json and Makefile once the root is known. */
  private scriptCalls: { tool: string; name: string; at: Evidence }[] = [];

  readonly facts: PipelineFacts = {
    workflows: 0,
    actions: 0,
    features: emptyFeatures(),
    jobs: [],
    jobsWithTimeout: [],
    remoteUses: [],
    pinnedUses: [],
    ciWorkflows: [],
    ciWithConcurrency: [],
  };
  src!: SourceFile;

  at(node: Node | undefined, detail: string): Evidence {
    const p = nodePos(this.src, node);
    return { file: this.src.file, line: p.line, col: p.col, detail };
  }

  add(f: Feature, node: Node | undefined, detail: string): void {
    this.facts.features[f].push(this.at(node, detail));
  }

  /** `ci`: the step runs in a push/PR workflow or a composite action, where caching belongs. */
  step(s: AuditStep, onPr: boolean, ci: boolean): void {
    const name = s.action ?? "";
    const script = String(s.run?.value ?? "");
    const withText = JSON.stringify(get(s.node, "with")?.toJSON() ?? "");
    const node = s.run ?? s.uses;
    const firstLine = (re: RegExp) => re.exec(script)?.[0];
    const test = firstLine(TESTS);
    if (test) {
      this.add("tests", s.run, `runs ${test}`);
      if (onPr) this.add("tests-on-pr", s.run, `runs ${test} on pull requests`);
    }
    const lint = firstLine(LINTERS) ?? (LINT_ACTIONS.test(name) ? name : undefined);
    if (lint) this.add("static-analysis", node, `runs ${lint}`);
    else
      for (const m of script.matchAll(SCRIPT_CALL)) {
        const tool = m[1] ?? m[3]!;
        const called = m[2] ?? m[4]!;
        if (tool === "npm" && ["ci", "install", "i", "publish", "pack", "version"].includes(called)) continue;
        this.scriptCalls.push({ tool, name: called, at: this.at(s.run, `${tool} ${called}`) });
      }
    const cov = firstLine(COVERAGE) ?? (COVERAGE_ACTIONS.test(name) ? name : undefined);
    if (cov) this.add("coverage", node, `measures coverage (${cov})`);
    const gate = firstLine(COVERAGE_GATE) ?? COVERAGE_GATE.exec(withText)?.[0];
    if (gate) this.add("coverage-gate", node, `fails below a coverage threshold (${gate})`);
    const scan = firstLine(SCANNERS) ?? (SCAN_ACTIONS.test(name) ? name : undefined);
    if (scan) this.add("security-scan", node, `scans with ${scan}`);
    const cache = cacheSwitch(s);
    if (cache && ci) this.add("caching", cache, `caches with ${name}`);
    if (name === "actions/upload-artifact") this.add("artifacts-upload", s.uses, "uploads an artifact");
    if (name === "actions/download-artifact") this.add("artifacts-download", s.uses, "downloads an artifact");
    const ver = firstLine(VERSIONING) ?? (VERSIONING_ACTIONS.test(name) ? name : undefined);
    if (ver) this.add("versioning", node, `automates versions/changelog with ${ver}`);
    const sign = firstLine(SIGNING) ?? (SIGN_ACTIONS.test(name) ? name : undefined);
    if (sign) this.add("signing", node, `signs or attests releases (${sign})`);
    const local = str(s.uses);
    if (local?.startsWith("./")) this.add("reuse", s.uses, `uses local action ${local}`);
    this.use(s.uses);
  }

  use(node: Node | undefined): void {
    const u = str(node);
    if (!u || u.startsWith("./") || u.startsWith("docker://") || !u.includes("@")) return;
    this.facts.remoteUses.push(this.at(node, u));
    if (isSha(u.slice(u.lastIndexOf("@") + 1))) this.facts.pinnedUses.push(this.at(node, u));
  }

  job(job: JobInfo, ctx: AuditContext): void {
    const n = job.node;
    if (job.uses) {
      const u = str(job.uses) ?? "";
      if (u.startsWith("./")) this.add("reuse", job.uses, `calls reusable workflow ${u}`);
      this.use(job.uses);
      return;
    }
    const ev = this.at(job.keyNode, `job ${job.id}`);
    this.facts.jobs.push(ev);
    if (get(n, "timeout-minutes") !== undefined)
      this.facts.jobsWithTimeout.push(
        this.at(get(n, "timeout-minutes"), `job ${job.id} has timeout-minutes`),
      );
    const strategy = get(n, "strategy");
    if (job.matrix) this.add("matrix", keyNode(strategy, "matrix"), `job ${job.id} has a matrix`);
    const where = [...runsOnLabels(n), JSON.stringify(get(strategy, "matrix")?.toJSON() ?? "")].join(" ");
    const labels = where.split(/[^\w.-]+/);
    for (const [f, re] of OS) {
      const label = labels.find((l) => re.test(l));
      if (label) this.add(f, get(n, "runs-on"), `job ${job.id} runs on ${label}`);
    }
    const env = get(n, "environment");
    if (env !== undefined) {
      const raw = str(env) ?? str(get(env, "name")) ?? "?";
      const name = raw.length > 40 ? `${raw.slice(0, 37)}...` : raw;
      this.add("environments", env, `job ${job.id} deploys to environment '${name}'`);
    }
    const jobCtx = { ...ctx, steps: ctx.steps.filter((s) => s.job === job) };
    const what = publishesIn(jobCtx);
    if (what) {
      this.add("publishes", job.keyNode, `job ${job.id} publishes (${what})`);
      if (job.needs.length)
        this.add(
          "publish-gated",
          job.needs[0],
          `job ${job.id} publishes only after ${job.needs.map((x) => x.value).join(", ")}`,
        );
      const perms = get(n, "permissions") ?? get(ctx.src.doc.contents, "permissions");
      const idToken = isMap(perms) ? get(perms, "id-token") : undefined;
      const tokens = jobCtx.steps.some((s) =>
        [...s.env.keys()].some(
          (k) => /TOKEN|PASSWORD/.test(k) && /secrets\./.test(str(s.env.get(k)?.value) ?? ""),
        ),
      );
      const pypiPassword = jobCtx.steps.some(
        (s) => s.action === "pypa/gh-action-pypi-publish" && get(get(s.node, "with"), "password"),
      );
      if (str(idToken) === "write" && !pypiPassword && !(tokens && /npm|crates/.test(what)))
        this.add("trusted-publishing", idToken, `job ${job.id} publishes with OIDC (id-token: write)`);
      if (
        jobCtx.steps.some((s) => s.action === "pypa/gh-action-pypi-publish") &&
        str(idToken) === "write" &&
        !pypiPassword
      )
        this.add(
          "signing",
          idToken,
          `job ${job.id}: gh-action-pypi-publish attests uploads with trusted publishing`,
        );
    }
  }

  workflow(src: SourceFile): void {
    this.src = src;
    this.facts.workflows++;
    const model = workflowModel(src);
    const ctx: AuditContext = {
      root: "",
      src,
      model,
      steps: stepsOf(src, model),
      store: undefined,
      storeSeen: new Map(),
      findings: [],
      persona: "regular",
      forbiddenUses: undefined,
    };
    const t = model.triggers;
    const onPr = t.has("pull_request") || t.has("merge_group");
    const root = src.doc.contents;
    if (t.has("workflow_call")) this.add("reuse", keyNode(root, "on"), "defines a reusable workflow");
    if (releaseTriggered(ctx) || (t.has("workflow_dispatch") && publishesIn(ctx)))
      this.add("release-trigger", keyNode(root, "on"), `release workflow (${[...t.keys()].join(", ")})`);
    const ci = (t.has("push") && !releaseTriggered(ctx)) || onPr;
    if (ci) {
      this.facts.ciWorkflows.push(this.at(keyNode(root, "on"), src.file));
      const jobs = [...model.jobs.values()];
      const conc = get(root, "concurrency");
      if (
        conc !== undefined ||
        (jobs.length > 0 && jobs.every((j) => get(j.node, "concurrency") !== undefined))
      )
        this.facts.ciWithConcurrency.push(this.at(conc ?? jobs[0]!.keyNode, `${src.file} sets concurrency`));
    }
    for (const s of ctx.steps) this.step(s, onPr, ci);
    for (const job of model.jobs.values()) this.job(job, ctx);
  }

  action(src: SourceFile): void {
    this.src = src;
    this.facts.actions++;
    this.add("reuse", keyNode(src.doc.contents, "runs"), "local composite action");
    const ctx: AuditContext = {
      root: "",
      src,
      model: undefined,
      steps: stepsOf(src, undefined),
      store: undefined,
      storeSeen: new Map(),
      findings: [],
      persona: "regular",
      forbiddenUses: undefined,
    };
    for (const s of ctx.steps) this.step(s, false, true);
  }

  /** `npm test` that runs xo, `make lint` that runs ruff: static analysis, said where it runs. */
  private resolveScripts(file: (f: string) => string | undefined): void {
    let scripts: Record<string, string> = {};
    try {
      scripts =
        (JSON.parse(file("package.json") ?? "{}") as { scripts?: Record<string, string> }).scripts ?? {};
    } catch {}
    const makefile = file("Makefile") ?? "";
    const expand = (tool: string, name: string, depth = 0): string => {
      if (depth > 3) return "";
      if (tool === "make") {
        const m = new RegExp(`^${name.replace(/[.]/g, "\\.")}\\s*:[^\\n]*\\n((?:\\t[^\\n]*\\n?)*)`, "m").exec(
          makefile,
        );
        return m?.[1] ?? "";
      }
      const body = scripts[name] ?? "";
      // A script that runs others (`npm run lint && npm run test:unit`) says what they run.
      return [
        body,
        ...[...body.matchAll(SCRIPT_CALL)].map((m) => expand(m[1] ?? m[3]!, m[2] ?? m[4]!, depth + 1)),
      ].join("\n");
    };
    for (const c of this.scriptCalls) {
      const found = PKG_LINTERS.exec(expand(c.tool, c.name))?.[0];
      if (!found) continue;
      const where = c.tool === "make" ? `Makefile target ${c.name}` : `package.json scripts.${c.name}`;
      this.facts.features["static-analysis"].push({
        ...c.at,
        detail: `${c.tool} ${c.name} runs ${found} (${where})`,
      });
    }
  }

  repoFiles(root: string): void {
    const file = (f: string) => {
      try {
        return readFileSync(join(root, f), "utf8");
      } catch {
        return undefined;
      }
    };
    this.resolveScripts(file);
    this.facts.nothingToCache = noDependencies(file);
    const ev = (f: string, detail: string): Evidence => ({ file: f, line: 1, col: 1, detail });
    for (const f of [".github/dependabot.yml", ".github/dependabot.yaml"]) {
      const text = file(f);
      if (text?.includes("github-actions"))
        this.facts.features["dependency-updates"].push(ev(f, "Dependabot updates actions"));
    }
    for (const f of RENOVATE)
      if (existsSync(join(root, f)))
        this.facts.features["dependency-updates"].push(ev(f, "Renovate updates dependencies"));
    for (const f of REPO_VERSIONING)
      if (existsSync(join(root, f)))
        this.facts.features.versioning.push(ev(f, `release tooling config ${f}`));
    for (const f of ["codecov.yml", ".codecov.yml", ".github/codecov.yml"]) {
      const text = file(f);
      const m = text && /^\s*target:\s*\S+/m.exec(text);
      if (m) {
        const line = text!.slice(0, m.index).split("\n").length + (m[0].startsWith("\n") ? 1 : 0);
        this.facts.features["coverage-gate"].push({
          file: f,
          line,
          col: 1,
          detail: `Codecov status target (${m[0].trim()})`,
        });
      }
    }
  }
}

/**
 * A Rust crate or workspace whose manifests list no dependency has nothing to cache: its build
 * is its own code. Another ecosystem's manifest (package.json, pyproject.toml, go.mod, ...) means
 * there may be.
 */
function noDependencies(file: (f: string) => string | undefined): string | undefined {
  const root = file("Cargo.toml");
  if (root === undefined) return undefined;
  for (const f of [
    "package.json",
    "pyproject.toml",
    "requirements.txt",
    "go.mod",
    "pom.xml",
    "build.gradle",
    "Gemfile",
  ])
    if (file(f) !== undefined) return undefined;
  const members = /\[workspace\][^[]*?members\s*=\s*\[([^\]]*)\]/s.exec(root)?.[1];
  const paths = [...(members ?? "").matchAll(/"([^"*]+)"/g)].map((m) => `${m[1]}/Cargo.toml`);
  if (members && /\*/.test(members)) return undefined; // globbed members: not read here
  for (const text of [root, ...paths.map(file)]) {
    if (text === undefined) return undefined;
    // A [dependencies] table (any kind, any target) with an entry, or one written inline.
    const tables = text.matchAll(
      /^\[(?:[^\]]*\.)?(?:dev-|build-)?dependencies(?:\.[^\]]+)?\]\s*\n((?:(?!\[)[^\n]*\n?)*)/gm,
    );
    for (const t of tables) if (/^\s*[\w"-]/m.test(t[1]!.replace(/^\s*#.*$/gm, ""))) return undefined;
    if (/^\[(?:[^\]]*\.)?(?:dev-|build-)?dependencies\.[\w-]+\]/m.test(text)) return undefined;
  }
  return "Cargo.toml lists no dependencies";
}

export async function collectFacts(root: string, paths?: string[]): Promise<PipelineFacts> {
  root = resolve(root);
  const { files } = await discover(root, paths);
  const c = new Collector();
  for (const path of files) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      continue;
    }
    const file = relative(root, path) || basename(path);
    const action = /^action\.ya?ml$/.test(basename(path));
    const src = parseSource(text, file, path, action ? "action" : "workflow");
    if (src.doc.errors.length) continue;
    if (action) c.action(src);
    else c.workflow(src);
  }
  c.repoFiles(root);
  return c.facts;
}
