// `slipway release` and `slipway release check-tag`: argument parsing and output only.
import { appendFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { checkTag } from "../release/check-tag.js";
import { unifiedDiff } from "../release/diff.js";
import type { Bump } from "../release/next-version.js";
import type { Plan } from "../release/plan.js";
import { DEFAULT_NOTES, release } from "../release/release.js";
import { EXIT, fail, parse, UsageError } from "./common.js";

const USAGE = `usage: slipway release [options]
       slipway release check-tag [TAG]

Releases the repository: the next version from the conventional commits since the last release
tag (feat: minor, fix/perf: patch, '!' or a BREAKING CHANGE footer: major; while the major is 0,
breaking: minor and the rest: patch), a Keep a Changelog section prepended to CHANGELOG.md, the
version written into every Cargo.toml, Cargo.lock, package.json, package-lock.json and
pyproject.toml (formatting and comments kept), then a commit 'chore(release): vX.Y.Z' and an
annotated tag vX.Y.Z. Release notes for the forge go to ${DEFAULT_NOTES}.
One version for all by default; '.github/slipway.yml' can say 'release: { mode: per-package }'
(tags <name>-vX.Y.Z) and 'release: { sign: true }'.

      --dry-run         print the version, the changelog section and the diff of every file; change nothing
      --version X       release exactly this version
      --bump LEVEL      major, minor, patch, or pre (the next pre-release number)
      --pre ID          make a pre-release: X.Y.Z-ID.N (e.g. --pre rc)
      --package NAME    per-package mode: release only this package (repeatable)
      --notes FILE      write the release notes here (default ${DEFAULT_NOTES})
      --sign            sign the tag (git tag -s, with your git's signing key)
      --allow-dirty     release even with uncommitted changes to tracked files
      --json            print the outcome as JSON
  -h, --help            show this help

check-tag [TAG]: exit 0 when every manifest's version is TAG's (default: GITHUB_REF_NAME, else
the release tag at HEAD), exit 1 naming each file that differs.

In a workflow step (GITHUB_OUTPUT set) the step outputs are released=true|false, version,
tag, and tags (all of them, per-package mode).

Exit codes: 0 released (or nothing to release), 1 refused (uncommitted changes, tag exists,
versions differ), 2 usage error, not a git repository or a malformed file, 74 a file could not
be written.`;

export async function main(args: string[], cwd = process.cwd()): Promise<number> {
  try {
    if (args[0] === "check-tag") return tagCheck(args.slice(1), cwd);
    const { values, positionals } = parse(() => options(args));
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values.version && values.bump) throw new UsageError("give --version or --bump, not both");
    if (values.version && values.pre)
      throw new UsageError(
        "--version is taken as given: write the pre-release in it (like 2.0.0-rc.1) instead of --pre",
      );
    const bump = values.bump as Bump | undefined;
    if (bump && !["major", "minor", "patch", "pre"].includes(bump))
      throw new UsageError(`--bump expects major, minor, patch or pre, got '${bump}'`);
    if (values.pre !== undefined && !/^[A-Za-z][0-9A-Za-z-]*$/.test(values.pre))
      throw new UsageError(`--pre expects an identifier like rc, beta or alpha, got '${values.pre}'`);
    const r = release({
      cwd,
      dryRun: values["dry-run"] ?? false,
      allowDirty: values["allow-dirty"] ?? false,
      sign: values.sign,
      version: values.version,
      bump,
      preId: values.pre,
      notes: values.notes,
      only: values.package,
    });
    if (r.kind === "error") {
      console.error(`slipway release: ${r.message}`);
      return r.code;
    }
    stepOutputs(r);
    if (values.json) {
      console.log(JSON.stringify(asJson(r), null, 2));
      return EXIT.ok;
    }
    if (r.kind === "nothing") {
      console.log(`slipway release: ${r.message}; nothing was changed`);
      return EXIT.ok;
    }
    if (r.kind === "dry-run") {
      console.log("slipway release: dry run, nothing is changed\n");
      for (const f of r.dirty) console.log(`warning: uncommitted change in ${f} (a real release refuses it)`);
      summary(r.plan);
      for (const u of r.plan.units) console.log(`\n${u.section.markdown}`);
      for (const [file, t] of r.plan.files) process.stdout.write(`\n${unifiedDiff(file, t.before, t.after)}`);
      return EXIT.ok;
    }
    summary(r.plan);
    const tags = r.plan.units.map((u) => u.tag).join(", ");
    console.log(
      `\nreleased ${tags}: commit ${r.commit.slice(0, 12)}, ${r.signed ? "signed" : "annotated"} tag`,
    );
    console.log(`release notes: ${r.notesFile}`);
    console.log(`push with: git push --atomic origin HEAD ${r.plan.units.map((u) => u.tag).join(" ")}`);
    return EXIT.ok;
  } catch (e) {
    return fail(e, "release");
  }
}

