import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { defaultStore, listStore } from "../action-store/store.js";
import { detectSandbox } from "../run/executor/sandbox.js";
import { defaultToolCache, findLacks, lackOptions, renderLacks } from "../run/lacks.js";
import { which } from "../run/shells.js";
import { EVENT_OPTIONS, fail, parse, setup } from "./common.js";
import { plansOf } from "./plan.js";

const HELP = `usage: slipway doctor [event] [options]

Says what 'slipway run' will find on this machine before it runs: the executor (sandbox
or host, and why), the shells, the action store, and what the workflows an event
triggers will lack: toolchain versions the setup actions will not find (and where they
looked), actions and reusable workflows missing from the action store, shells that are
not installed, jobs whose runs-on is skipped here. Takes the options of 'slipway run'.
Exit 0 when nothing is missing, 1 when something is.`;

function machine(): string[] {
  const out: string[] = [];
  const scratch = mkdtempSync(join(tmpdir(), "slipway-doctor-"));
  try {
    const sb = detectSandbox(scratch, "host");
    out.push(
      sb.ok
        ? `executor: sandbox (overlay${sb.userns ? " in a user namespace" : ""}${sb.volatile ? "" : ", layers synced: kernel < 5.10"}); --network none ${detectSandbox(scratch, "none").ok ? "available" : "not available"}`
        : `executor: host (no sandbox: ${sb.reason})`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const shells = ["bash", "sh", "python3", "python", "pwsh"].map((s) => {
    const p = which(s);
    return p ? `${s} (${p})` : `${s}: not installed`;
  });
  out.push(`shells: ${shells.join(", ")}; node (${process.execPath})`);
  const store = defaultStore();
  out.push(`action store: ${store} (${listStore(store).length} stored)`);
  out.push(`tool cache: ${defaultToolCache()}`);
  return out;
}

export async function main(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(() =>
      parseArgs({ args, options: EVENT_OPTIONS, allowPositionals: true }),
    );
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    for (const l of machine()) console.log(l);
    const s = await setup(values, positionals);
    for (const d of s.diagnostics) console.error(d);
    const { sel, plans, planned } = plansOf(s, values);
    for (const e of sel.errors) console.error(`${e.file}: ${e.message}`);
    const { lacks, found } = await findLacks(planned, plans, lackOptions(s.git.root));
    if (values.json) {
      console.log(JSON.stringify({ event: s.event.name, found, lacks }, null, 2));
      return lacks.length ? 1 : 0;
    }
    console.log(
      `\nEvent ${s.event.name} on ${s.event.ref}: ${plans.length} workflow(s) triggered (${plans.map((p) => p.file).join(", ") || "none"})`,
    );
    for (const f of found) console.log(`  ✓ ${f.uses} (${f.job}): ${f.message}`);
    console.log(lacks.length ? renderLacks(lacks) : "Nothing the run needs is missing.");
    return lacks.length ? 1 : 0;
  } catch (e) {
    return fail(e, "doctor");
  }
}
