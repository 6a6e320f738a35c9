import { existsSync } from "node:fs";
import { join } from "node:path";
import { lines } from "../cli/job-names.js";
import { logLine } from "../report/run-folder.js";
import type { JobResult, RunEvent } from "../run/events.js";

/** One thing the job page shows in its log: a numbered line, or a `::group::` opening or closing. */
export type LogItem =
  | { kind: "line"; n: number; text: string; cls: string; time?: number }
  | { kind: "open"; title: string }
  | { kind: "close" };

export interface JobLog {
  items: LogItem[];
  /** Line numbers of the annotations, in order (the line shows the annotation itself). */
  annotationLines: number[];
  /** More lines than the page shows: the rest is in the raw log. */
  truncated: boolean;
  /** The last event seq read, for a live page to follow from. */
  lastSeq: number;
  /**
   * The job's result when the file has its end (the history database is written a batch after
   * the file: the page believes the file, else it would follow from after the end it missed).
   */
  ended?: JobResult;
}

/**
 * A job's log as the job page shows it, from the run folder's events.jsonl: the lines of
 * logs/<job>.log (numbered as that file and the history's log index number them, so #L12 is
 * line 12 of the raw log too), with the `::group::` folds and annotations that file lacks.
 */
export function jobLog(runDir: string, key: string, maxLines = 20_000): JobLog {
  const path = join(runDir, "events.jsonl");
  return jobLogOf(existsSync(path) ? lines(path) : [], key, maxLines);
}

/** The same from the run's event lines (a file's, or the database's: db/event-lines.ts). */
export function jobLogOf(events: Iterable<string>, key: string, maxLines = 20_000): JobLog {
  const out: JobLog = { items: [], annotationLines: [], truncated: false, lastSeq: 0 };
  const needle = `"job":${JSON.stringify(key)}`;
  let n = 0;
  let depth = 0;
  const close = () => {
    for (; depth > 0; depth--) out.items.push({ kind: "close" });
  };
  for (const raw of events) {
    // Most lines are other jobs' logs: only this job's are parsed.
    if (!raw.includes(needle)) continue;
    let ev: RunEvent & { seq?: number; time?: number };
    try {
      ev = JSON.parse(raw) as RunEvent & { seq?: number; time?: number };
    } catch {
      continue;
    }
    if (!("job" in ev) || ev.job !== key) continue;
    if (typeof ev.seq === "number") out.lastSeq = ev.seq;
    if (ev.type === "job-end") out.ended = ev.result;
    if (ev.type === "group") {
      if (n >= maxLines) continue;
      if (ev.end) {
        if (depth > 0) {
          depth--;
          out.items.push({ kind: "close" });
        }
      } else {
        // Groups do not nest on GitHub: a new one closes the one open.
        close();
        depth++;
        out.items.push({ kind: "open", title: ev.title ?? "" });
      }
      continue;
    }
    const text = logLine(ev);
    if (text === undefined) continue;
    n++;
    if (ev.type === "step-end" || ev.type === "job-end") close();
    if (n > maxLines) {
      out.truncated = true;
      continue;
    }
    if (ev.type === "annotation") out.annotationLines.push(n);
    const cls =
      ev.type === "annotation"
        ? `ann ${ev.annotation.level}`
        : ev.type === "step-start"
          ? "step"
          : ev.type === "log"
            ? ev.stream
            : "end";
    out.items.push({ kind: "line", n, text, cls, time: ev.time });
  }
  close();
  return out;
}
