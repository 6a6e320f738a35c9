import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { join } from "node:path";
import { backlog } from "../run/backlog.js";
import type { RunEvent } from "../run/events.js";

/** An open log file and the last write queued on it: writes to one file go in order. */
interface LogFile {
  chain: Promise<void>;
  handle?: FileHandle;
}

/** `.slipway/runs/<n>/`: events.jsonl, machine.jsonl, one log per job, step summaries, result.json. */
export class RunFolder {
  /** Text not yet handed to the file system, per file. */
  private pending = new Map<string, string>();
  private files = new Map<string, LogFile>();
  private scheduled = false;
  private pendingChars = 0;
  /** The first write that failed, as `path: error` (a full disk must not lose the others). */
  private failed?: string;

  constructor(readonly dir: string) {
    mkdirSync(join(dir, "logs"), { recursive: true });
  }

  /**
   * Buffered and written off the main thread: creating a file costs about a millisecond
   * on some disks, and a run with many jobs creates one log per job. Each file is opened
   * once and written through its handle; what waits counts in the backlog, so steps that
   * print faster than the disk writes are paused.
   */
  private append(path: string, text: string): void {
    backlog.add(text.length);
    this.pending.set(path, (this.pending.get(path) ?? "") + text);
    this.pendingChars += text.length;
    // A burst of output is handed on in pieces: text held for long is promoted to the old
    // generation, which then grows with garbage.
    if (this.pendingChars > 64 * 1024) {
      this.flush();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private file(path: string): LogFile {
    let f = this.files.get(path);
    if (!f) {
      f = { chain: Promise.resolve() };
      this.files.set(path, f);
    }
    return f;
  }

  private flush(): void {
    this.scheduled = false;
    this.pendingChars = 0;
    for (const [path, text] of this.pending) {
      const f = this.file(path);
      f.chain = f.chain
        .then(async () => {
          f.handle ??= await open(path, "a");
          await f.handle.appendFile(text);
        })
        .catch((e: Error) => {
          this.failed ??= `${path}: ${e.message}`;
        })
        .finally(() => backlog.done(text.length));
    }
    this.pending.clear();
  }

  /** A job's log is complete: its handle closes (a run can have more jobs than open files). */
  private release(path: string): void {
    if (this.pending.has(path)) this.flush();
    const f = this.files.get(path);
    if (!f) return;
    f.chain = f.chain.then(async () => {
      const h = f.handle;
      f.handle = undefined;
      await h?.close().catch(() => {});
    });
  }

  /** Everything written; the first write error as `path: error`, if any. */
  async close(): Promise<string | undefined> {
    this.flush();
    for (const path of this.files.keys()) this.release(path);
    await Promise.all([...this.files.values()].map((f) => f.chain));
    return this.failed;
  }

  /** The number the next run of `root` would get; creates nothing (a run may trigger nothing). */
  static peek(root: string): number {
    const base = join(root, ".slipway", "runs");
    return existsSync(base) ? nextNumber(base) : 1;
  }

  /**
   * Creates run `n`'s folder; undefined when another run took that number meanwhile.
   * Throws the file system's error (disk full, read-only) with its path.
   */
  static claim(root: string, n: number): string | undefined {
    const base = join(root, ".slipway", "runs");
    mkdirSync(base, { recursive: true });
    // Our own folder ignores itself, so the user's .gitignore is never touched.
    const gi = join(root, ".slipway", ".gitignore");
    if (!existsSync(gi)) writeFileSync(gi, "*\n");
    const dir = join(base, String(n));
    try {
      mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return undefined;
      throw e;
    }
    return dir;
  }

  on(e: RunEvent): void {
    this.append(join(this.dir, "events.jsonl"), `${JSON.stringify(e)}\n`);
    const job = "job" in e ? e.job : undefined;
    if (!job) return;
    if (e.type === "summary") this.append(join(this.dir, "logs", `${safe(job)}.summary.md`), e.markdown);
    const line = logLine(e);
    if (line !== undefined) this.append(join(this.dir, "logs", `${safe(job)}.log`), `${line}\n`);
    if (e.type === "job-end") {
      this.release(join(this.dir, "logs", `${safe(job)}.log`));
      this.release(join(this.dir, "logs", `${safe(job)}.summary.md`));
    }
  }

  /**
   * One input event of the scheduler's state machine (JSON, masked by the caller), in
   * machine.jsonl: with the run's plan, what a resume or a database-backed driver replays.
   */
  machine(json: string): void {
    this.append(join(this.dir, "machine.jsonl"), `${json}\n`);
  }

  /**
   * Logs, then result.json. Errors are values: a full disk still lets the caller print the
   * result; each failure (the first log write, result.json) comes back as `path: error`.
   */
  async writeResult(result: unknown): Promise<string[]> {
    const failed = [await this.close(), this.writeResultFile(result)];
    return failed.filter((f) => f !== undefined);
  }

  /**
   * For a run stopped at once (a second Ctrl-C): what is still buffered and result.json,
   * synchronously, as the process is about to exit.
   */
  abandon(result: unknown): string | undefined {
    for (const [path, text] of this.pending) {
      try {
        appendFileSync(path, text);
      } catch {}
    }
    this.pending.clear();
    return this.writeResultFile(result);
  }

  private writeResultFile(result: unknown): string | undefined {
    const path = join(this.dir, "result.json");
    try {
      writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
    } catch (e) {
      return `${path}: ${(e as Error).message}`;
    }
    return undefined;
  }
}

/**
 * The text an event adds to its job's log file (`logs/<job>.log`, one line plus a newline), if
 * any. The run history's log index counts the same lines, so both read it from here.
 */
export function logLine(e: RunEvent): string | undefined {
  if (e.type === "log") return e.text;
  if (e.type === "step-start") return `##[step] ${e.name}`;
  if (e.type === "step-end") return `##[step-end] ${e.name}: ${e.conclusion}`;
  if (e.type === "annotation") {
    const a = e.annotation;
    const at = a.file ? `${a.file}${a.line ? `:${a.line}${a.col ? `:${a.col}` : ""}` : ""}: ` : "";
    return `##[${a.level}] ${at}${a.message}`;
  }
  if (e.type === "job-end") return `##[job-end] ${e.result}${e.reason ? `: ${e.reason}` : ""}`;
  return undefined;
}

export const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, "_");

function nextNumber(base: string): number {
  let max = 0;
  for (const d of readdirSync(base)) if (/^\d+$/.test(d)) max = Math.max(max, Number(d));
  return max + 1;
}

/**
 * An event line's seq and type. The run folder writes each event as JSON with `type` first and
 * `seq`, `time` last: read from there without parsing the whole line; anything else is parsed.
 */
export function stamp(line: string): { seq: number; type: string } | undefined {
  if (!line) return undefined;
  const head = /^\{"type":"([\w-]+)"/.exec(line);
  const tail = /,"seq":(\d+),"time":\d+\}$/.exec(line);
  if (head && tail) return { type: head[1]!, seq: Number(tail[1]) };
  try {
    const e = JSON.parse(line) as { seq?: unknown; type?: unknown };
    return typeof e.seq === "number"
      ? { seq: e.seq, type: typeof e.type === "string" ? e.type : "message" }
      : undefined;
  } catch {
    return undefined;
  }
}
