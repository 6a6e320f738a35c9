import type { Terminal } from "./live.js";

const SPIN = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * A live status line under scrolling log lines, for commands that do one thing at a time
 * (publish): what is running now and for how long, redrawn with a spinner; a log line
 * clears it, scrolls up, and the status comes back below it.
 */
export class StatusLine {
  private text = "";
  private since = 0;
  private tick = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly term: Terminal,
    animate = true,
  ) {
    if (animate) {
      this.timer = setInterval(() => this.draw(), 120);
      this.timer.unref();
    }
  }

  /** What is running now (empty: nothing). */
  set(text: string, now = Date.now()): void {
    this.text = text;
    this.since = now;
    this.draw(now);
  }

  log(line: string, now = Date.now()): void {
    this.term.write(`\r\x1b[2K${line}\n`);
    this.draw(now);
  }

  /** Clears the line and stops redrawing. */
  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.text = "";
    this.term.write("\r\x1b[2K");
  }

  draw(now = Date.now()): void {
    if (!this.text) return;
    const secs = ((now - this.since) / 1000).toFixed(1);
    const line = `${SPIN[this.tick++ % SPIN.length]} ${this.text} (${secs} s)`;
    const width = this.term.columns ?? 80;
    this.term.write(`\r\x1b[2K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
  }
}
