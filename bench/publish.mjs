// Publishing overhead: `slipway publish` of examples/polyglot (2 crates, 2 npm packages, a
// wheel and an sdist) against the same registries' own CLIs typed by hand, one after another,
// in the same run, each rep on fresh package names. Needs the loopback registries:
//   npm run build && bash -c '. .ci/registries.sh && node bench/publish.mjs [--reps N]'
// Two baselines: the uploads alone, and the uploads plus the smoke installs Slipway also does
// (cargo build of a crate depending on the core, npm install, pip install into a venv).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "./common.mjs";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "bin/slipway.js");
const reps = Number(process.argv[process.argv.indexOf("--reps") + 1]) || 3;
const env = process.env;
for (const v of [
  "SLIPWAY_TEST_NPM_REGISTRY",
  "SLIPWAY_TEST_PYPI_URL",
  "SLIPWAY_TEST_CARGO_INDEX",
  "SLIPWAY_TEST_PYTHON_BIN",
]) {
  if (!env[v]) {
    console.error(
      `bench/publish: ${v} is not set; run it as: bash -c '. .ci/registries.sh && node bench/publish.mjs'`,
    );
    process.exit(2);
  }
}
const py = join(env.SLIPWAY_TEST_PYTHON_BIN, "python3");
const twine = join(env.SLIPWAY_TEST_PYTHON_BIN, "twine");
const work = mkdtempSync(join(tmpdir(), "slipway-bench-publish-"));

function example(tag) {
  const dir = join(work, tag);
  cpSync(join(ROOT, "examples/polyglot"), dir, { recursive: true });
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else
        writeFileSync(
          p,
          readFileSync(p, "utf8")
            .replaceAll("slipway-polyglot", `slipway-polyglot-${tag}`)
            .replaceAll("slipway_polyglot", `slipway_polyglot_${tag}`),
        );
    }
  };
  walk(dir);
  renameSync(join(dir, "python/src/slipway_polyglot"), join(dir, `python/src/slipway_polyglot_${tag}`));
  return dir;
}

function sh(cmd, args, opts) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

const cargoCfg = [
  "--config",
  `registries.slipway.index="${env.SLIPWAY_TEST_CARGO_INDEX}"`,
  "--config",
  'source.crates-io.replace-with="slipway"',
];
const cargoEnv = { ...env, CARGO_REGISTRIES_SLIPWAY_TOKEN: "none" };

/** The hand-typed release: each registry's CLI, in order; then, optionally, the smoke installs. */
function byHand(tag, smoke) {
  const dir = example(tag);
  const phases = {};
  const t = (name, fn) => {
    const t0 = performance.now();
    fn();
    phases[name] = (phases[name] ?? 0) + performance.now() - t0;
  };
  const npmrc = join(dir, ".npmrc-bench");
  const u = new URL(env.SLIPWAY_TEST_NPM_REGISTRY);
  writeFileSync(npmrc, `//${u.host}${u.pathname}:_authToken=${env.SLIPWAY_TEST_NPM_TOKEN}\n`);
  const npmArgs = ["--registry", env.SLIPWAY_TEST_NPM_REGISTRY, "--userconfig", npmrc];
  t("cargo publish", () => {
    for (const c of ["types", "core"])
      sh(
        "cargo",
        [
          "publish",
          "--quiet",
          "--manifest-path",
          `crates/${c}/Cargo.toml`,
          "--registry",
          "slipway",
          ...cargoCfg,
        ],
        {
          cwd: dir,
          env: cargoEnv,
        },
      );
  });
  t("npm publish", () => {
    for (const p of ["linux-x64", "main"])
      sh("npm", ["publish", "--quiet", ...npmArgs], { cwd: join(dir, "npm", p) });
  });
  t("python build", () =>
    sh(py, ["-m", "build", "--no-isolation", "--outdir", "dist"], { cwd: join(dir, "python") }),
  );
  t("twine upload", () => {
    const dists = readdirSync(join(dir, "python/dist")).map((f) => join(dir, "python/dist", f));
    sh(
      twine,
      [
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository-url",
        env.SLIPWAY_TEST_PYPI_URL,
        ...dists,
      ],
      {
        cwd: dir,
        env: {
          ...env,
          TWINE_USERNAME: env.SLIPWAY_TEST_PYPI_USER,
          TWINE_PASSWORD: env.SLIPWAY_TEST_PYPI_PASSWORD,
        },
      },
    );
  });
  if (smoke) {
    const s = join(dir, "smoke");
    t("smoke cargo build", () => {
      mkdirSync(join(s, "crate/src"), { recursive: true });
      writeFileSync(
        join(s, "crate/Cargo.toml"),
        `[package]\nname = "smoke"\nversion = "0.0.0"\nedition = "2021"\n[workspace]\n[dependencies]\nslipway-polyglot-${tag}-core = "=0.1.0"\n`,
      );
      writeFileSync(join(s, "crate/src/lib.rs"), "");
      sh("cargo", ["build", "--quiet", ...cargoCfg], { cwd: join(s, "crate"), env: cargoEnv });
    });
    t("smoke npm install", () => {
      mkdirSync(join(s, "npm"), { recursive: true });
      writeFileSync(join(s, "npm/package.json"), "{}");
      sh(
        "npm",
        [
          "install",
          "--no-audit",
          "--no-fund",
          "--no-package-lock",
          `slipway-polyglot-${tag}@0.1.0`,
          ...npmArgs,
        ],
        {
          cwd: join(s, "npm"),
        },
      );
      sh("node", ["-e", `require("slipway-polyglot-${tag}")`], { cwd: join(s, "npm") });
    });
    t("smoke pip install", () => {
      sh(py, ["-m", "venv", "--without-pip", join(s, "venv")], { cwd: s });
      sh(
        py,
        [
          "-m",
          "pip",
          "--python",
          join(s, "venv/bin/python"),
          "install",
          "--quiet",
          "--no-cache-dir",
          "--disable-pip-version-check",
          "--index-url",
          `${env.SLIPWAY_TEST_PYPI_URL}simple/`,
          `slipway-polyglot-${tag}==0.1.0`,
        ],
        { cwd: s },
      );
      sh(join(s, "venv/bin/python"), ["-c", `import slipway_polyglot_${tag}`], { cwd: s });
    });
  }
  return phases;
}

