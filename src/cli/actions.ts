import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { fetchToStore, githubBase } from "../action-store/fetch.js";
import { parseActionRef } from "../action-store/ref.js";
import { addToStore, defaultStore, listStore } from "../action-store/store.js";
import { fail, parse, UsageError } from "./common.js";

const HELP = `usage: slipway actions <add|list> [options]

The offline action store: actions that are neither local (uses: ./path) nor built in
are run from here. Default store: $SLIPWAY_ACTION_STORE, else $XDG_CACHE_HOME/slipway/actions.

  add OWNER/REPO@REF [--from SOURCE] copy an action in; SOURCE is a git URL, a git
                                     checkout or a plain folder (default: the repository on
                                     GitHub, or under $SLIPWAY_GITHUB_URL). From git, REF (tag,
                                     branch or commit) is checked out and its commit recorded.
                                     'slipway run' and 'plan' do this by themselves for a
                                     missing action unless --offline.
  list                               list stored actions with their commits
      --action-store DIR             use this store
      --json                         list as JSON`;

export async function main(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(() =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          from: { type: "string" },
          "action-store": { type: "string" },
          json: { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
      }),
    );
    const [cmd, target, ...extra] = positionals;
    if (values.help || !cmd) {
      console.log(HELP);
      return values.help ? 0 : 2;
    }
    const store = values["action-store"] ? resolve(values["action-store"]) : defaultStore();
    if (cmd === "list") {
      const all = listStore(store);
      if (values.json) console.log(JSON.stringify(all, null, 2));
      else if (!all.length) console.log(`The action store (${store}) is empty.`);
      else for (const a of all) console.log(`${a.name}@${a.ref}  ${a.commit || "(no commit)"}  ${a.source}`);
      return 0;
    }
    if (cmd !== "add") throw new UsageError(`unknown subcommand '${cmd}' (expected add or list)`);
    if (!target || extra.length) throw new UsageError("expected one OWNER/REPO@REF");
    const r = parseActionRef(target);
    if (!r.ok || r.ref.kind !== "remote")
      throw new UsageError(r.ok ? `'${target}' is not OWNER/REPO@REF` : r.error);
    if (r.ref.path)
      throw new UsageError(
        `add the repository (${r.ref.owner}/${r.ref.repo}@${r.ref.ref}); its sub-folders come with it`,
      );
    const { owner, repo, ref } = r.ref;
    const added = values.from
      ? addToStore(store, owner, repo, ref, values.from)
      : await fetchToStore(store, owner, repo, ref, githubBase(), true);
    if (!added.ok) {
      console.error(`slipway: ${added.error}`);
      return 1;
    }
    console.log(
      `Added ${r.ref.owner}/${r.ref.repo}@${r.ref.ref}${added.meta.commit ? ` at ${added.meta.commit}` : " (no commit: not from git)"} to ${added.dir}`,
    );
    return 0;
  } catch (e) {
    return fail(e, "actions");
  }
}
