// ci.yml: the checks every push and pull request gets — format, lint, tests on every OS (and the
// oldest supported toolchain), docs, coverage with a gate, and benchmarks on the default branch.
import { SETUP_NODE, SETUP_PYTHON, SETUP_RUST, setupNode, setupPython, setupRust } from "./composite.js";
import type { Project, Python } from "./detect.js";
import { checkout, type Gen, header, job, type OutFile, pyTool } from "./steps.js";

/** Every hosted OS, ARM64 Linux included: what users install on. */
const OSES = ["ubuntu-latest", "ubuntu-24.04-arm", "macos-latest", "windows-latest"];

function rustJobs(g: Gen): string[] {
  const { project: p, uses } = g;
  const r = p.rust!;
  const setup = (w: Record<string, string>) => {
    const lines = Object.entries(w).map(([k, v]) => `\n    ${k}: ${v}`);
    return `- uses: ${SETUP_RUST}${lines.length ? `\n  with:${lines.join("")}` : ""}`;
  };
  const co = checkout(uses);
  const jobs = [
    job(
      {
        id: "fmt",
        why: "Formatting first: it fails in seconds and needs no build.",
        name: "rustfmt",
        timeout: 10,
      },
      [co, setup({ components: "rustfmt", cache: '"false"' }), "- run: cargo fmt --all -- --check"],
    ),
    job(
      {
        id: "clippy",
        why: "Lints on every target and feature; a warning fails the build (-D warnings).",
        name: "clippy",
        timeout: 20,
      },
      [
        co,
        setup({ components: "clippy" }),
        "- run: cargo clippy --workspace --all-targets --all-features -- -D warnings",
      ],
    ),
  ];
  const msrv = r.msrv
    ? `
    # The oldest toolchain Cargo.toml promises (rust-version); raise both together.
    include:
      - os: ubuntu-latest
        toolchain: "${r.msrv}"`
    : "";
  jobs.push(
    job(
      {
        id: "test",
        why: `Tests on Linux (x64 and ARM64), macOS and Windows with stable Rust${r.msrv ? ", and on the MSRV" : ""}.
Drop an OS from the matrix if you do not ship for it.`,
        name: "test (${{ matrix.os }}, ${{ matrix.toolchain }})",
        runsOn: "${{ matrix.os }}",
        timeout: 30,
        extra: `strategy:
  fail-fast: false
  matrix:
    os: [${OSES.join(", ")}]
    toolchain: [stable]${msrv}`,
      },
      [co, setup({ toolchain: "${{ matrix.toolchain }}" }), "- run: cargo test --workspace"],
    ),
    job(
      {
        id: "docs",
        why: "API docs build without warnings (broken intra-doc links fail here, not on docs.rs).",
        name: "docs",
        timeout: 20,
        extra: `env:
  RUSTDOCFLAGS: -D warnings`,
      },
      [co, setup({}), "- run: cargo doc --workspace --no-deps --all-features"],
    ),
    job(
      {
        id: "coverage",
        why: `Line coverage with a gate: below ${p.coverage.target} % the build fails (from ${p.coverage.from}).`,
        name: "coverage",
        timeout: 30,
      },
      [
        co,
        setup({ components: "llvm-tools-preview" }),
        `- uses: ${uses("taiki-e/install-action")}\n  with:\n    tool: cargo-llvm-cov`,
        `- run: cargo llvm-cov --workspace --fail-under-lines ${p.coverage.target}`,
      ],
    ),
  );
  if (r.benches)
    jobs.push(
      job(
        {
          id: "bench",
          why: `Benchmarks on the default branch only; a result more than 10 % slower than the last one fails
the job. Results are kept on the gh-pages branch (create it once, empty), hence contents: write
for this job alone.`,
          name: "benchmarks",
          if: "github.event_name == 'push'",
          timeout: 30,
          permissions: { contents: "write" },
        },
        [
          co,
          setup({}),
          // shell: bash adds pipefail, so a failing bench is not hidden by tee.
          "- run: cargo bench --workspace --bench '*' -- --output-format bencher | tee bench.txt\n  shell: bash",
          `- uses: ${uses("benchmark-action/github-action-benchmark")}
  with:
    tool: cargo
    output-file-path: bench.txt
    alert-threshold: "110%"
    fail-on-alert: true
    summary-always: true
    auto-push: true
    github-token: \${{ github.token }}`,
        ],
      ),
    );
  return jobs;
}

/** `pip install` of the repository's Python projects and the test tools they use. */
export function pythonInstall(py: Python[]): string {
  const tools = ["pytest", "pytest-cov", ...(py.some((x) => x.ruff) ? ["ruff"] : [])].map(pyTool);
  const maturin = py.some((x) => x.maturin) ? [pyTool("maturin")] : [];
  const dirs = py.map((x) => (x.dir === "." ? "." : `./${x.dir}`));
  return `python -m pip install ${[...maturin, ...tools].join(" ")} ${dirs.join(" ")}`;
}

