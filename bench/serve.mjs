// The server's goals (issue 12): idle agents, dispatch, cancel, live-log fan-out, webhooks,
// each against a real `slipway serve` process on loopback, driven from here by protocol-level
// clients (HTTP as `slipway agent` and GitHub speak it, without their processes). Linux only:
// CPU times and processes are read from /proc.
// Usage: npm run build && node bench/serve.mjs [--quick] [--db postgres://...]
// With SLIPWAY_TEST_DATABASE_URL set (bash -c 'source .ci/postgres.sh; node bench/serve.mjs')
// or --db, the figure that touches the database (cancel: the run's history) runs again on it.
import { execFileSync, spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { Agent, request } from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { build } from "esbuild";
import { repo } from "./common.mjs";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "bin/slipway.js");
const QUICK = process.argv.includes("--quick");
const dbAt = process.argv.indexOf("--db");
const PG = (dbAt > 0 ? process.argv[dbAt + 1] : undefined) ?? process.env.SLIPWAY_TEST_DATABASE_URL;
/** Clock ticks a second, the unit of CPU times in /proc. */
const TICK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));
const SECRET = "bench-webhook-secret";
const TOKEN = "bench-api-token";
const AGENT_TOKEN = "bench-agent-token";
// Every job process of the cancel runs carries it in its environment: found in /proc, as the
// host executor finds a job's processes.
const MARK = `SLIPWAY_BENCH_MARK=${randomBytes(6).toString("hex")}`;
const PLATFORM = { os: "linux", arch: "x64" };

/** Processes started here: killed if the bench ends early (their own children watch their stdin). */
const spawned = new Set();
process.on("exit", () => {
  for (const p of spawned) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));
