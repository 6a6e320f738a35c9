/**
 * A `timeout-minutes` value in words: "1 minute", "360 minutes", and for a fraction the seconds it
 * comes to ("0.05 minutes (3 s)"), where rounding to whole minutes said "0 minute(s)".
 */
export function timeoutWords(minutes: number): string {
  const words = `${minutes} minute${minutes === 1 ? "" : "s"}`;
  if (Number.isInteger(minutes)) return words;
  const seconds = minutes * 60;
  return `${words} (${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s)`;
}
