import { Masker } from "../run/mask.js";

/**
 * Secrets given to a command are masked in everything the process prints, whatever prints it:
 * run's events pass their own gate, but plan and doctor print evaluated values, and an error
 * message can quote one. Slipway writes text, so only string chunks are masked.
 */
export function maskProcessOutput(values: Iterable<string>): void {
  const masker = new Masker();
  for (const v of values) masker.add(v);
  if (masker.size === 0) return;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      write(typeof chunk === "string" ? masker.mask(chunk) : chunk, ...rest)) as typeof stream.write;
  }
}
