import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AgentRemoved, defaultAgentName, runAgent } from "../agent/agent.js";
import { ServerError } from "../agent/http.js";
import { EXIT, fail, parse, positiveInt, UsageError } from "./common.js";

const HELP = `usage: slipway agent --server URL [options]
       slipway agent remove ID --server URL --token ADMIN_TOKEN   (see slipway agent remove --help)

Runs jobs for a Slipway server ('slipway serve'): leases the jobs whose runs-on its labels
satisfy, runs them on this machine (in the sandbox where it works, as 'slipway run'), and
sends their logs and results back.

      --server URL         the server (or SLIPWAY_SERVER_URL); replicas sharing PostgreSQL:
                           URL,URL,... (one that cannot be reached is left for the next)
      --token T            the server's agent registration token (or SLIPWAY_AGENT_TOKEN)
      --labels a,b         labels besides self-hosted, the OS and the architecture (Linux, X64);
                           GitHub-hosted labels of this OS (ubuntu-latest, ubuntu-24.04, ...) are
                           satisfied too
      --capacity N         jobs at once (default: 1)
      --name NAME          how the server shows it (default: host name and process id)
      --no-sandbox         run jobs on the host even where the sandbox works (such an agent is
                           never given a fork's pull request)
      --heartbeat-seconds N   lease renewal interval, and how soon a cancel is seen (default: 2)

SIGTERM or Ctrl-C stops: running jobs are cancelled (their always() steps run) and their results
sent. An agent an admin removed from the server stops its jobs (the server gives them to other
agents) and exits with code 1, without registering again.`;

export async function main(args: string[]): Promise<number> {
  if (args[0] === "remove") return (await import("./agent-remove.js")).main(args.slice(1));
  try {
    const { values } = parse(() =>
      parseArgs({
        args,
        options: {
          server: { type: "string" },
          token: { type: "string" },
          labels: { type: "string" },
          capacity: { type: "string" },
          name: { type: "string" },
          "no-sandbox": { type: "boolean" },
          "heartbeat-seconds": { type: "string" },
          help: { type: "boolean", short: "h" },
        },
      }),
    );
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    const server = values.server ?? process.env.SLIPWAY_SERVER_URL;
    if (!server) throw new UsageError("--server URL is required (or SLIPWAY_SERVER_URL)");
    for (const one of server.split(","))
      try {
        new URL(one);
      } catch {
        throw new UsageError(`--server expects a URL (or URL,URL,...), got '${one}'`);
      }
    const token = values.token ?? process.env.SLIPWAY_AGENT_TOKEN;
    // Not passed on to anything this process starts.
    delete process.env.SLIPWAY_AGENT_TOKEN;
    if (!token)
      throw new UsageError("--token is required (or SLIPWAY_AGENT_TOKEN): the server's agent token");
    const labels = (values.labels ?? "")
      .split(",")
      .map((l) => l.trim())
      .filter(Boolean);
    for (const l of labels)
      if (!/^[\w.:-]{1,100}$/.test(l)) throw new UsageError(`--labels: '${l}' is not a label name`);
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    // A built-in agent of `slipway serve` ends with its server.
    if (process.env.SLIPWAY_AGENT_WATCH_STDIN === "1") {
      process.stdin.on("close", stop);
      process.stdin.resume();
    }
    const log = (t: string) => console.log(`${new Date().toISOString()} ${t}`);
    try {
      await runAgent({
        url: server,
        token,
        name: values.name ?? defaultAgentName(),
        labels,
        capacity: positiveInt(values.capacity, "--capacity") ?? 1,
        noSandbox: !!values["no-sandbox"],
        workDir: join(tmpdir(), `slipway-agent-${process.pid}`),
        toolCache: join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "slipway", "tool-cache"),
        heartbeatMs: (positiveInt(values["heartbeat-seconds"], "--heartbeat-seconds") ?? 2) * 1000,
        log,
        signal: ac.signal,
      });
    } catch (e) {
      if (e instanceof AgentRemoved) {
        console.error(`slipway agent: removed from the server: ${e.message}; not registering again`);
        return EXIT.failure;
      }
      if (e instanceof ServerError && e.status === 401) {
        console.error(`slipway agent: the server refused the token: ${e.message}`);
        return EXIT.failure;
      }
      throw e;
    } finally {
      // Watched for a built-in agent: left open, it would keep this process alive.
      process.stdin.destroy();
    }
    return EXIT.ok;
  } catch (e) {
    return fail(e, "agent");
  }
}