/**
 * Inside a workflow step: `released`, `version`, `tag` (and `tags` when several) as step
 * outputs, so later steps can publish only when something was released.
 */
function stepOutputs(r: Exclude<ReturnType<typeof release>, { kind: "error" }>): void {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) return;
  const lines = [`released=${r.kind === "released"}`];
  if (r.kind !== "nothing") {
    const [first] = r.plan.units;
    lines.push(
      `version=${first!.version}`,
      `tag=${first!.tag}`,
      `tags=${r.plan.units.map((u) => u.tag).join(" ")}`,
    );
  }
  appendFileSync(file, `${lines.join("\n")}\n`);
}

function summary(plan: Plan): void {
  for (const u of plan.units) {
    const since = u.previousTag ? `since ${u.previousTag}` : "first release";
    console.log(
      `${u.name ? `${u.name} ` : ""}${u.version} (tag ${u.tag}; ${since}, ${u.commits.length} change${u.commits.length === 1 ? "" : "s"} in the changelog)`,
    );
  }
  const width = Math.max(0, ...plan.changes.map((c) => `${c.place.at.file}:${c.place.at.line}`.length));
  for (const c of plan.changes)
    console.log(
      `  ${`${c.place.at.file}:${c.place.at.line}`.padEnd(width)}  ${c.place.what} ${c.before} -> ${c.after}`,
    );
  for (const u of plan.units) console.log(`  ${u.changelog.padEnd(width)}  new section ${u.version}`);
  for (const n of plan.notes) console.log(`note: ${n}`);
}

function asJson(r: Exclude<ReturnType<typeof release>, { kind: "error" }>) {
  if (r.kind === "nothing") return { status: "nothing", message: r.message };
  const p = r.plan;
  return {
    status: r.kind,
    releases: p.units.map((u) => ({
      name: u.name,
      version: u.version,
      tag: u.tag,
      previousTag: u.previousTag,
      changelog: u.changelog,
      section: u.section.markdown,
    })),
    changes: p.changes.map((c) => ({
      file: c.place.at.file,
      line: c.place.at.line,
      what: c.place.what,
      before: c.before,
      after: c.after,
    })),
    files: [...p.files.keys()],
    notes: p.notes,
    ...(r.kind === "released" ? { commit: r.commit, signed: r.signed, releaseNotes: r.notesFile } : {}),
  };
}

function tagCheck(args: string[], cwd: string): number {
  const { values, positionals } = parse(() =>
    parseArgs({ args, allowPositionals: true, options: { help: { type: "boolean", short: "h" } } }),
  );
  if (values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError("check-tag takes one tag");
  const r = checkTag(cwd, positionals[0]);
  const out = r.code === 0 ? console.log : console.error;
  for (const l of r.lines) out(r.code === 0 ? l : `slipway release check-tag: ${l}`);
  return r.code;
}

function options(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      "dry-run": { type: "boolean", short: "n" },
      version: { type: "string" },
      bump: { type: "string" },
      pre: { type: "string" },
      package: { type: "string", multiple: true },
      notes: { type: "string" },
      sign: { type: "boolean" },
      "allow-dirty": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