function pythonJobs(g: Gen): string[] {
  const { project: p, uses } = g;
  const py = p.python;
  const co = checkout(uses);
  const tests = py.map((x) => (x.dir === "." ? "tests" : `${x.dir}/tests`)).join(" ");
  const mods = py.map((x) => `--cov=${x.module}`).join(" ");
  const jobs: string[] = [];
  // Three jobs share the set-up through a composite action; two write it out.
  const shared = py.some((x) => x.ruff);
  const setup = (version?: string) =>
    shared
      ? `- uses: ${SETUP_PYTHON}${version ? `\n  with:\n    python-version: ${version}` : ""}`
      : `- uses: ${uses("actions/setup-python")}\n  with:\n    python-version: ${version ?? "3.x"}\n    cache: pip\n- run: ${pythonInstall(py)}`;
  if (shared)
    jobs.push(
      job({ id: "ruff", why: "Python lint and format check.", name: "ruff", timeout: 10 }, [
        co,
        setup(),
        "- run: ruff check .",
        "- run: ruff format --check .",
      ]),
    );
  const min = py.map((x) => x.minPython).find(Boolean);
  const rustToo = py.some((x) => x.maturin)
    ? " (the extension is built by maturin, so Rust is set up too)"
    : "";
  const rust = py.some((x) => x.maturin) ? [`- uses: ${SETUP_RUST}`] : [];
  jobs.push(
    job(
      {
        id: "pytest",
        why: `Python tests on every OS${min ? `, on the newest Python and the oldest supported (${min})` : ""}${rustToo}.`,
        name: "pytest (${{ matrix.os }}, ${{ matrix.python }})",
        runsOn: "${{ matrix.os }}",
        timeout: 30,
        extra: `strategy:
  fail-fast: false
  matrix:
    os: [${OSES.join(", ")}]
    python: ["3.x"]${
      min
        ? `
    include:
      - os: ubuntu-latest
        python: "${min}"`
        : ""
    }`,
      },
      [co, ...rust, setup("${{ matrix.python }}"), `- run: python -m pytest ${tests}`],
    ),
    job(
      {
        id: "pytest-coverage",
        why: `Python coverage with a gate: below ${p.coverage.target} % the build fails (from ${p.coverage.from}).`,
        name: "python coverage",
        timeout: 30,
      },
      [
        co,
        ...rust,
        setup(),
        `- run: python -m pytest ${mods} --cov-fail-under=${p.coverage.target} ${tests}`,
      ],
    ),
  );
  return jobs;
}

function npmJobs(g: Gen): string[] {
  const { project: p, uses } = g;
  const n = p.npm!;
  const co = checkout(uses);
  const jobs: string[] = [];
  // Three jobs share the set-up through a composite action; two write it out.
  const shared = [n.scripts.lint, true, coverageRun(g) !== undefined].filter(Boolean).length >= 3;
  const setup = (version?: string) =>
    shared
      ? `- uses: ${SETUP_NODE}${version ? `\n  with:\n    node-version: ${version}` : ""}`
      : `- uses: ${uses("actions/setup-node")}\n  with:\n    node-version: ${version ?? "lts/*"}\n    cache: npm\n- run: npm ci`;
  if (n.scripts.lint)
    jobs.push(
      job(
        {
          id: "lint",
          why: `The package's own lint script${n.scripts.typecheck ? " and type check" : ""} (package.json scripts).`,
          name: "lint",
          timeout: 10,
        },
        [co, setup(), "- run: npm run lint", ...(n.scripts.typecheck ? ["- run: npm run typecheck"] : [])],
      ),
    );
  const build = n.scripts.build ? ["- run: npm run build"] : [];
  const nodes = n.minNode ? `[${JSON.stringify(n.minNode)}, lts/*]` : "[lts/*]";
  jobs.push(
    job(
      {
        id: "npm-test",
        why: `npm test on every OS${n.minNode ? `, on the current LTS and the oldest Node.js engines.node allows (${n.minNode})` : ""}.`,
        name: "npm test (${{ matrix.os }}, node ${{ matrix.node }})",
        runsOn: "${{ matrix.os }}",
        timeout: 20,
        extra: `strategy:
  fail-fast: false
  matrix:
    os: [${OSES.join(", ")}]
    node: ${nodes}`,
      },
      [co, setup("${{ matrix.node }}"), ...build, "- run: npm test"],
    ),
    ...npmCoverage(g, co, [setup(), ...build]),
  );
  return jobs;
}

