// A --repo clone's pushes found by fetching: every --poll SECONDS, and at once when asked
// (POST /api/poll, what a bare repository's post-receive hook calls). Each branch or tag that
// moved since the last look is queued as a push. Looks never overlap: one asked for while
// another fetches makes one more look after it, not two at once.
import { type Mirror, pushesBetween } from "./mirror.js";
import type { RunQueue } from "./queue.js";

export class Poller {
  private known: Map<string, string>;
  private running?: Promise<number>;
  private again = false;

  constructor(
    private readonly mirror: Mirror,
    private readonly queue: Pick<RunQueue, "add">,
    private readonly log: (t: string) => void,
    /** OWNER/NAME, as the pushes' payloads name the repository. */
    private readonly name = `local/${mirror.root.split("/").at(-1)}`,
  ) {
    this.known = mirror.refs();
  }

  /** Fetches and queues what moved; resolves to how many pushes were queued (by this look and any it waited for). */
  check(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let n = 0;
      do {
        this.again = false;
        n += await this.look();
      } while (this.again);
      return n;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Looks every `seconds`. */
  every(seconds: number): NodeJS.Timeout {
    const timer = setInterval(() => void this.check(), seconds * 1000);
    timer.unref();
    return timer;
  }

  private async look(): Promise<number> {
    const f = this.mirror.fetch();
    if (!f.ok) {
      this.log(`poll: fetch failed: ${f.error}`);
      return 0;
    }
    const now = this.mirror.refs();
    const pushes = pushesBetween(this.known, now, this.name);
    this.known = now;
    for (const p of pushes) {
      this.log(`poll: ${p.ref} moved to ${String(p.after).slice(0, 12)}`);
      const before = String(p.before);
      await this.queue
        .add({
          event: "push",
          ref: String(p.ref),
          payload: p,
          sha: String(p.after),
          ...(/^0+$/.test(before) ? {} : { base: before }),
        })
        .catch((e: Error) => this.log(`poll: not queued: ${e.message}`));
    }
    return pushes.length;
  }
}
