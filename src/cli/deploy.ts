import { parseArgs } from "node:util";
import { EXIT, fail, parse, UsageError } from "./common.js";

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
    const server = values.server ?? process.env.SLIPWAY_SERVER_URL;
    if (!server) throw new UsageError("--server URL is required (or SLIPWAY_SERVER_URL)");
    let base: URL;
    try {
      base = new URL(server);
    } catch {
      throw new UsageError(`--server expects a URL, got '${server}'`);
    }
    const to = values.to === undefined ? undefined : Number(values.to);
    if (to !== undefined && !(Number.isInteger(to) && to > 0))
      throw new UsageError(`--to expects a deployment's id (a number), got '${values.to}'`);
    const token = values.token ?? process.env.SLIPWAY_SERVER_TOKEN;
    const url = new URL(
      `api/environments/${encodeURIComponent(environment)}/rollback`,
      base.href.endsWith("/") ? base : `${base.href}/`,
    );
    let r: Response;
    try {
      r = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(to === undefined ? {} : { to }),
      });
    } catch (e) {
      console.error(
        `slipway deploy: cannot reach ${base.origin}: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`,
      );
      return EXIT.failure;
    }
    const text = await r.text();
    let body: { error?: string; queued?: number; rollbackOf?: number; sha?: string } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {}
    if (!r.ok) {
      console.error(`slipway deploy: ${r.status}: ${body.error ?? text.trim()}`);
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