/** The coverage command of the test runner, with the gate; none when the runner cannot measure. */
function coverageRun(g: Gen): string | undefined {
  const n = g.project.npm!;
  const t = g.project.coverage.target;
  if (n.scripts.coverage) return "- run: npm run coverage";
  if (n.runner === "node")
    return `- run: >-\n    node --test --experimental-test-coverage\n    --test-coverage-lines=${t}`;
  if (n.runner === "vitest" && n.vitestCoverage)
    return `- run: npx vitest run --coverage.enabled --coverage.thresholds.lines=${t}`;
  if (n.runner === "jest")
    return `- run: npx jest --coverage --coverageThreshold='{"global":{"lines":${t}}}'`;
  return undefined;
}

function npmCoverage(g: Gen, co: string, setup: string[]): string[] {
  const p = g.project;
  const run = coverageRun(g);
  if (!run) return [];
  return [
    job(
      {
        id: "npm-coverage",
        why: `Coverage of the Node.js tests with a gate: below ${p.coverage.target} % of lines the build fails
(from ${p.coverage.from}).`,
        name: "npm coverage",
        timeout: 20,
      },
      [co, ...setup, run],
    ),
  ];
}

/** Why the Node.js tests get no coverage job, when they do not. */
export function npmCoverageNote(p: Project): string | undefined {
  const n = p.npm;
  if (!n?.root || n.scripts.coverage) return undefined;
  if (n.runner === "vitest" && !n.vitestCoverage)
    return "no coverage job for the Node.js tests: add @vitest/coverage-v8 (the version of vitest) to devDependencies and run init again";
  if (n.runner === "other")
    return "no coverage job for the Node.js tests: add a 'coverage' script that fails below the target and run init again";
  return undefined;
}

function goJobs(g: Gen): string[] {
  const { project: p, uses } = g;
  const co = checkout(uses);
  // The go line of go.mod is the oldest Go the module supports; CI builds with the newest.
  const setup = `- uses: ${uses("actions/setup-go")}\n  with:\n    go-version: stable`;
  const cd = p.go!.dir === "." ? "" : `\n  working-directory: ${p.go!.dir}`;
  const t = p.coverage.target;
  return [
    job(
      {
        id: "go-vet",
        why: "Formatting (gofmt) and go vet, which finds suspicious constructs the compiler accepts.",
        name: "go vet",
        timeout: 10,
      },
      [
        co,
        setup,
        `- run: test -z "$(gofmt -l .)" || { gofmt -l .; exit 1; }${cd}`,
        `- run: go vet ./...${cd}`,
      ],
    ),
    job(
      {
        id: "go-test",
        why: "Go tests with the race detector, on every OS.",
        name: "go test (${{ matrix.os }})",
        runsOn: "${{ matrix.os }}",
        timeout: 20,
        extra: `strategy:
  fail-fast: false
  matrix:
    os: [${OSES.join(", ")}]`,
      },
      [co, setup, `- run: go test -race ./...${cd}`],
    ),
    job(
      {
        id: "go-coverage",
        why: `Statement coverage with a gate: below ${t} % the build fails (from ${p.coverage.from}).`,
        name: "go coverage",
        timeout: 20,
      },
      [
        co,
        setup,
        `- name: Coverage (fails below the ${t} % threshold)${cd}
  run: |
    go test -coverprofile=cover.out ./...
    total=$(go tool cover -func=cover.out | awk '/^total:/ { sub("%", "", $3); print $3 }')
    echo "statement coverage: $total %"
    awk -v t="$total" 'BEGIN { exit !(t >= ${t}) }' || { echo "::error::coverage $total % is below the threshold of ${t} %"; exit 1; }`,
      ],
    ),
  ];
}

export function ci(g: Gen): OutFile[] {
  const p = g.project;
  const jobs = [
    ...(p.rust ? rustJobs(g) : []),
    ...(p.python.length ? pythonJobs(g) : []),
    ...(p.npm?.root ? npmJobs(g) : []),
    ...(p.go ? goJobs(g) : []),
  ];
  if (!jobs.length) return [];
  const yml = `${header(
    "CI: every push to the default branch and every pull request.",
    "Jobs run in parallel; each says why it exists. The token is read-only unless a job says otherwise.",
  )}
name: CI

on:
  push:
    branches: [${p.defaultBranch}]
  pull_request:

# Nothing by default; each job asks for what it needs.
permissions: {}

# A new push to a branch or pull request cancels the run it makes obsolete.
concurrency:
  group: \${{ github.workflow }}-\${{ github.ref }}
  cancel-in-progress: true

jobs:
${jobs.join("\n\n")}
`;
  const files: OutFile[] = [{ path: ".github/workflows/ci.yml", text: yml }];
  const used = (a: string) => yml.includes(`uses: ${a}`);
  if (used(SETUP_RUST)) files.push(setupRust(p, g.uses));
  if (used(SETUP_NODE)) files.push(setupNode(g.uses));
  if (used(SETUP_PYTHON)) files.push(setupPython(g.uses, pythonInstall(p.python)));
  return files;
}