function track(proc) {
  spawned.add(proc);
  proc.on("exit", () => spawned.delete(proc));
  return proc;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const fmt = (x, d = 1) => x.toFixed(d);
/** A rate per second of the server's CPU: what one core of its own would do (the machine is shared). */
const perCore = (rate, cpuPercent) => fmt(rate / (cpuPercent / 100), 0);

/** One HTTP request; the answer's status and text. */
function call(base, method, path, { agent, token, body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const req = request(
      new URL(path, base),
      {
        method,
        agent,
        headers: {
          ...(data !== undefined ? { "content-type": "application/json" } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () => resolve({ status: res.statusCode, text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}
const json = (r) => JSON.parse(r.text);

/** `slipway serve` as a process on port 0; resolves when it listens. */
async function serve(dir, extra, db) {
  const proc = track(
    spawn(
      process.execPath,
      [BIN, "serve", "--port", "0", "-C", dir, "--no-sandbox", ...(db ? ["--db", db] : []), ...extra],
      {
        cwd: dir,
        env: { ...process.env, CI: "true", SLIPWAY_DATABASE_URL: "" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    ),
  );
  let out = "";
  proc.stdout.on("data", (d) => {
    out += d;
  });
  proc.stderr.on("data", (d) => {
    out += d;
  });
  const exited = new Promise((r) => proc.on("exit", () => r()));
  const end = Date.now() + 30_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) return { proc, url: m[1], out: () => out, exited };
    if (proc.exitCode !== null || Date.now() > end) throw new Error(`slipway serve did not start:\n${out}`);
    await sleep(20);
  }
}

async function stop(s) {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  s.proc.kill("SIGTERM");
  const t = setTimeout(() => s.proc.kill("SIGKILL"), 20_000);
  await s.exited;
  clearTimeout(t);
}

async function until(what, fn, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A process's CPU time so far (user + system, all its threads), ms. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
}

/** The machine's busy CPU time so far (all cores, not idle, not waiting for I/O), ms. */
function machineMs() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].split(/\s+/).slice(1, 9).map(Number);
  return ((f.reduce((a, b) => a + b, 0) - f[3] - f[4]) * 1000) / TICK;
}

/**
 * The server's CPU over `fn`, as % of one core, and what the rest of the machine used
 * meanwhile, in cores (not this bench, not the server): the machine is shared.
 */
async function serverCpu(pid, fn) {
  const c = cpuMs(pid);
  const m = machineMs();
  const b = process.cpuUsage();
  const t = now();
  const value = await fn();
  const ms = now() - t;
  const server = cpuMs(pid) - c;
  const bench = process.cpuUsage(b);
  const others = machineMs() - m - server - (bench.user + bench.system) / 1000;
  return { percent: (server / ms) * 100, value, ms, others: Math.max(0, others / ms) };
}

/** A memory figure of /proc/PID/status (VmRSS: resident now, VmHWM: its peak), MB. */
const memMb = (pid, key) =>
  Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;

const pids = () => readdirSync("/proc").filter((d) => /^\d+$/.test(d));

/** Processes whose environment holds `marker` (a whole NAME=value entry). */
function withMarker(marker) {
  const out = [];
  for (const d of pids()) {
    let env;
    try {
      env = readFileSync(`/proc/${d}/environ`, "latin1");
    } catch {
      continue;
    }
    if (env.startsWith(marker) || env.includes(`\0${marker}`)) out.push(Number(d));
  }
  return out;
}

/** One of the job's `sleep 600`s. */
const sleeping = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1") === "sleep\u0000600\u0000";
  } catch {
    return false;
  }
};

/** An agent process leaves its (empty) work folder behind: removed when empty. */
function dropAgentFolder(pid) {
  try {
    rmdirSync(join(tmpdir(), `slipway-agent-${pid}`));
  } catch {}
}

function childrenOf(pid) {
  const out = [];
  for (const d of pids()) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(d));
    } catch {}
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 1. Idle agents: 100 protocol-level agents in long polls; the server's CPU.

async function idleAgents(s) {
  const window = QUICK ? 5000 : 10_000;
  await sleep(1000);
  const alone = await serverCpu(s.proc.pid, () => sleep(QUICK ? 2000 : 5000));

  // One real agent, for what a process of it costs (100 of them are not started here).
  const real = track(
    spawn(process.execPath, [BIN, "agent", "--server", s.url, "--no-sandbox", "--name", "real-1"], {
      env: { ...process.env, SLIPWAY_AGENT_TOKEN: AGENT_TOKEN },
      stdio: "ignore",
    }),
  );
  await until("the real agent to register", async () =>
    json(await call(s.url, "GET", "/api/agents")).agents.some((a) => a.name === "real-1"),
  );
  await sleep(500);
  const rssMb = memMb(real.pid, "VmRSS");
  real.kill("SIGTERM");
  await new Promise((r) => real.on("exit", r));
  dropAgentFolder(real.pid);

  const http = new Agent({ keepAlive: true, maxSockets: Infinity });
  let running = true;
  let polls = 0;
  let leased = 0;
  const loops = [];
  for (let i = 0; i < 100; i++) {
    const r = await call(s.url, "POST", "/api/agent/register", {
      agent: http,
      token: AGENT_TOKEN,
      body: { name: `idle-${i}`, labels: ["idle"], platform: PLATFORM, capacity: 1 },
    });
    if (r.status !== 200) throw new Error(`register: ${r.status} ${r.text}`);
    const token = json(r).token;
    // The first poll ends at a random point of the 20 s, so the renewals are spread as they
    // are once agents have been connected a while (5 a second for 100).
    let wait = 1000 + Math.random() * 19_000;
    loops.push(
      (async () => {
        while (running) {
          const l = await call(s.url, "POST", "/api/agent/lease", {
            agent: http,
            token,
            body: { wait },
          }).catch(() => undefined);
          if (!running) return;
          polls++;
          if (l?.status === 200) leased++;
          wait = 20_000;
        }
      })(),
    );
  }
  await sleep(2000);
  const before = polls;
  const idle = await serverCpu(s.proc.pid, () => sleep(window));
  const renewed = polls - before;
  const connected = json(await call(s.url, "GET", "/api/agents")).agents.filter((a) =>
    a.name.startsWith("idle-"),
  ).length;
  running = false;
  http.destroy();
  await Promise.all(loops);
  if (leased) throw new Error(`idle agents got ${leased} leases`);
  return { alone, idle, window, renewed, connected, rssMb };
}

// ---------------------------------------------------------------------------------------------
// 5. Webhooks: signed push events of a deleted branch, from 50 senders at once.

/** A push payload of the size GitHub sends (a repository object, a pusher, no commits). */
function deletedPush() {
  const repository = { id: 1, name: "r", full_name: "o/r", private: false, default_branch: "main" };
  for (const k of ["html", "git", "ssh", "clone", "svn", "hooks", "issues", "pulls", "commits", "tags"])
    repository[`${k}_url`] = `https://github.com/o/r/${k}/${"x".repeat(40)}`;
  for (let i = 0; i < 60; i++) repository[`field_${i}`] = `value ${i} ${"y".repeat(40)}`;
  return JSON.stringify({
    ref: "refs/heads/gone",
    before: "1".repeat(40),
    after: "0".repeat(40),
    created: false,
    deleted: true,
    forced: false,
    commits: [],
    head_commit: null,
    repository,
    pusher: { name: "alice", email: "alice@example.com" },
    sender: { login: "alice", id: 2, type: "User" },
  });
}

async function webhooks(s) {
  const body = deletedPush();
  const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
  const headers = (id, sig = signature) => ({
    "x-github-event": "push",
    "x-github-delivery": id,
    "x-hub-signature-256": sig,
  });
  // A wrong signature is refused: the check is on.
  const bad = await call(s.url, "POST", "/webhooks/github", {
    body,
    headers: headers("bench-bad", `sha256=${"0".repeat(64)}`),
  });
  if (bad.status !== 401) throw new Error(`a wrongly signed webhook got ${bad.status}`);
  const http = new Agent({ keepAlive: true, maxSockets: 50 });
  const ms = QUICK ? 2000 : 3000;
  let n = 0;
  let ok = 0;
  const other = new Map();
  const client0 = process.cpuUsage();
  const r = await serverCpu(s.proc.pid, async () => {
    const end = now() + ms;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (now() < end) {
          const a = await call(s.url, "POST", "/webhooks/github", {
            agent: http,
            body,
            headers: headers(`d-${n++}`),
          });
          if (a.status === 200 && a.text.includes('"ignored"')) ok++;
          else other.set(a.status, (other.get(a.status) ?? 0) + 1);
        }
      }),
    );
  });
  const client = process.cpuUsage(client0);
  http.destroy();
  if (other.size) throw new Error(`webhooks not accepted: ${JSON.stringify([...other])}`);
  return {
    perSecond: (ok / r.ms) * 1000,
    n: ok,
    bytes: body.length,
    serverCpu: r.percent,
    others: r.others,
    clientCpu: ((client.user + client.system) / 1000 / r.ms) * 100,
  };
}

