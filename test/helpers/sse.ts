// A Server-Sent Events stream read over real HTTP, for the tests of the live-log endpoint.
import { request } from "node:http";

export interface SseEvent {
  seq: number;
  type: string;
  data: string;
}

/**
 * The events of `url` to the stream's end, or until `stopAfter` events (then the connection is
 * dropped, as a client that goes away); `lastId` is sent as Last-Event-ID.
 */
export function readSse(url: string, lastId?: number, stopAfter?: number): Promise<SseEvent[]> {
  return new Promise((resolve, reject) => {
    const got: SseEvent[] = [];
    const req = request(url, { headers: lastId ? { "last-event-id": String(lastId) } : {} }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`${url}: ${res.statusCode}`));
        res.resume();
        return;
      }
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        buf += d;
        for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const f = Object.fromEntries(
            block.split("\n").map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]),
          );
          got.push({ seq: Number(f.id), type: f.event as string, data: f.data as string });
          if (stopAfter && got.length >= stopAfter) {
            req.destroy();
            return resolve(got);
          }
        }
      });
      res.on("end", () => resolve(got));
    });
    req.on("error", (e) => (stopAfter && got.length >= stopAfter ? resolve(got) : reject(e)));
    req.end();
  });
}
