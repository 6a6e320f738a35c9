// `slipway init`: argument parsing, output and exit codes only; the work is in src/init/.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { defaultStore } from "../action-store/store.js";
import { check, checkCopy } from "../init/check.js";
import { npmCoverageNote } from "../init/ci.js";
import { DetectError, detect, type Project } from "../init/detect.js";
import { defaultSections, generate, SECTIONS, type Section } from "../init/generate.js";
import { Pins } from "../init/pins.js";
import { plan, write } from "../init/write.js";
import { renderScore } from "../lint/score-render.js";
import { renderFindings } from "../report/findings.js";
import { EXIT, fail, parse, UsageError } from "./common.js";

const USAGE = `usage: slipway init [options]

Inspects the repository (Cargo workspace and MSRV, PyO3/maturin, npm packages, Python projects,
Go modules, codecov.yml, deny.toml, Dockerfile, existing workflows) and writes its pipeline:
  ci        fmt, clippy -D warnings, tests per OS and toolchain (MSRV too), docs, coverage gate,
            benchmarks with a regression alert; ruff/pytest; npm lint/test; go vet/test
  security  cargo-deny, pip-audit, npm audit, govulncheck, secret scan; daily and on PRs
  release   on v* tags: slipway release check-tag, build once, GitHub release with SHA256SUMS,
            provenance and CHANGELOG notes
  publish   crates.io, then npm, then PyPI, trusted publishing, smoke install after each
  deploy    staging then production environments, and a rollback workflow (default only with a Dockerfile)
and .github/dependabot.yml. Every action is pinned to a commit SHA (action store, then git
ls-remote); jobs have least-privilege permissions and timeouts. Existing files that differ
are shown as a diff and overwritten only with --yes. Afterwards it prints 'slipway lint --audit'
and 'slipway score' for the result.

      --dry-run         print the files, the diffs and the score; write nothing
  -y, --yes             overwrite existing files that differ
      --only LIST       comma-separated sections: ${SECTIONS.join(",")}
      --dir PATH        the repository (default: the current folder)
      --store DIR       action store for pinning (default: $SLIPWAY_ACTION_STORE or ~/.cache/slipway/actions)
      --offline         do not run git ls-remote; pin from the store only
      --git-base URL    Git host for ls-remote (default: https://github.com)
  -h, --help            show this help

Exit codes: 0 written (or nothing to change), 1 files differ and were not overwritten (without
--yes), or the result has lint errors, 2 usage error or a manifest that does not parse.`;

export async function main(args: string[], cwd = process.cwd()): Promise<number> {
  try {
    return await init(args, cwd);
  } catch (e) {
    if (e instanceof DetectError) {
      console.error(`slipway init: ${e.message}`);
      return EXIT.usage;
    }
    return fail(e, "init");
  }
}

function sections(only: string | undefined, p: Project): Section[] {
  if (only === undefined) return defaultSections(p);
  const list = only
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of list)
    if (!(SECTIONS as readonly string[]).includes(s))
      throw new UsageError(`--only: unknown section '${s}' (${SECTIONS.join(", ")})`);
  if (!list.length) throw new UsageError("--only needs at least one section");
  return list as Section[];
}

function describe(p: Project): string {
  const found: string[] = [];
  if (p.rust)
    found.push(
      `Rust (${p.rust.crates.map((c) => c.name).join(", ")}${p.rust.msrv ? `; MSRV ${p.rust.msrv}` : ""}${p.rust.hasDeps ? "" : "; no dependencies, so no build cache"})`,
    );
  for (const py of p.python)
    found.push(`Python ${py.name}${py.maturin ? " (maturin/PyO3)" : ""} in ${py.dir}`);
  if (p.npm) found.push(`npm (${p.npm.packages.map((x) => x.name).join(", ")})`);
  if (p.go) found.push(`Go ${p.go.module}`);
  found.push(`coverage gate ${p.coverage.target} % (${p.coverage.from})`);
  if (p.deny) found.push("deny.toml");
  if (p.dockerfile) found.push("Dockerfile");
  return `found: ${found.join("; ")}`;
}

async function init(args: string[], cwd: string): Promise<number> {
  const { values } = parse(() => options(args));
  if (values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const root = resolve(cwd, values.dir ?? ".");
  const project = detect(root);
  if (!project.rust && !project.python.length && !project.npm && !project.go)
    throw new UsageError(
      `${root}: no Cargo.toml, pyproject.toml, package.json or go.mod found; nothing to build a pipeline for`,
    );
  const chosen = sections(values.only, project);
  const store = values.store ? resolve(cwd, values.store) : defaultStore();
  const pins = new Pins({
    store,
    offline: values.offline ?? false,
    ...(values["git-base"] ? { gitBase: values["git-base"] } : {}),
  });
  console.log(describe(project));
  const note = npmCoverageNote(project);
  if (note) console.log(`note: ${note}`);
  const files = await generate(project, chosen, pins);
  const planned = plan(root, files);
  for (const f of planned) {
    if (values["dry-run"] && f.status === "new") console.log(`--- ${f.path} (new)\n${f.text}`);
    if (f.diff) process.stdout.write(f.diff.endsWith("\n") ? f.diff : `${f.diff}\n`);
  }
  for (const u of pins.unpinned())
    console.error(`slipway init: could not pin ${u.action} (left at its tag): ${u.error}`);
  const held = planned.filter((f) => f.status === "changed" && !values.yes);
  let written: string[] = [];
  if (!values["dry-run"]) written = write(root, planned, values.yes ?? false);
  for (const f of planned) {
    const what =
      f.status === "same"
        ? "unchanged"
        : f.status === "new"
          ? values["dry-run"]
            ? "would create"
            : "created"
          : values["dry-run"]
            ? "would change"
            : written.includes(f.path)
              ? "changed"
              : "differs, not overwritten (use --yes)";
    console.log(`${f.path}: ${what}`);
  }
  // Workflows init does not write stay as they are, and are linted and scored with the rest.
  const others = project.workflows.filter((w) => !files.some((f) => f.path === w));
  if (others.length)
    console.log(
      `kept: ${others.join(", ")} (not written by init; remove any that the new workflows replace)`,
    );
  const result = values["dry-run"] ? await checkCopy(root, files, store) : await check(root, store);
  console.log(`\nslipway lint --audit${values["dry-run"] ? " (on the files as they would be)" : ""}:`);
  process.stdout.write(
    result.findings.length
      ? renderFindings(result.findings, "human", result.sources)
      : "No problems found.\n",
  );
  console.log("");
  process.stdout.write(renderScore(result.card));
  if (held.length && !values["dry-run"]) {
    console.error(
      `slipway init: ${held.length} existing file(s) differ; run again with --yes to overwrite them`,
    );
    return EXIT.failure;
  }
  return result.findings.some((f) => f.severity === "error") ? EXIT.failure : EXIT.ok;
}

function options(args: string[]) {
  return parseArgs({
    args,
    options: {
      "dry-run": { type: "boolean" },
      yes: { type: "boolean", short: "y" },
      only: { type: "string" },
      dir: { type: "string" },
      store: { type: "string" },
      offline: { type: "boolean" },
      "git-base": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