// ---------------------------------------------------------------------------------------------
// 4. Live logs: 50 SSE clients of one run, its events.jsonl read to its end (a finished run)
// and followed while it grows (a running run).

function logLines(from, bytes) {
  const text = "l".repeat(120);
  const lines = [];
  let size = 0;
  let seq = from;
  while (size < bytes) {
    const line = `${JSON.stringify({ type: "log", job: "build", step: 1, stream: "stdout", text: `${seq} ${text}`, runId: "bench", seq, time: Date.now() })}\n`;
    lines.push(line);
    size += line.length;
    seq++;
  }
  return { text: lines.join(""), next: seq };
}
const runEnd = (seq) =>
  `${JSON.stringify({ type: "run-end", result: "success", runId: "bench", seq, time: Date.now() })}\n`;

/** `n` SSE clients of run `run` from the start; resolves with each one's bytes when all ended. */
function sseClients(s, run, n) {
  const http = new Agent({ keepAlive: false, maxSockets: Infinity });
  let open = 0;
  const all = Array.from(
    { length: n },
    () =>
      new Promise((resolve, reject) => {
        const req = request(new URL(`/api/runs/${run}/events`, s.url), { agent: http }, (res) => {
          open++;
          let bytes = 0;
          let tail = "";
          res.on("data", (d) => {
            bytes += d.length;
            tail = (tail + d.toString("latin1")).slice(-200);
          });
          res.on("end", () => {
            if (!tail.includes("event: run-end")) reject(new Error("an SSE stream ended before run-end"));
            resolve({ bytes, at: now() });
          });
        });
        req.on("error", reject);
        req.end();
      }),
  );
  return { done: Promise.all(all), open: () => open };
}

