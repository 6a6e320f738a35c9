// Argument dispatch only; each command lives in its own module.
const commands: Record<string, () => Promise<{ main(args: string[]): Promise<number> }>> = {
  run: () => import("./run.js"),
  plan: () => import("./plan.js"),
  list: () => import("./list.js"),
  logs: () => import("./logs.js"),
  lint: () => import("./lint.js"),
  audit: () => import("./audit.js"),
  pin: () => import("./pin.js"),
  score: () => import("./score.js"),
  actions: () => import("./actions.js"),
  artifacts: () => import("./artifacts.js"),
  doctor: () => import("./doctor.js"),
  history: () => import("./history.js"),
  stats: () => import("./stats.js"),
  serve: () => import("./serve.js"),
  agent: () => import("./agent.js"),
  deploy: () => import("./deploy.js"),
  release: () => import("./release.js"),
  publish: () => import("./publish.js"),
  init: () => import("./init.js"),
};

const USAGE = `usage: slipway <command> [options]

  run [event]   run the workflows triggered by an event (default: push) on this machine
  plan [event]  show the job graph, matrix legs and why jobs are skipped
  list          list workflows, jobs and their triggers
  logs [run] [job]  show the saved logs of a run
  lint [paths]  find errors in workflows and actions
  audit [paths] find security problems
  pin           pin actions to commit SHAs
  score         grade the pipeline 0-100
  actions add|list  keep remote actions in the offline action store
  artifacts [run]   list the artifacts a run uploaded
  doctor [event]    what this machine lacks for a run: toolchains, actions, shells, sandbox
  history [run]     the recorded runs, newest first; with a run: its jobs, steps and annotations
  serve             serve the repository: webhooks start runs, an API and a page list them
  agent             run jobs for a server ('slipway serve') on this machine
  deploy rollback ENV  redeploy a previous deployment of ENV on a server (--server URL)
  stats             durations (p50, p90, trend), failure rates, flaky jobs and slowest steps
  release           next version from conventional commits, changelog, versions in every manifest, tag
  release check-tag [TAG]  exit 1 unless every manifest's version is the tag's
  publish           publish crates, then npm packages, then Python dists, each once, checked and signed
  init              write a pinned, least-privilege pipeline for this repository (CI, security, release, publish)

Run 'slipway <command> --help' for a command's options.

Exit codes: 0 success, 1 the run or the findings failed, 2 usage error, 70 a bug in Slipway,
74 results could not be saved (disk full, ...), 130 stopped by Ctrl-C (143 by SIGTERM).`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  if (cmd === "--version" || cmd === "-V") {
    console.log("slipway 0.1.0");
    return 0;
  }
  const load = commands[cmd];
  if (!load) {
    console.error(`slipway: unknown command '${cmd}'\n\n${USAGE}`);
    return 2;
  }
  return (await load()).main(rest);
}

// A reader that went away (`slipway run | head -3`) is no error of the command: output
// stops, the work goes on and is saved. Without a listener, EPIPE would crash Slipway with
// a stack trace and leave its temporary folders behind.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});

// A command whose promise never settles lets Node exit 0 once nothing keeps it alive (a
// job timeout on the host once ended a run that way): that is a bug, never a success.
let settled = false;
process.on("beforeExit", () => {
  if (settled) return;
  settled = true;
  console.error("slipway: internal error: the command stopped before it finished");
  process.exitCode = 70;
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    settled = true;
    // Last resort: a bug, not user input. Still no stack trace unless asked for.
    console.error(`slipway: internal error: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.SLIPWAY_DEBUG) console.error(err);
    process.exitCode = 70;
  },
);
