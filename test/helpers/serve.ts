// `slipway serve` and `slipway agent` as real processes on loopback, for the end-to-end tests.
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { BIN } from "./cli.js";

export interface Proc {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

export interface Server extends Proc {
  url: string;
}

/** Every process started here, for afterAll to stop. */
export const started: Proc[] = [];

export const sign = (body: string, secret: string) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A slipway command as a process, its output collected. */
export function slipwayProcess(args: string[], cwd: string, env: Record<string, string>): Proc {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, CI: "true", SLIPWAY_DATABASE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (d) => {
    out += d;
  });
  proc.stderr?.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
  const p = { proc, out: () => out, exited };
  started.push(p);
  return p;
}

export async function serve(repo: string, extra: string[], env: Record<string, string>): Promise<Server> {
  const p = slipwayProcess(["serve", "--port", "0", "-C", repo, "--no-sandbox", ...extra], repo, env);
  const m = await until("listening", () => /listening on (http:\/\/\S+)/.exec(p.out()) ?? undefined, 20_000);
  return { ...p, url: m[1] as string };
}

export async function api(s: { url: string }, path: string, init: RequestInit = {}) {
  const r = await fetch(`${s.url}${path}`, init);
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: r.status, body: body as Record<string, unknown> & unknown[], text };
}

export function webhook(
  s: { url: string },
  event: string,
  payload: unknown,
  delivery: string,
  secret: string,
  signature?: string | null,
) {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": delivery,
  };
  if (signature !== null) headers["x-hub-signature-256"] = signature ?? sign(body, secret);
  return api(s, "/webhooks/github", { method: "POST", headers, body });
}

/** Stops every process started (SIGTERM, then SIGKILL after 10 s). */
export async function stopAll(): Promise<void> {
  for (const s of started.splice(0)) {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) continue;
    s.proc.kill("SIGTERM");
    const timer = setTimeout(() => s.proc.kill("SIGKILL"), 10_000);
    await s.exited;
    clearTimeout(timer);
  }
}