function slipway(tag) {
  const dir = example(tag);
  const r = sh(
    process.execPath,
    [
      BIN,
      "publish",
      "--json",
      "--registry",
      `crates=${env.SLIPWAY_TEST_CARGO_INDEX}`,
      "--registry",
      `npm=${env.SLIPWAY_TEST_NPM_REGISTRY}`,
      "--registry",
      `pypi=${env.SLIPWAY_TEST_PYPI_URL}`,
    ],
    {
      cwd: dir,
      env: {
        ...env,
        NPM_TOKEN: env.SLIPWAY_TEST_NPM_TOKEN,
        TWINE_USERNAME: env.SLIPWAY_TEST_PYPI_USER,
        TWINE_PASSWORD: env.SLIPWAY_TEST_PYPI_PASSWORD,
        SLIPWAY_PYTHON: py,
      },
    },
  );
  const json = JSON.parse(r.stdout);
  const phases = {
    "discover (cargo metadata, manifests)": json.ms.discover,
    "prepare (cargo package, npm pack, python build, at once)": json.ms.prepare,
    "SHA256SUMS + provenance": json.ms.attest,
  };
  // The look-ups run during the builds: shown, not added.
  phases.lookups = json.ms.presence;
  for (const p of json.packages)
    for (const [k, v] of Object.entries(p.ms))
      phases[`${p.ecosystem} ${k}`] = (phases[`${p.ecosystem} ${k}`] ?? 0) + v;
  return phases;
}

const sum = (o) =>
  Object.entries(o)
    .filter(([k]) => k !== "lookups")
    .reduce((a, [, b]) => a + b, 0);
const runs = { slipway: [], upload: [], full: [] };
const wall = (fn) => {
  const t0 = performance.now();
  const phases = fn();
  return { ms: performance.now() - t0, phases };
};
wall(() => slipway(`w${randomBytes(3).toString("hex")}`)); // warm caches (cargo, npm, pip)
for (let i = 0; i < reps; i++) {
  const id = randomBytes(3).toString("hex");
  runs.upload.push(wall(() => byHand(`u${id}`, false)));
  runs.full.push(wall(() => byHand(`f${id}`, true)));
  runs.slipway.push(wall(() => slipway(`s${id}`)));
}
rmSync(work, { recursive: true, force: true });

const med = (rs) => median(rs.map((r) => r.ms));
const s = med(runs.slipway);
const u = med(runs.upload);
const f = med(runs.full);
console.log(`slipway publish of examples/polyglot, median of ${reps} (ms):`);
console.log(
  `  slipway publish (checks, uploads, waits, smoke installs, SHA256SUMS, provenance): ${s.toFixed(0)}`,
);
console.log(`  by hand, uploads only:                    ${u.toFixed(0)}  ratio ${(s / u).toFixed(2)}x`);
console.log(`  by hand, uploads + the same smoke installs: ${f.toFixed(0)}  ratio ${(s / f).toFixed(2)}x`);
const phaseTable = (rs) => {
  const names = Object.keys(rs[0].phases);
  const title = (n) => (n === "lookups" ? "registry look-ups (during prepare, not added)" : n);
  return names
    .map((n) => `    ${title(n)}: ${median(rs.map((r) => r.phases[n] ?? 0)).toFixed(0)}`)
    .join("\n");
};
console.log(
  `  where slipway's time goes (ms, inside the process; smoke installs run while later packages publish, so the phases overlap: their sum is ${median(runs.slipway.map((r) => sum(r.phases))).toFixed(0)} against ${s.toFixed(0)} in all):`,
);
console.log(phaseTable(runs.slipway));
console.log("  by hand, with smoke installs (ms):");
console.log(phaseTable(runs.full));
