// The score card as text: categories with their checks, the evidence behind each, the top fixes.
import type { ScoreCard } from "./score.js";

const where = (e: { file: string; line: number; col: number }) => `${e.file}:${e.line}:${e.col}`;

export function renderScore(card: ScoreCard, opts: { evidence?: number; fixes?: number } = {}): string {
  const shown = opts.evidence ?? 2;
  const out = [`Pipeline score: ${card.score}/${card.max}`, ""];
  for (const c of card.categories) {
    out.push(`${c.name.padEnd(20)} ${String(c.points).padStart(2)}/${c.max}`);
    for (const k of c.checks) {
      const mark = k.points === k.max ? "+" : k.points === 0 ? "-" : "~";
      out.push(`  ${mark} ${`${k.points}/${k.max}`.padStart(5)}  ${k.title}: ${k.reason}`);
      for (const e of k.evidence.slice(0, shown)) out.push(`             ${where(e)}  ${e.detail}`);
      if (k.evidence.length > shown) out.push(`             … ${k.evidence.length - shown} more`);
    }
    out.push("");
  }
  const fixes = card.fixes.slice(0, opts.fixes ?? 5);
  if (fixes.length) {
    out.push("Top fixes");
    for (const f of fixes) out.push(`  +${String(f.gain).padEnd(3)} ${f.fix}  [${f.category}/${f.check}]`);
    out.push("");
  }
  if (!card.sources.lint) out.push("note: lint did not run; the lint check scored 0", "");
  return out.join("\n");
}
