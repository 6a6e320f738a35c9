import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { Masker } from "../run/mask.js";
import { RunQueue } from "../server/queue.js";
import { makeServer } from "../server/server.js";
import { EXIT, fail, historyDatabase, parse, repoRootOf, secretValues, UsageError } from "./common.js";

const HELP = `usage: slipway serve [options]

Serves a repository over HTTP: GitHub webhooks start runs (the same runs as 'slipway run', one
at a time in arrival order), the API and a page list them, and their events stream live.

  -C, --directory DIR      the repository (default: .)
      --host HOST          address to listen on (default: 127.0.0.1)
      --port N             port (default: 8080; 0: any free port, printed)
      --db URL             run history in PostgreSQL (default: .slipway/slipway.db)
      --webhook-secret S   GitHub webhook secret (or SLIPWAY_WEBHOOK_SECRET); without one,
                           webhooks are refused
      --token T            bearer token for POST /api/runs (or SLIPWAY_SERVER_TOKEN); without
                           one, starting runs through the API is refused
  -s, --secret-file FILE   secrets for the runs (masked in every output and API answer)
      --no-sandbox, --host-executor   run jobs on the host (as 'slipway run --no-sandbox')

Endpoints: POST /webhooks/github (push, pull_request, ping), POST /api/runs {event, ref,
inputs}, GET /api/runs, GET /api/runs/N, GET /api/runs/N/events (Server-Sent Events; resume
with Last-Event-ID), GET /api/queue/N, GET / (the runs page).

SIGTERM or Ctrl-C stops: no new requests, queued runs dropped, the running run cancelled
and saved as cancelled.`;

export async function main(args: string[]): Promise<number> {
  try {
    const { values } = parse(() =>
      parseArgs({
        args,
        options: {
          directory: { type: "string", short: "C" },
          host: { type: "string" },
          port: { type: "string" },
          db: { type: "string" },
          "webhook-secret": { type: "string" },
          token: { type: "string" },
          "secret-file": { type: "string", short: "s" },
          "no-sandbox": { type: "boolean" },
          "host-executor": { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
      }),
    );
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    const port = Number(values.port ?? 8080);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port expects a number from 0 to 65535, got '${values.port}'`);
    const host = values.host ?? "127.0.0.1";
    historyDatabase(values.db);
    const root = repoRootOf(values.directory);
    const secretFile = values["secret-file"] ? resolve(values["secret-file"]) : undefined;
    // Read now, so a bad file is a usage error at start and the values mask the server's output.
    const secrets = secretValues({ "secret-file": secretFile });
    const webhookSecret = values["webhook-secret"] ?? process.env.SLIPWAY_WEBHOOK_SECRET;
    const token = values.token ?? process.env.SLIPWAY_SERVER_TOKEN;
    const masker = new Masker();
    for (const v of Object.values(secrets)) masker.add(v);
    masker.add(webhookSecret);
    masker.add(token);
    const log = (t: string) => console.log(`${new Date().toISOString()} ${t}`);
    const queue = new RunQueue({
      root,
      db: values.db,
      secretFile,
      runArgs: values["no-sandbox"] || values["host-executor"] ? ["--no-sandbox"] : [],
      log,
    });
    const { server } = makeServer({
      root,
      db: values.db,
      webhookSecret,
      token,
      queue,
      masker,
      maxBody: 25 * 1024 * 1024,
      log,
    });
    await new Promise<void>((ok, ko) => {
      server.once("error", ko);
      server.listen(port, host, () => ok());
    });
    const addr = server.address();
    const shown = typeof addr === "object" && addr ? addr.port : port;
    console.log(`listening on http://${host.includes(":") ? `[${host}]` : host}:${shown}`);
    if (!webhookSecret)
      log("no webhook secret (--webhook-secret or SLIPWAY_WEBHOOK_SECRET): webhooks are refused");
    return await new Promise<number>((done) => {
      let stopping = false;
      const stop = (sig: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        log(`${sig}: stopping`);
        server.close();
        server.closeAllConnections();
        void queue.stop().then(() => done(EXIT.ok));
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE" || (e as NodeJS.ErrnoException).code === "EACCES")
      return fail(new UsageError(`cannot listen: ${(e as Error).message}`), "serve");
    return fail(e, "serve");
  }
}
