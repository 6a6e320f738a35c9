// `curl … | sh` runs whatever the server returns at that moment, with the job's token and secrets
// in reach; nothing pins or verifies it.
import { type AuditContext, report, scriptsOf } from "./context.js";

const PATTERNS: RegExp[] = [
  /\b(curl|wget)\b[^|\n]*\|\s*(sudo\s+(-\S+\s+)*)?(ba|z|k|da)?sh\b/,
  /\b(curl|wget)\b[^|\n]*\|\s*(sudo\s+(-\S+\s+)*)?(python3?|perl|ruby|node)\b/,
  /\b(ba|z)?sh\s+(-\w+\s+)*<\(\s*(curl|wget)\b/,
  /\b(ba|z)?sh\s+-c\s+["']\$\(\s*(curl|wget)\b/,
  /\b(irm|iwr|Invoke-WebRequest|Invoke-RestMethod)\b[^|\n]*\|\s*(iex|Invoke-Expression)\b/i,
];

const DOWNLOADS = /curl|wget|irm|iwr|invoke-/i;

export function checkCurlPipe(ctx: AuditContext): void {
  for (const run of ctx.steps.flatMap((s) =>
    scriptsOf(s)
      .filter((x) => x.lang === "shell")
      .map((x) => x.node),
  )) {
    if (!run.range) continue;
    const raw = ctx.src.text.slice(run.range[0], run.range[1]);
    if (!DOWNLOADS.test(raw)) continue; // every pattern names one of these
    let lineStart = 0;
    for (const line of raw.split("\n")) {
      const code = line.replace(/(^|\s)#.*$/, "");
      for (const re of PATTERNS) {
        const m = re.exec(code);
        if (!m) continue;
        const at = run.range[0] + lineStart + m.index;
        report(ctx, "curl-pipe-shell", at, "downloads a script and runs it without verifying it", {
          end: at + m[0].length,
        });
        break;
      }
      lineStart += line.length + 1;
    }
  }
}
