import { createInterface, type Interface } from "node:readline";

/** What the prompt must hold still while it asks (the live view's redrawing). */
export interface Pausable {
  pause(): void;
  resume(): void;
}

export interface Reviewer {
  ask(environment: string, job: string): Promise<boolean>;
  close(): void;
}

/**
 * A person at the terminal as the environment's required reviewer: asked once per
 * environment, one question at a time, answers typed ahead kept for the next question.
 * Undefined without a terminal or under CI, where only --approve counts.
 */
export function terminalReviewer(view: Pausable, signal: AbortSignal): Reviewer | undefined {
  if (!process.stdin.isTTY || !process.stdout.isTTY || process.env.CI) return undefined;
  const decided = new Map<string, Promise<boolean>>();
  const input = new Lines();
  // Ctrl-C while a question waits: the answer is no, and the run cancels as usual.
  signal.addEventListener("abort", () => input.close(), { once: true });
  let queue: Promise<unknown> = Promise.resolve();
  return {
    ask(environment, job) {
      const known = decided.get(environment.toLowerCase());
      if (known) return known;
      const answer = queue.then(async () => {
        view.pause();
        process.stdout.write(`Job '${job}' deploys to environment '${environment}'. Approve? [y/N] `);
        const line = await input.next();
        if (line === undefined) process.stdout.write("\n");
        view.resume();
        return /^y(es)?$/i.test((line ?? "").trim());
      });
      queue = answer;
      decided.set(environment.toLowerCase(), answer);
      return answer;
    },
    close: () => input.close(),
  };
}

/** Lines from stdin, in the terminal's own line mode, read only while a question waits. */
class Lines {
  private rl?: Interface;
  private buffered: string[] = [];
  private waiting?: (line: string | undefined) => void;
  private ended = false;

  next(): Promise<string | undefined> {
    if (this.buffered.length) return Promise.resolve(this.buffered.shift());
    if (this.ended) return Promise.resolve(undefined);
    this.open();
    this.rl!.resume();
    return new Promise((resolve) => {
      this.waiting = (line) => {
        this.waiting = undefined;
        if (!this.ended) this.rl?.pause();
        resolve(line);
      };
    });
  }

  close(): void {
    this.rl?.close();
  }

  private open(): void {
    if (this.rl) return;
    this.rl = createInterface({ input: process.stdin, terminal: false });
    this.rl.on("line", (line) => (this.waiting ? this.waiting(line) : this.buffered.push(line)));
    this.rl.on("close", () => {
      this.ended = true;
      this.waiting?.(undefined);
    });
  }
}
