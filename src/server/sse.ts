import { closeSync, existsSync, openSync, readSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { join } from "node:path";

/**
 * The events of a run folder as Server-Sent Events, each with `id:` its seq: events after
 * `after` (Last-Event-ID), read from events.jsonl and followed while the run goes on, until
 * run-end. Only whole lines are sent, so a line being written is never sent twice or cut.
 */
export function streamEvents(
  res: ServerResponse,
  dir: string,
  after: number,
  live: () => boolean,
  mask: (t: string) => string,
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const path = join(dir, "events.jsonl");
  let offset = 0;
  let rest = "";
  let done = false;
  const buf = Buffer.alloc(64 * 1024);
  const pump = () => {
    if (done) return;
    if (existsSync(path)) {
      const fd = openSync(path, "r");
      try {
        for (;;) {
          const n = readSync(fd, buf, 0, buf.length, offset);
          if (n <= 0) break;
          offset += n;
          rest += buf.toString("utf8", 0, n);
        }
      } finally {
        closeSync(fd);
      }
    }
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      if (!line) continue;
      let e: { seq?: number; type?: string };
      try {
        e = JSON.parse(line) as { seq?: number; type?: string };
      } catch {
        continue;
      }
      if (typeof e.seq !== "number" || e.seq <= after) continue;
      after = e.seq;
      res.write(`id: ${e.seq}\nevent: ${e.type ?? "message"}\ndata: ${mask(line)}\n\n`);
      if (e.type === "run-end") return finish();
    }
    // A run that is not running and has written all it will: nothing more comes.
    if (!live()) return finish();
  };
  const finish = () => {
    done = true;
    clearInterval(timer);
    res.end();
  };
  // Polling the file (not fs.watch): it works the same on every file system and costs one
  // read per tick per client.
  const timer = setInterval(pump, 100);
  res.on("close", () => {
    done = true;
    clearInterval(timer);
  });
  pump();
}
