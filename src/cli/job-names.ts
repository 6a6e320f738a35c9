import { closeSync, existsSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";

/**
 * The names a saved run printed for its jobs, by job key: from result.json, or from the
 * job events of events.jsonl when the run did not finish. Later events win (a leg's name
 * is known at its start, a job's `name:` may differ from its id).
 */
export function jobNames(runDir: string): Map<string, string> {
  const names = new Map<string, string>();
  const result = join(runDir, "result.json");
  if (existsSync(result)) {
    try {
      const r = JSON.parse(readFileSync(result, "utf8")) as { jobs?: { job?: unknown; name?: unknown }[] };
      for (const j of r.jobs ?? [])
        if (typeof j.job === "string" && typeof j.name === "string") names.set(j.job, j.name);
      if (names.size) return names;
    } catch {}
  }
  const events = join(runDir, "events.jsonl");
  if (!existsSync(events)) return names;
  for (const line of lines(events)) {
    // Log lines are most of the file: only job events are parsed.
    if (!line.startsWith('{"type":"job-')) continue;
    try {
      const e = JSON.parse(line) as { job?: unknown; name?: unknown };
      if (typeof e.job === "string" && typeof e.name === "string") names.set(e.job, e.name);
    } catch {}
  }
  return names;
}

/** A file's lines, read a megabyte at a time: events.jsonl can be larger than a string. */
export function* lines(path: string): Generator<string> {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    const decoder = new StringDecoder("utf8");
    let rest = "";
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
      const parts = (rest + decoder.write(buf.subarray(0, n))).split("\n");
      rest = parts.pop() ?? "";
      yield* parts;
    }
    rest += decoder.end();
    if (rest) yield rest;
  } finally {
    closeSync(fd);
  }
}
