/**
 * Step output accepted but not yet written out (run folder files, the console). Readers of
 * step output stop reading while it is over the limit, so a step that prints faster than
 * the disk or the terminal takes waits in its own pipe instead of filling Slipway's memory.
 */
const LIMIT = 1024 * 1024;
let queued = 0;

export const backlog = {
  add(chars: number): void {
    queued += chars;
  },
  done(chars: number): void {
    queued -= chars;
  },
  /** Too much is waiting: stop reading step output. */
  get full(): boolean {
    return queued > LIMIT || process.stdout.writableLength > LIMIT || process.stderr.writableLength > LIMIT;
  },
};