async function liveLogs(s, liveRun) {
  const size = (QUICK ? 4 : 8) * 1024 * 1024;
  // A finished run's folder, read to its end.
  const dir = join(s.dir, ".slipway", "runs", "999999");
  mkdirSync(dir, { recursive: true });
  const { text, next } = logLines(1, size);
  writeFileSync(join(dir, "events.jsonl"), text + runEnd(next));
  const rssBefore = memMb(s.proc.pid, "VmRSS");
  const t0 = now();
  const c0 = process.cpuUsage();
  const finished = await serverCpu(s.proc.pid, () => sseClients(s, 999999, 50).done);
  const fc = process.cpuUsage(c0);
  const fBytes = finished.value.reduce((a, c) => a + c.bytes, 0);
  const fMs = Math.max(...finished.value.map((c) => c.at)) - t0;

  // A running run (its job waits for an agent that never comes): lines appended as fast as
  // the disk takes them, in 256 KB pieces, while 50 clients follow.
  const file = join(s.dir, ".slipway", "runs", String(liveRun), "events.jsonl");
  const clients = sseClients(s, liveRun, 50);
  await until("50 SSE clients connected", () => clients.open() === 50);
  await sleep(300); // the run's own events so far are sent
  const lines = logLines(1_000_000, size);
  const l0 = now();
  const c1 = process.cpuUsage();
  const live = await serverCpu(s.proc.pid, async () => {
    const piece = 256 * 1024;
    for (let at = 0; at < lines.text.length; ) {
      let end = Math.min(lines.text.length, at + piece);
      end = lines.text.indexOf("\n", end - 1) + 1 || lines.text.length;
      appendFileSync(file, lines.text.slice(at, end));
      at = end;
      await sleep(2);
    }
    const wrote = now() - l0;
    appendFileSync(file, runEnd(lines.next));
    return { clients: await clients.done, wrote };
  });
  const lc = process.cpuUsage(c1);
  const clientCpu = (c, ms) => ((c.user + c.system) / 1000 / ms) * 100;
  const lBytes = live.value.clients.reduce((a, c) => a + c.bytes, 0);
  const lMs = Math.max(...live.value.clients.map((c) => c.at)) - l0;
  return {
    size,
    rssBefore,
    peak: memMb(s.proc.pid, "VmHWM"),
    finished: {
      mbps: fBytes / 1e6 / (fMs / 1000),
      bytes: fBytes,
      ms: fMs,
      cpu: finished.percent,
      others: finished.others,
      client: clientCpu(fc, fMs),
    },
    live: {
      mbps: lBytes / 1e6 / (lMs / 1000),
      bytes: lBytes,
      ms: lMs,
      cpu: live.percent,
      others: live.others,
      client: clientCpu(lc, lMs),
      wrote: live.value.wrote,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Dispatch: 20 protocol-level agents running trivial jobs, legs queued as a run queues them.

function assignment(i) {
  return {
    key: `leg-${i}`,
    jobId: "leg",
    name: `leg ${i}`,
    workflow: { file: ".github/workflows/ci.yml", name: "ci" },
    steps: [{ run: "true" }],
    contexts: { github: { run_id: "1", ref: "refs/heads/main", sha: "a".repeat(40), event_name: "push" } },
    secretNames: [],
    secrets: {},
    workflowEnv: {},
    runnerEnv: { CI: "true" },
    prepare: {
      repoRoot: "/nowhere",
      sha: "a".repeat(40),
      bind: false,
      workRoot: "/tmp/w",
      toolCache: "/tmp/t",
    },
    runsOn: ["bench"],
    continueOnError: false,
    verbose: false,
  };
}

const clock = () => performance.timeOrigin + performance.now();

/**
 * The agents' side, in a worker thread (an event loop of their own, as agents on other
 * machines have): each leases, sends one batch of events and completes at once; says to the
 * main thread when each leg started.
 */
async function agentsWorker({ url, n }) {
  const http = new Agent({ keepAlive: true, maxSockets: Infinity });
  let running = true;
  parentPort.on("message", () => {
    running = false;
  });
  const loops = [];
  for (let i = 0; i < n; i++) {
    const r = await call(url, "POST", "/api/agent/register", {
      agent: http,
      token: AGENT_TOKEN,
      body: { name: `bench-${i}`, labels: ["bench"], platform: PLATFORM, capacity: 1 },
    });
    const token = json(r).token;
    loops.push(
      (async () => {
        while (running) {
          // 1 s rather than an agent's 20 s, so the bench ends soon: more requests, not fewer.
          const l = await call(url, "POST", "/api/agent/lease", { agent: http, token, body: { wait: 1000 } });
          if (l.status !== 200) continue;
          const at = clock();
          const { lease, leg, assignment: a } = json(l);
          parentPort.postMessage({ leg, at });
          const events = [
            { type: "job-start", job: a.key, name: a.name, labels: a.runsOn },
            { type: "log", job: a.key, step: 0, stream: "stdout", text: "done" },
            { type: "job-end", job: a.key, name: a.name, result: "success", durationMs: 0, outputs: {} },
          ];
          const e = await call(url, "POST", "/api/agent/events", {
            agent: http,
            token,
            body: { lease, from: 1, events },
          });
          if (e.status !== 200) throw new Error(`events: ${e.status} ${e.text}`);
          const c = await call(url, "POST", "/api/agent/complete", {
            agent: http,
            token,
            body: { lease, result: { result: "success", outputs: {} } },
          });
          if (c.status !== 200) throw new Error(`complete: ${c.status} ${c.text}`);
        }
      })(),
    );
  }
  parentPort.postMessage({ ready: true });
  await Promise.all(loops);
  http.destroy();
  parentPort.close();
}

/**
 * The server's Dispatcher and agent API (the code `slipway serve` runs, bundled by esbuild) in
 * a process of their own, with one more route: the Dispatcher's own enqueue → lease delays.
 */
async function dispatcherProcess() {
  const tmp = mkdtempSync(join(tmpdir(), "slipway-serve-bench-"));
  await build({
    stdin: {
      contents: [
        'export { Dispatcher } from "./src/server/dispatch.ts";',
        'export { agentApi } from "./src/server/agent-api.ts";',
        'export { HttpError } from "./src/server/http.ts";',
        'export { Masker } from "./src/run/mask.ts";',
      ].join("\n"),
      resolveDir: ROOT,
      loader: "ts",
    },
    outfile: join(tmp, "dispatch.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    logLevel: "warning",
  });
  writeFileSync(
    join(tmp, "harness.mjs"),
    `import { createServer } from "node:http";
import { agentApi, Dispatcher, HttpError, Masker } from "./dispatch.mjs";
const d = new Dispatcher({ leaseMs: 30000, retries: 1, log: () => {} });
const masker = new Masker();
for (const t of [${JSON.stringify(AGENT_TOKEN)}, "D"]) masker.add(t);
const api = agentApi({ dispatcher: d, registrationToken: ${JSON.stringify(AGENT_TOKEN)}, dispatchToken: "D",
  maxWaitMs: 25000, mask: (t) => masker.mask(t), unauthorized: () => {} });
const server = createServer((req, res) => {
  if (req.url === "/bench/start-delays") return res.end(JSON.stringify(d.startDelays));
  api(req, res, new URL(req.url, "http://x").pathname)
    .then((ok) => { if (!ok) throw new HttpError(404, "not found"); })
    .catch((e) => { res.writeHead(e.status ?? 500, { connection: "close" }); res.end(JSON.stringify({ error: e.message })); });
});
server.listen(0, "127.0.0.1", () => console.log("listening on http://127.0.0.1:" + server.address().port));
`,
  );
  const proc = track(
    spawn(process.execPath, [join(tmp, "harness.mjs")], { stdio: ["ignore", "pipe", "inherit"] }),
  );
  let out = "";
  proc.stdout.on("data", (d) => {
    out += d;
  });
  const exited = new Promise((r) => proc.on("exit", () => r()));
  const url = (await until("the dispatcher process", () => /listening on (\S+)/.exec(out)))[1];
  return {
    proc,
    url,
    exited,
    token: "D",
    startDelays: async () => json(await call(url, "GET", "/bench/start-delays")),
    close: async () => {
      await stop({ proc, exited });
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

async function dispatch(s, dispatchToken, withBurst) {
  const http = new Agent({ keepAlive: true, maxSockets: Infinity });
  const startAt = new Map(); // leg id → when its agent got it
  const worker = new Worker(new URL(import.meta.url), { workerData: { url: s.url, n: 20 } });
  const failed = new Promise((_, reject) => worker.on("error", reject));
  await Promise.race([
    failed,
    new Promise((resolve) =>
      worker.on("message", (m) => {
        if (m.ready) resolve();
        else startAt.set(m.leg, m.at);
      }),
    ),
  ]);
  /** A run's leg: queued, then read until its result (as remote-leg.ts does); its id and enqueue time. */
  const oneLeg = async (i) => {
    const t = clock();
    const q = await call(s.url, "POST", "/api/dispatch/legs", {
      agent: http,
      token: dispatchToken,
      body: { run: 1, assignment: assignment(i), untrusted: false },
    });
    if (q.status !== 200) throw new Error(`enqueue: ${q.status} ${q.text}`);
    const leg = json(q).leg;
    for (let after = 0, read = 0; ; ) {
      const n = json(
        await call(s.url, "POST", "/api/dispatch/next", {
          agent: http,
          token: dispatchToken,
          body: { leg, after, wait: 20_000 },
        }),
      );
      // The server's cursor (PostgreSQL: event ids), or a count of the events read.
      after = n.after ?? after + n.events.length;
      read += n.events.length;
      if (n.result) {
        if (n.result.result !== "success" || read !== 3) throw new Error(`leg ${i}: ${JSON.stringify(n)}`);
        return { leg, t };
      }
    }
  };
  const delays = async (legs) => {
    await until("every start reported", () => legs.every((l) => startAt.has(l.leg)), 10_000);
    return legs.map((l) => startAt.get(l.leg) - l.t);
  };

  // Throughput: N legs, 64 queued at a time (a run queues all its ready legs at once).
  const n = withBurst ? (QUICK ? 500 : 2000) : 0;
  let i = 0;
  const c0 = process.cpuUsage();
  const burst = await serverCpu(s.proc.pid, () =>
    Promise.race([
      failed,
      Promise.all(
        Array.from({ length: 64 }, async () => {
          while (i < n) await oneLeg(i++);
        }),
      ),
    ]),
  );
  const c1 = process.cpuUsage(c0);
  // Latency: legs queued at the goal's rate (200/s), one every 5 ms, whether or not the ones
  // before have finished. The driver's event-loop delay shows how late it was itself.
  const m = QUICK ? 400 : 1000;
  const pacedLegs = [];
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const steady = await serverCpu(s.proc.pid, async () => {
    const t0 = now();
    const all = [];
    for (let k = 0; k < m; k++) {
      const due = t0 + k * 5;
      if (due > now()) await sleep(due - now());
      all.push(oneLeg(n + k).then((l) => pacedLegs.push(l)));
    }
    await Promise.race([failed, Promise.all(all)]);
  });
  lag.disable();
  const paced = await delays(pacedLegs);
  const inServer = s.startDelays ? (await s.startDelays()).slice(-m) : undefined;
  worker.postMessage("stop");
  await new Promise((r) => worker.on("exit", r));
  http.destroy();
  return {
    n,
    jobsPerSecond: (n / burst.ms) * 1000,
    burstCpu: burst.percent,
    burstOthers: burst.others,
    driverCpu: ((c1.user + c1.system) / 1000 / burst.ms) * 100,
    m,
    p50: pct(paced, 50),
    p99: pct(paced, 99),
    max: Math.max(...paced),
    steadyCpu: steady.percent,
    steadyOthers: steady.others,
    offered: (m / steady.ms) * 1000,
    lagP99: lag.percentile(99) / 1e6,
    ...(inServer
      ? { inServer: { p50: pct(inServer, 50), p99: pct(inServer, 99), max: Math.max(...inServer) } }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Cancel: a run whose job holds a process tree, the server stopped (it cancels its run).

const HOLD = `on: workflow_dispatch
jobs:
  hold:
    runs-on: ubuntu-latest
    env:
      ${MARK.replace("=", ": ")}
    steps:
      - run: sleep 600 & sleep 600 & wait
`;

async function cancel(db) {
  const reps = QUICK ? 3 : 5;
  const dir = repo({ ".github/workflows/hold.yml": HOLD, ".gitignore": ".slipway/\n" });
  const times = [];
  const exits = [];
  let cancelled = 0;
  let left = 0;
  const agentPids = [];
  try {
    for (let r = 0; r < reps; r++) {
      const s = await serve(dir, ["--agents", "1", "--token", TOKEN], db);
      try {
        const q = await call(s.url, "POST", "/api/runs", {
          token: TOKEN,
          body: { event: "workflow_dispatch", ref: "main" },
        });
        if (q.status !== 202) throw new Error(`POST /api/runs: ${q.status} ${q.text}`);
        // Both sleeps started (the step's shell and the executor's helpers carry the mark too).
        await until("the job's processes", () => withMarker(MARK).filter(sleeping).length === 2, 60_000);
        agentPids.push(...childrenOf(s.proc.pid));
        const t = now();
        s.proc.kill("SIGTERM");
        await until("the job's processes to be gone", () => withMarker(MARK).length === 0, 60_000);
        times.push(now() - t);
        await until(
          "the server to exit",
          () => s.proc.exitCode !== null || s.proc.signalCode !== null,
          60_000,
        );
        exits.push(now() - t);
        await sleep(300);
        left += withMarker(MARK).length;
      } finally {
        s.proc.kill("SIGKILL");
        for (const p of withMarker(MARK))
          try {
            process.kill(p, "SIGKILL");
          } catch {}
      }
    }
    const runs = join(dir, ".slipway", "runs");
    for (const n of readdirSync(runs).filter((d) => /^\d+$/.test(d))) {
      try {
        if (JSON.parse(readFileSync(join(runs, n, "result.json"), "utf8")).result === "cancelled")
          cancelled++;
      } catch {}
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    for (const p of agentPids) dropAgentFolder(p);
  }
  return { reps, times, exits, cancelled, left };
}

// ---------------------------------------------------------------------------------------------

const WAIT = `on: push
jobs:
  waits:
    runs-on: [self-hosted, no-agent-has-this]
    steps:
      - run: echo never
`;

const rows = [];
/** One figure: a line with its goal, then how it was measured; a row of the table at the end. */
function report(n, what, measured, goal, ok, details) {
  console.log(`${n}. ${what}: ${measured} (goal ${goal}) ${ok ? "ok" : "MISSED"}`);
  for (const d of details) console.log(`   ${d}`);
  rows.push({ n, cells: [what, measured, goal] });
}
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const shared = (r) => `other processes on the machine used ${fmt(r.others, 1)} cores meanwhile`;

function reportCancel(name, c) {
  const p99 = Math.max(...c.times) / 1000;
  report(
    "3",
    `cancel → every process of the run gone, ${name} (p99 of ${c.reps}: the maximum)`,
    `${fmt(p99)} s`,
    "≤ 10 s",
    p99 <= 10 && c.left === 0,
    [
      `each ${c.times.map((t) => fmt(t / 1000)).join(", ")} s (median ${fmt(pct(c.times, 50) / 1000)} s) from SIGTERM to the server (no per-run cancel endpoint yet) until no process of the job remains`,
      `the server exited after ${fmt(Math.max(...c.exits) / 1000)} s at most; ${c.cancelled}/${c.reps} runs saved as cancelled; ${c.left} processes of the runs left afterwards`,
    ],
  );
}

/** A run that stays running (its job waits for an agent, none has its labels): its number, and
 * the server's dispatch token, which its runs get in their environment. */
async function waitingRun(s) {
  const q = await call(s.url, "POST", "/api/runs", { token: TOKEN, body: { event: "push", ref: "main" } });
  if (q.status !== 202) throw new Error(`POST /api/runs: ${q.status} ${q.text}`);
  const queued = json(q).queued;
  const liveRun = await until("the waiting run", async () => {
    const st = json(await call(s.url, "GET", `/api/queue/${queued}`));
    return st.state === "running" && st.run ? st.run : undefined;
  });
  await until("its job queued", async () => json(await call(s.url, "GET", "/api/agents")).jobs.length === 1);
  const dispatchToken = await until("the run's dispatch token", () => {
    for (const c of childrenOf(s.proc.pid)) {
      try {
        const m = /(?:^|\0)SLIPWAY_DISPATCH_TOKEN=([^\0]+)/.exec(
          readFileSync(`/proc/${c}/environ`, "latin1"),
        );
        if (m) return m[1];
      } catch {}
    }
    return undefined;
  });
  return { liveRun, dispatchToken };
}

function reportIdle(db, i) {
  report(
    "1",
    `100 idle agents connected: the server's CPU (${db})`,
    `${fmt(i.idle.percent, 2)} % of one core`,
    "≤ 5 %",
    i.idle.percent <= 5,
    [
      `${i.connected} protocol-level agents in 20 s long polls, ${i.renewed} polls renewed in the ${i.window / 1000} s measured; without agents ${fmt(i.alone.percent, 2)} %`,
      `a real 'slipway agent' process holds ${fmt(i.rssMb, 0)} MB resident: 100 of them would take ~${fmt((i.rssMb * 100) / 1024, 1)} GB, so they are not started here`,
    ],
  );
}

function reportDispatch(db, d) {
  report(
    "2",
    `dispatch to 20 agents, trivial jobs (${db})`,
    `${fmt(d.jobsPerSecond, 0)} jobs/s`,
    "≥ 200 jobs/s",
    d.jobsPerSecond >= 200,
    [
      `${d.n} legs, 64 queued at a time, each read back to its result; the agents lease, send one batch of events and complete at once`,
      `server ${fmt(d.burstCpu, 0)} % of a core (${perCore(d.jobsPerSecond, d.burstCpu)} jobs per server CPU-second), the driver and agents ${fmt(d.driverCpu, 0)} %; ${shared({ others: d.burstOthers })}`,
    ],
  );
  report(
    "2",
    `enqueue → start at ${fmt(d.offered, 0)} legs/s, p50 / p99 (${db})`,
    `${fmt(d.p50)} / ${fmt(d.p99)} ms`,
    "p99 ≤ 100 ms",
    d.p99 <= 100,
    [
      `${d.m} legs queued one every 5 ms; from the driver's POST to the agent's lease answer (max ${fmt(d.max)} ms); the driver's own event-loop delay p99 ${fmt(d.lagP99)} ms`,
      `server ${fmt(d.steadyCpu, 0)} % of a core; ${shared({ others: d.steadyOthers })}`,
    ],
  );
}

async function main() {
  console.log(`load before: ${load()} (${availableParallelism()} cores)${QUICK ? "; --quick" : ""}`);
  const began = now();
  const dirA = repo({ ".github/workflows/wait.yml": WAIT, ".gitignore": ".slipway/\n" });
  const a = await serve(dirA, [
    "--agents",
    "0",
    "--agent-token",
    AGENT_TOKEN,
    "--webhook-secret",
    SECRET,
    "--token",
    TOKEN,
  ]);
  a.dir = dirA;
  try {
    reportIdle("SQLite", await idleAgents(a));

    const w = await webhooks(a);
    report(
      "5",
      "webhooks accepted with signature checks",
      `${fmt(w.perSecond, 0)}/s`,
      "≥ 1,000/s",
      w.perSecond >= 1000,
      [
        `${w.n} signed pushes of a deleted branch (${w.bytes} bytes, each verified, then ignored), 50 senders, unique delivery ids`,
        `server ${fmt(w.serverCpu, 0)} % of a core (${perCore(w.perSecond, w.serverCpu)} per server CPU-second), the senders ${fmt(w.clientCpu, 0)} %; ${shared(w)}`,
      ],
    );

    // A run that stays running (its job waits for an agent): the live SSE stream, and the
    // server's dispatch token, which its runs get in their environment.
    const { liveRun, dispatchToken } = await waitingRun(a);

    const l = await liveLogs(a, liveRun);
    for (const [what, r, how, memory] of [
      [
        "live-log fan-out to 50 SSE clients, a running run",
        l.live,
        `${l.size / 1024 / 1024} MB of log events appended to its events.jsonl in ${fmt(l.live.wrote, 0)} ms, followed by each client`,
      ],
      [
        "same, a finished run read to its end",
        l.finished,
        `events.jsonl of ${l.size / 1024 / 1024} MB`,
        `the server's resident memory: ${fmt(l.rssBefore, 0)} MB before these fan-outs, at most ${fmt(l.peak, 0)} MB during them`,
      ],
    ])
      report("4", what, `${fmt(r.mbps, 0)} MB/s`, "≥ 50 MB/s", r.mbps >= 50, [
        `${how}: ${fmt(r.bytes / 1e6, 0)} MB delivered in ${fmt(r.ms / 1000, 2)} s`,
        `server ${fmt(r.cpu, 0)} % of a core (${perCore(r.mbps, r.cpu)} MB per server CPU-second), the clients ${fmt(r.client, 0)} %; ${shared(r)}`,
        ...(memory ? [memory] : []),
      ]);

    reportDispatch("SQLite", await dispatch(a, dispatchToken, true));
  } finally {
    await stop(a);
    rmSync(dirA, { recursive: true, force: true });
  }

  // PostgreSQL: the legs, leases and agents are rows there (legs-db.ts), so figures 1 and 2
  // are measured again on a server using it.
  if (PG) {
    const dirP = repo({ ".github/workflows/wait.yml": WAIT, ".gitignore": ".slipway/\n" });
    const p = await serve(dirP, ["--agents", "0", "--agent-token", AGENT_TOKEN, "--token", TOKEN], PG);
    try {
      reportIdle("PostgreSQL", await idleAgents(p));
      reportDispatch("PostgreSQL", await dispatch(p, (await waitingRun(p)).dispatchToken, true));
    } finally {
      await stop(p);
      rmSync(dirP, { recursive: true, force: true });
    }
  }

  const h = await dispatcherProcess();
  try {
    const e = await dispatch(h, h.token, false);
    report(
      "2",
      `enqueue → start inside the Dispatcher at ${fmt(e.offered, 0)} legs/s, p50 / p99`,
      `${fmt(e.inServer.p50, 0)} / ${fmt(e.inServer.p99, 0)} ms`,
      "p99 ≤ 100 ms",
      e.inServer.p99 <= 100,
      [
        `src/server's Dispatcher and agent API bundled by esbuild, in a process of their own (not the serve CLI): its startDelays (ms), max ${fmt(e.inServer.max, 0)} ms`,
        `the same ${e.m} legs from the client side: p50 / p99 ${fmt(e.p50)} / ${fmt(e.p99)} ms; the driver's own event-loop delay p99 ${fmt(e.lagP99)} ms; dispatcher ${fmt(e.steadyCpu, 0)} % of a core; ${shared({ others: e.steadyOthers })}`,
      ],
    );
  } finally {
    await h.close();
  }

  reportCancel("SQLite", await cancel(undefined));
  if (PG) reportCancel("PostgreSQL", await cancel(PG));
  else console.log("   PostgreSQL: not measured (no --db URL and no SLIPWAY_TEST_DATABASE_URL)");
  console.log(
    "Figures 1 and 2 are measured on each database (on PostgreSQL the legs, leases and agents are rows; on SQLite, one server, they are in its memory); 3 touches the run's history; 4 and 5 use the server's files and memory only: the same on either database.",
  );
  console.log(`load after: ${load()}; ${fmt((now() - began) / 1000, 0)} s in all`);
  console.log("\n| figure | measured | goal |\n|---|---|---|");
  for (const r of rows.sort((x, y) => x.n.localeCompare(y.n)))
    console.log(`| ${r.n}. ${r.cells.join(" | ")} |`);
}

if (isMainThread) await main();
else await agentsWorker(workerData);
