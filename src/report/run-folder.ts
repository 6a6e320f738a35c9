import { closeSync, existsSync, mkdirSync, openSync, readdirSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { RunEvent } from "../run/events.js";

/** `.slipway/runs/<n>/`: events.jsonl, one log per job, step summaries, result.json. */
export class RunFolder {
  private fds = new Map<string, number>();

  constructor(readonly dir: string) {
    mkdirSync(join(dir, "logs"), { recursive: true });
  }

  /** Appends through a descriptor kept open: one open per file, not per line. */
  private append(path: string, text: string): void {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      fd = openSync(path, "a");
      this.fds.set(path, fd);
    }
    writeSync(fd, text);
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  static next(root: string): { dir: string; number: number } {
    const base = join(root, ".slipway", "runs");
    mkdirSync(base, { recursive: true });
    // Our own folder ignores itself, so the user's .gitignore is never touched.
    const gi = join(root, ".slipway", ".gitignore");
    if (!existsSync(gi)) writeFileSync(gi, "*\n");
    for (let n = nextNumber(base); ; n++) {
      const dir = join(base, String(n));
      try {
        mkdirSync(dir);
        return { dir, number: n };
      } catch {}
    }
  }

  on(e: RunEvent): void {
    this.append(join(this.dir, "events.jsonl"), `${JSON.stringify(e)}\n`);
    const job = "job" in e ? e.job : undefined;
    if (!job) return;
    let line: string | undefined;
    if (e.type === "log") line = e.text;
    else if (e.type === "step-start") line = `##[step] ${e.name}`;
    else if (e.type === "step-end") line = `##[step-end] ${e.name}: ${e.conclusion}`;
    else if (e.type === "annotation") {
      const a = e.annotation;
      const at = a.file ? `${a.file}${a.line ? `:${a.line}${a.col ? `:${a.col}` : ""}` : ""}: ` : "";
      line = `##[${a.level}] ${at}${a.message}`;
    } else if (e.type === "job-end") line = `##[job-end] ${e.result}${e.reason ? `: ${e.reason}` : ""}`;
    else if (e.type === "summary") this.append(join(this.dir, "logs", `${safe(job)}.summary.md`), e.markdown);
    if (line !== undefined) this.append(join(this.dir, "logs", `${safe(job)}.log`), `${line}\n`);
  }

  writeResult(result: unknown): void {
    this.close();
    writeFileSync(join(this.dir, "result.json"), `${JSON.stringify(result, null, 2)}\n`);
  }
}

export const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, "_");

function nextNumber(base: string): number {
  let max = 0;
  for (const d of readdirSync(base)) if (/^\d+$/.test(d)) max = Math.max(max, Number(d));
  return max + 1;
}
