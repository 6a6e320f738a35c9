// `slipway pin [paths...]`: argument parsing, output and exit codes only.
import { parseArgs } from "node:util";
import { defaultStore } from "../action-store/store.js";
import { checkPins, pinRepo } from "../lint/pin-repo.js";
import { EXIT, fail, parse } from "./common.js";

const USAGE = `usage: slipway pin [paths...] [options]

Rewrites 'uses: owner/repo@tag' to 'owner/repo@<commit sha> # tag' in every workflow and
local action (or the given files), editing only those characters. Tags are resolved from the
action store first, then with 'git ls-remote https://github.com/owner/repo'.

      --check           list unpinned uses and exit 1 if there are any; writes nothing
      --store DIR       action store: <DIR>/<owner>/<repo>/<ref>/.slipway-action.json
                        (default: $SLIPWAY_ACTION_STORE or $XDG_CACHE_HOME/slipway/actions)
      --offline         do not run git ls-remote; use the store only
      --git-base URL    Git host for ls-remote (default: https://github.com)
      --json            print the outcome as JSON
  -h, --help            show this help

Exit codes: 0 everything pinned, 1 uses left unpinned, 2 usage error or a file that could not
be read, parsed or written (such files are left unchanged).`;

export async function main(args: string[], cwd = process.cwd()): Promise<number> {
  try {
    return await pin(args, cwd);
  } catch (e) {
    return fail(e, "pin");
  }
}

async function pin(args: string[], cwd: string): Promise<number> {
  const { values, positionals } = parse(() => options(args));
  if (values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (values.check) {
    const r = await checkPins(cwd, positionals);
    if (noFiles(r.missing, r.files, r.loops)) return 2;
    const errors = r.outcomes.filter((o) => o.error);
    if (values.json) {
      const unpinned = r.unpinned.map(([file, s]) => ({ file, line: s.line, col: s.col, uses: s.uses }));
      console.log(
        JSON.stringify({ unpinned, errors: errors.map((o) => ({ file: o.file, ...o.error })) }, null, 2),
      );
    } else {
      for (const [file, s] of r.unpinned)
        console.log(`${file}:${s.line}:${s.col}: not pinned to a commit SHA: ${s.uses}`);
      for (const o of errors)
        console.error(`${o.file}:${o.error!.line}:${o.error!.col}: ${o.error!.message}`);
      const pinned = r.outcomes.reduce((n, o) => n + o.alreadyPinned, 0);
      console.log(`${pinned} pinned, ${r.unpinned.length} unpinned`);
    }
    return errors.length ? 2 : r.unpinned.length ? 1 : 0;
  }
  const r = await pinRepo(cwd, positionals, {
    store: values.store ?? defaultStore(),
    offline: values.offline ?? false,
    ...(values["git-base"] ? { gitBase: values["git-base"] } : {}),
  });
  if (noFiles(r.missing, r.files, r.loops)) return 2;
  const pinned = r.outcomes.flatMap((o) => o.pinned.map((p) => ({ file: o.file, ...p })));
  const failed = r.outcomes.flatMap((o) => o.failed.map((f) => ({ file: o.file, ...f })));
  const errors = r.outcomes.filter((o) => o.error);
  if (values.json) {
    const site = (s: { line: number; col: number; uses: string }) => ({
      line: s.line,
      col: s.col,
      uses: s.uses,
    });
    console.log(
      JSON.stringify(
        {
          pinned: pinned.map((p) => ({ file: p.file, ...site(p.site), sha: p.sha, via: p.via })),
          failed: failed.map((f) => ({ file: f.file, ...site(f.site), error: f.error })),
          errors: errors.map((o) => ({ file: o.file, ...o.error })),
        },
        null,
        2,
      ),
    );
  } else {
    for (const p of pinned)
      console.log(
        `${p.file}:${p.site.line}:${p.site.col}: pinned ${p.site.uses} to ${p.sha} (from ${p.via})`,
      );
    for (const f of failed)
      console.error(`${f.file}:${f.site.line}:${f.site.col}: cannot pin ${f.site.uses}: ${f.error}`);
    for (const o of errors) console.error(`${o.file}:${o.error!.line}:${o.error!.col}: ${o.error!.message}`);
    const files = new Set(pinned.map((p) => p.file)).size;
    console.log(
      `pinned ${pinned.length} use${pinned.length === 1 ? "" : "s"} in ${files} file${files === 1 ? "" : "s"}; ${failed.length} left unpinned`,
    );
  }
  return errors.length ? 2 : failed.length ? 1 : 0;
}

/** Paths that do not exist, nothing to pin, or a symbolic-link loop (then nothing is rewritten). */
function noFiles(missing: string[], files: number, loops: string[]): boolean {
  for (const m of missing) console.error(`slipway pin: ${m}: no such file or directory`);
  for (const l of loops) console.error(`slipway pin: ${l}`);
  if (missing.length || loops.length) return true;
  if (files === 0) {
    console.error("slipway pin: no workflows or actions found (looked in .github/)");
    return true;
  }
  return false;
}

function options(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      check: { type: "boolean" },
      store: { type: "string" },
      offline: { type: "boolean" },
      "git-base": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
