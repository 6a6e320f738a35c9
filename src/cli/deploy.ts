import { parseArgs } from "node:util";
import { EXIT, fail, parse, UsageError } from "./common.js";
import { type ServerAnswer, serverClient, unreachable } from "./server-client.js";

const HELP = `usage: slipway deploy rollback ENVIRONMENT [--to ID] --server URL [--token T] [--json]

Redeploys a previous successful deployment of ENVIRONMENT on a Slipway server ('slipway
serve'): its deployment job runs again at its commit, with its run's trigger and inputs, and is
recorded as a rollback. Without --to: the last successful deployment before the current one.

      --to ID          the deployment to go back to (GET /api/environments/NAME lists them)
      --server URL     the server (or SLIPWAY_SERVER_URL)
      --token T        a token of one of the environment's reviewers or of an admin (or
                       SLIPWAY_SERVER_TOKEN)
      --json           print the server's answer as JSON

Exit codes: 0 queued, 1 the server refused (said why), 2 usage error.`;

export async function main(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(() =>
      parseArgs({
        args,
        options: {
          to: { type: "string" },
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
    const [verb, environment, ...extra] = positionals;
    if (verb !== "rollback")
      throw new UsageError(`expected 'slipway deploy rollback ENVIRONMENT'\n\n${HELP}`);
    if (!environment || extra.length)
      throw new UsageError("expected one environment: slipway deploy rollback ENVIRONMENT");
    const client = serverClient(values);
    const to = values.to === undefined ? undefined : Number(values.to);
    if (to !== undefined && !(Number.isInteger(to) && to > 0))
      throw new UsageError(`--to expects a deployment's id (a number), got '${values.to}'`);
    let r: ServerAnswer;
    try {
      r = await client.call(
        "POST",
        `api/environments/${encodeURIComponent(environment)}/rollback`,
        to === undefined ? {} : { to },
      );
    } catch (e) {
      console.error(unreachable("deploy", client, e));
      return EXIT.failure;
    }
    const body = r.body as { queued?: number; rollbackOf?: number; sha?: string };
    if (!r.ok) {
      console.error(`slipway deploy: ${r.status}: ${r.error}`);
      return EXIT.failure;
    }
    if (values.json) console.log(JSON.stringify(body, null, 2));
    else
      console.log(
        `rollback of ${environment} to deployment ${body.rollbackOf} (${String(body.sha).slice(0, 12)}) queued as ${body.queued}`,
      );
    return EXIT.ok;
  } catch (e) {
    return fail(e, "deploy");
  }
}
