import { describe, expect, test } from "vitest";
import { ForkServer } from "./fork-server.js";

/** Runs argv through the server; resolves with the exit code and the time it took. */
function launch(server: ForkServer, argv: string[]): Promise<{ code: number; ms: number }> {
  const t = performance.now();
  return new Promise((resolve) => {
    // A missed exit never comes: give up after 5 s and say so.
    const timer = setTimeout(() => resolve({ code: -1, ms: performance.now() - t }), 5000);
    let ends = 0;
    let code = -1;
    const end = () => {
      if (++ends < 3) return;
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - t });
    };
    server.launch(
      { argv, cwd: "/", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      {
        pid: (p) => server.forget(p),
        data: () => {},
        eof: end,
        exit: (c) => {
          code = c;
          end();
        },
      },
    );
  });
}

describe.skipIf(!ForkServer.start())("fork server", () => {
  test("no exit is missed: with no poll timeout, every one of many short processes is reported", async () => {
    // Without the poll a missed child-exit signal would wait forever: the test would time out.
    const server = ForkServer.start("", 0)!;
    try {
      const missed: number[] = [];
      for (let i = 0; i < 2000; i++) {
        // Output and exit close together: the exit often comes while the server writes.
        const r = await launch(server, ["/bin/sh", "-c", "echo out; echo err >&2"]);
        if (r.code !== 0) missed.push(i);
      }
      expect(missed).toEqual([]);
    } finally {
      server.close();
    }
  }, 60_000);
});

describe.skipIf(!ForkServer.start())("fork server backpressure", () => {
  test("while output waits to be written, the server stops reading: the step waits in its pipe", async () => {
    const server = ForkServer.start("", 0)!;
    let held = true;
    let bytes = 0;
    let code = -1;
    try {
      await new Promise<void>((resolve) => {
        let ends = 0;
        const end = () => {
          if (++ends === 3) resolve();
        };
        server.launch(
          { argv: ["/bin/sh", "-c", "head -c 50000000 /dev/zero"], cwd: "/", env: { PATH: "/usr/bin:/bin" } },
          {
            pid: (p) => server.forget(p),
            data: (_s, d) => {
              bytes += d.length;
            },
            eof: end,
            exit: (c) => {
              code = c;
              end();
            },
            hold: () => held,
          },
        );
        setTimeout(() => {
          // Held since the first chunk: what got through is what was in flight, not 50 MB.
          expect(bytes).toBeLessThan(2_000_000);
          held = false;
        }, 500);
      });
      expect(code).toBe(0);
      expect(bytes).toBe(50_000_000);
    } finally {
      server.close();
    }
  }, 60_000);
});
