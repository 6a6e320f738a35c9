import { closeSync, existsSync, openSync, readSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import { stamp } from "../report/run-folder.js";

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
  let waiting = false;
  const buf = Buffer.alloc(256 * 1024);
  // One chunk of the file per pump, written as one piece; a slow client is waited for (drain)
  // instead of its lines piling up in the server's memory.
  const pump = () => {
    if (done || waiting) return;
    let n = 0;
    if (existsSync(path)) {
      const fd = openSync(path, "r");
      try {
        n = readSync(fd, buf, 0, buf.length, offset);
      } finally {
        closeSync(fd);
      }
      if (n > 0) {
        offset += n;
        rest += buf.toString("utf8", 0, n);
      }
    }
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    let out = "";
    let ended = false;
    for (const line of lines) {
      const e = stamp(line);
      if (!e || e.seq <= after) continue;
      after = e.seq;
      out += `id: ${e.seq}\nevent: ${e.type}\ndata: ${mask(line)}\n\n`;
      if (e.type === "run-end") {
        ended = true;
        break;
      }
    }
    if (out && !res.write(out)) {
      waiting = true;
      res.once("drain", () => {
        waiting = false;
        pump();
      });
    }
    if (ended) return finish();
    // More of the file to read: at once (the timer is for a file that waits for lines).
    if (n === buf.length && !waiting) return void setImmediate(pump);
    // A run that is not running and has written all it will: nothing more comes.
    if (n <= 0 && !live()) return finish();
  };
  const finish = () => {
    if (done) return;
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
