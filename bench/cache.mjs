// Cache save/restore throughput: Slipway's actions/cache store against `tar -c | zstd`
// and `zstd -d | tar -x` of the same generated tree, in the same run.
// Usage: node bench/cache.mjs [--mb 200] [--files 20000] [--runs 7] [--dir DIR] [--write]
// --write puts the table in BENCHMARKS.md (cache section). --dir defaults to /dev/shm:
// on a busy ext4 disk, creating files right after others deleted theirs costs up to
// 1 ms each (inode allocation skips recently deleted inodes), which swung both sides'
// restores from 2 s to 18 s and hid the code being measured.
import { execSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { writeSection } from "./section.mjs";

const { values } = parseArgs({
  options: {
    mb: { type: "string", default: "200" },
    files: { type: "string", default: "20000" },
    runs: { type: "string", default: "7" },
    dir: { type: "string", default: existsSync("/dev/shm") ? "/dev/shm" : tmpdir() },
    write: { type: "boolean", default: false },
  },
});
const MB = Number(values.mb);
const FILES = Number(values.files);
const RUNS = Number(values.runs);
const root = join(import.meta.dirname, "..");
const work = mkdtempSync(join(values.dir, "slipway-cache-bench-"));
const cleanup = () => rmSync(work, { recursive: true, force: true });
process.on("exit", cleanup);
process.on("SIGINT", () => process.exit(130));

// The store is TypeScript; bundle it so this script calls the code the built-in calls.
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

// A node_modules-like tree: packages of JS files of varied size (mean MB/FILES), text
// that compresses like source.
function generate(dir) {
  const words =
    "function return const let var export import require module exports default value length object string number true false null undefined this prototype".split(
      " ",
    );
  const per = 50;
  const mean = (MB * 1024 * 1024) / FILES;
  let seed = 42;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed;
  };
  // One pool of text, each file a slice of it: generating stays cheap, and the pool is
  // much larger than zstd -3's window, so slices do not compress against each other.
  const parts = [];
  for (let len = 0; len < 32 * 1024 * 1024; ) {
    const w = rnd() % 7 === 0 ? rnd().toString(36) : words[rnd() % words.length];
    parts.push(w, rnd() % 9 ? " " : "\n");
    len += w.length + 1;
  }
  const pool = parts.join("");
  for (let n = 0, p = 0; n < FILES; p++) {
    const lib = join(dir, "node_modules", `pkg-${p}`, "lib");
    mkdirSync(lib, { recursive: true });
    for (let f = 0; f < per && n < FILES; f++, n++) {
      // Sizes from 0.2x to 1.8x the mean; the total is measured afterwards.
      const size = Math.floor(mean * (0.2 + (rnd() % 1600) / 1000));
      const at = rnd() % (pool.length - size);
      writeFileSync(join(lib, `file-${f}.js`), pool.slice(at, at + size));
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
async function timed(list, fn, dir) {
  if (dir) mkdirSync(dir);
  execSync("sync"); // one side's dirty pages must not be flushed on the other's clock
  const t0 = process.hrtime.bigint();
  await fn();
  list.push(Number(process.hrtime.bigint() - t0) / 1e6);
}

const fsType = execSync(`df -T '${values.dir}' | awk 'NR==2 {print $2}'`, { encoding: "utf8" }).trim();
const src = join(work, "src");
mkdirSync(src);
console.log(`generating ${FILES} files, ${MB} MB in ${src} ...`);
const t0 = Date.now();
generate(src);
console.log(`generated in ${Date.now() - t0} ms`);
const treeBytes = Number(
  execSync("du -sb --apparent-size node_modules", { cwd: src, encoding: "utf8" }).split("\t")[0],
);
const comp = store.compression();
// The same compressor settings on both sides: the comparison is of the code around them.
const zip = comp === "zstd" ? "zstd -T0 -3 -q" : "gzip -1";
const unzip = comp === "zstd" ? "zstd -d -q -c" : "gzip -d -c";
if (comp === "gzip") console.log("zstd not found: both sides use gzip");
execSync("tar -cf - node_modules > /dev/null", { cwd: src, shell: "bash" }); // warm the page cache

// The built-in's calls, in its order: save = hasEntry, resolvePaths, saveEntry;
// restore = resolvePaths, findEntry, restoreEntry.
const paths = ["node_modules"];
const version = store.cacheVersion(paths);
const ref = "refs/heads/main";
const ours = { save: [], restore: [] };
const theirs = { save: [], restore: [] };
let archiveBytes = 0;
for (let i = 0; i < RUNS; i++) {
  const cacheRoot = join(work, `cache-${i}`);
  const archive = join(work, `theirs-${i}.tar.${comp === "zstd" ? "zst" : "gz"}`);
  // Each side makes its folder just before its restore, so neither always gets the
  // first-made one.
  const dest = join(work, `ours-${i}`);
  const dest2 = join(work, `theirs-${i}`);
  const roots = store.allowedRoots(src, work, work);
  const steps = {
    oursSave: () =>
      timed(ours.save, async () => {
        if (store.hasEntry(cacheRoot, `k${i}`, version, ref)) throw new Error("entry exists");
        const found = await store.resolvePaths(paths, src, roots);
        archiveBytes = await store.saveEntry(cacheRoot, `k${i}`, version, ref, src, found);
      }),
    theirsSave: () =>
      timed(theirs.save, () =>
        execSync(`tar -cf - node_modules | ${zip} > '${archive}'`, { cwd: src, shell: "bash" }),
      ),
    oursRestore: () =>
      timed(
        ours.restore,
        async () => {
          await store.resolvePaths(paths, dest, store.allowedRoots(dest, work, work));
          const entry = store.findEntry(cacheRoot, [`k${i}`], version, [ref]);
          await store.restoreEntry(cacheRoot, entry, dest);
        },
        dest,
      ),
    theirsRestore: () =>
      timed(
        theirs.restore,
        () => execSync(`${unzip} '${archive}' | tar -xf -`, { cwd: dest2, shell: "bash" }),
        dest2,
      ),
  };
  // Alternate which side goes first, so neither always meets the warmer machine.
  const order =
    i % 2
      ? ["theirsSave", "oursSave", "theirsRestore", "oursRestore"]
      : ["oursSave", "theirsSave", "oursRestore", "theirsRestore"];
  for (const s of order) await steps[s]();
  if (i === 0) {
    execSync(`diff -r '${join(src, "node_modules")}' '${join(dest, "node_modules")}'`);
    execSync(`diff -r '${join(src, "node_modules")}' '${join(dest2, "node_modules")}'`);
  }
  // On tmpfs, piling up trees slows later runs; on ext4, deleting them slows the next
  // run's file creation (inode allocation skips recently deleted inodes), so keep them.
  if (fsType === "tmpfs") for (const d of [dest, dest2]) rmSync(d, { recursive: true, force: true });
  console.log(
    `run ${i + 1}: save ${ours.save[i].toFixed(0)} / ${theirs.save[i].toFixed(0)} ms, restore ${ours.restore[i].toFixed(0)} / ${theirs.restore[i].toFixed(0)} ms (slipway / tar)`,
  );
}
cleanup();

const MiB = treeBytes / 1024 / 1024;
const row = (what, a, b) => {
  // Each run's two timings are back to back, so their ratio is steadier than a ratio
  // of medians while other jobs come and go on the machine.
  const ratio = median(a.map((x, i) => b[i] / x));
  const rate = (ms) => `${(MiB / (ms / 1000)).toFixed(0)} MB/s`;
  return {
    ratio,
    line: `| ${what} | ${median(a).toFixed(0)} ms (${rate(median(a))}) | ${median(b).toFixed(0)} ms (${rate(median(b))}) | ${ratio.toFixed(2)}x | ${a.map((x) => x.toFixed(0)).join(", ")} / ${b.map((x) => x.toFixed(0)).join(", ")} |`,
  };
};
const save = row("save", ours.save, theirs.save);
const restore = row("restore", ours.restore, theirs.restore);
const base =
  comp === "zstd"
    ? "`tar -cf - node_modules | zstd -T0 -3` and `zstd -d -c | tar -xf -`"
    : "`tar -cf - node_modules | gzip -1` and `gzip -d -c | tar -xf -` (zstd was not installed)";
const zstdVersion =
  comp === "zstd" ? execSync("zstd --version", { encoding: "utf8" }).match(/v[\d.]+/)?.[0] : "";
const tarVersion = execSync("tar --version", { encoding: "utf8" }).split("\n")[0];
const out = [
  `${FILES} files, ${MiB.toFixed(0)} MB (a generated node_modules-like tree; archive ${(archiveBytes / 1024 / 1024).toFixed(0)} MB), ${RUNS} runs, medians. ` +
    `Machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? "?"}), Node ${process.version}, ${tarVersion}${zstdVersion ? `, zstd ${zstdVersion}` : ""}, ${fsType} under \`${values.dir}\`.`,
  "",
  `Slipway: the functions the \`actions/cache\` built-in calls, in its order (save: \`hasEntry\`, \`resolvePaths\`, \`saveEntry\`; restore: \`resolvePaths\`, \`findEntry\`, \`restoreEntry\`), from \`src/run/actions/cache-store.ts\`. Baseline: ${base} of the same tree, in the same run, alternating which goes first; \`sync\` before each timing.`,
  "",
  `| | slipway | ${comp === "zstd" ? "tar + zstd" : "tar + gzip"} | ratio (median of their time / ours per run) | each run (ms, slipway / baseline) |`,
  "|---|---:|---:|---:|---|",
  save.line,
  restore.line,
  "",
  `Goal (issue 3): ratio ≥ 0.8 on both — ${save.ratio >= 0.8 && restore.ratio >= 0.8 ? "met" : "not met"}. Both sides run the same tar and ${comp} with the same settings, so the ratio measures what Slipway adds around them (a bash pipeline, the file list, the entry lookup and record). The machine was shared with other jobs, so single runs vary; the medians are what count.`,
  "",
  "`--dir` defaults to /dev/shm: on a busy ext4 disk, creating files soon after other processes deleted theirs is slow (inode allocation skips recently deleted inodes), and both sides' restores varied several-fold from run to run, hiding the code being measured. `--dir /tmp` measures the disk.",
  "",
  "Reproduce: `node bench/cache.mjs --runs 7 --write` (Node ≥ 22, needs `npm ci` for esbuild; `--dir` picks the disk).",
];
console.log(`\n${out.join("\n")}`);
if (values.write) writeSection("cache", out.join("\n"));
process.exitCode = save.ratio >= 0.8 && restore.ratio >= 0.8 ? 0 : 1;
