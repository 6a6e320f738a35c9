// Cache save/restore throughput: Slipway's actions/cache store against `tar -c | zstd`
// and `zstd -d | tar -x` of the same generated tree, in the same run.
// Usage: node bench/cache.mjs [--mb 200] [--files 20000] [--runs 3]
import { execSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const { values } = parseArgs({
  options: { mb: { type: "string" }, files: { type: "string" }, runs: { type: "string" } },
});
const MB = Number(values.mb ?? 200);
const FILES = Number(values.files ?? 20000);
const RUNS = Number(values.runs ?? 3);
const root = join(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "slipway-cache-bench-"));

// The store is TypeScript; bundle it for this script.
const bundle = join(work, "cache-store.mjs");
await build({
  entryPoints: [join(root, "src/run/actions/cache-store.ts")],
  outfile: bundle,
  bundle: true,
  platform: "node",
  format: "esm",
  logLevel: "error",
});
const store = await import(bundle);

// A node_modules-like tree: packages of small JS/JSON files, text that compresses like source.
function generate(dir) {
  const words =
    "function return const let var export import require module exports default value length object string number true false null undefined this prototype".split(
      " ",
    );
  const per = Math.ceil(FILES / 400);
  const size = Math.floor((MB * 1024 * 1024) / FILES);
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  let n = 0;
  for (let p = 0; n < FILES; p++) {
    const pkg = join(dir, "node_modules", `pkg-${p}`, "lib");
    mkdirSync(pkg, { recursive: true });
    for (let f = 0; f < per && n < FILES; f++, n++) {
      const parts = [];
      let len = 0;
      while (len < size) {
        const w = rnd() % 7 === 0 ? rnd().toString(36) : words[rnd() % words.length];
        parts.push(w);
        len += w.length + 1;
      }
      writeFileSync(join(pkg, `file-${f}.js`), parts.join(rnd() % 3 ? " " : "\n").slice(0, size));
    }
  }
}

const time = (fn) => {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return r instanceof Promise
    ? r.then(() => Number(process.hrtime.bigint() - t0) / 1e6)
    : Number(process.hrtime.bigint() - t0) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const src = join(work, "src");
mkdirSync(src);
console.log(`generating ${FILES} files, ${MB} MB in ${src} ...`);
generate(src);
const comp = store.compression();
const zip = comp === "zstd" ? "zstd -T0 -3 -q" : "gzip -1";
const unzip = comp === "zstd" ? "zstd -d -q -c" : "gzip -d -c";
const ours = { save: [], restore: [] };
const theirs = { save: [], restore: [] };
for (let i = 0; i < RUNS; i++) {
  const cacheRoot = join(work, `cache-${i}`);
  const version = store.cacheVersion(["node_modules"]);
  const archive = join(work, `theirs-${i}.tar`);
  const dest = join(work, `ours-${i}`);
  const dest2 = join(work, `theirs-${i}`);
  mkdirSync(dest);
  mkdirSync(dest2);
  // Dirty pages of one side must not slow the other: flush before each timing, and
  // alternate which side goes first.
  const oursSave = async () => {
    execSync("sync");
    ours.save.push(
      await time(() =>
        store.saveEntry(cacheRoot, `k${i}`, version, "refs/heads/main", src, ["node_modules"]),
      ),
    );
  };
  const theirsSave = async () => {
    execSync("sync");
    theirs.save.push(
      time(() => execSync(`tar -cf - node_modules | ${zip} > '${archive}'`, { cwd: src, shell: "bash" })),
    );
  };
  const oursRestore = async () => {
    execSync("sync");
    const entry = store.findEntry(cacheRoot, [`k${i}`], version, ["refs/heads/main"]);
    ours.restore.push(await time(() => store.restoreEntry(cacheRoot, entry, dest)));
  };
  const theirsRestore = async () => {
    execSync("sync");
    theirs.restore.push(
      time(() => execSync(`${unzip} '${archive}' | tar -xf -`, { cwd: dest2, shell: "bash" })),
    );
  };
  const order =
    i % 2
      ? [theirsSave, oursSave, theirsRestore, oursRestore]
      : [oursSave, theirsSave, oursRestore, theirsRestore];
  for (const step of order) await step();
  execSync(`diff -r '${join(src, "node_modules")}' '${join(dest, "node_modules")}'`);
  rmSync(dest, { recursive: true, force: true });
  rmSync(dest2, { recursive: true, force: true });
}
const mbps = (ms) => (MB / (ms / 1000)).toFixed(0);
const row = (what, a, b) => {
  const ratio = (median(b) / median(a)).toFixed(2);
  console.log(
    `${what.padEnd(8)} slipway ${median(a).toFixed(0).padStart(6)} ms (${mbps(median(a))} MB/s)   tar|${comp} ${median(b).toFixed(0).padStart(6)} ms (${mbps(median(b))} MB/s)   ratio ${ratio}x`,
  );
  return Number(ratio);
};
console.log(
  `\n${FILES} files, ${MB} MB, ${comp}, median of ${RUNS} runs (ratio = their time / ours; >= 0.8 is the goal)`,
);
const s = row("save", ours.save.map(Number), theirs.save);
const r = row("restore", ours.restore.map(Number), theirs.restore);
rmSync(work, { recursive: true, force: true });
process.exitCode = s >= 0.8 && r >= 0.8 ? 0 : 1;
