import { parseArgs } from "node:util";
import { EXIT, fail, parse, UsageError } from "./common.js";
import { type ServerAnswer, serverClient, unreachable } from "./server-client.js";

const HELP = `usage: slipway agent remove ID|NAME --server URL [--token T] [--json]

Removes an agent from a Slipway server ('slipway serve'): its token stops working at once (on
every replica), the jobs it was running are queued again for other agents (a job already
retried fails, saying the agent was removed), and the agent, at its next request, is told and
exits instead of registering again. The logs, results and artifacts it sent stay with their runs.

      --server URL     the server (or SLIPWAY_SERVER_URL)
      --token T        the server's admin token (or SLIPWAY_SERVER_TOKEN)
      --json           print the server's answer as JSON

ID is the agent's id (GET /api/agents lists them); a NAME is looked up there when no agent has
that id. Exit codes: 0 removed, 1 the server refused (said why), 2 usage error.`;

export async function main(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(() =>
      parseArgs({
        args,
        options: {
          server: { type: "string" },
          token: { type: "string" },
          json: { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
        allowPositionals: true,
      }),
    );
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    const [which, ...extra] = positionals;
    if (!which || extra.length) throw new UsageError("expected one agent: slipway agent remove ID|NAME");
    const client = serverClient(values);
    const call = client.call;
    const remove = (id: string) => call("DELETE", `api/agents/${encodeURIComponent(id)}`);
    let r: ServerAnswer;
    try {
      r = await remove(which);
      if (r.status === 404) {
        // Not an id: a name, when exactly one listed agent has it.
        const list = await call("GET", "api/agents");
        const named = ((list.body.agents ?? []) as { id: string; name: string }[]).filter(
          (a) => a.name === which,
        );
        if (named.length > 1) {
          console.error(
            `slipway agent remove: ${named.length} agents are named '${which}': give one's id (${named.map((a) => a.id).join(", ")})`,
          );
          return EXIT.failure;
        }
        if (named.length === 1) r = await remove(named[0]!.id);
      }
    } catch (e) {
      console.error(unreachable("agent remove", client, e));
      return EXIT.failure;
    }
    if (!r.ok) {
      console.error(`slipway agent remove: ${r.status}: ${r.error}`);
      return EXIT.failure;
    }
    const b = r.body as { removed: string; name: string; released: number };
    if (values.json) console.log(JSON.stringify(b, null, 2));
    else
      console.log(
        `agent ${b.name} (${b.removed}) removed` +
          (b.released
            ? `; ${b.released} job(s) it was running released (queued again for another agent, or failed if already retried)`
            : ""),
      );
    return EXIT.ok;
  } catch (e) {
    return fail(e, "agent remove");
  }
}
