// Conventional Commits (https://www.conventionalcommits.org/en/v1.0.0/): `type(scope)!: text`,
// with `BREAKING CHANGE:` (or `BREAKING-CHANGE:`) footers.

export interface Commit {
  sha: string;
  message: string;
}

export interface ParsedCommit {
  sha: string;
  type: string;
  scope?: string;
  description: string;
  breaking: boolean;
  /** The text of the BREAKING CHANGE footers (empty for a bare `!`). */
  breakingNotes: string[];
}

const HEADER = /^([A-Za-z]+)(?:\(([^()\r\n]*)\))?(!)?: +(\S.*)$/;
const FOOTER = /^(BREAKING[ -]CHANGE|[A-Za-z-]+)(?:: | #)(.*)$/;

/** The commit read as a conventional commit; undefined when its subject is not one. */
export function parseCommit(c: Commit): ParsedCommit | undefined {
  const lines = c.message.replace(/\r\n/g, "\n").split("\n");
  const m = HEADER.exec(lines[0]!.trim());
  if (!m) return undefined;
  const notes: string[] = [];
  let current: string[] | undefined;
  for (const line of lines.slice(1)) {
    const f = FOOTER.exec(line);
    if (f) {
      current = /^BREAKING[ -]CHANGE$/.test(f[1]!) ? [f[2]!] : undefined;
      if (current) notes.push("");
    } else if (current) current.push(line);
    if (current) notes[notes.length - 1] = current.join("\n").trim();
  }
  return {
    sha: c.sha,
    type: m[1]!.toLowerCase(),
    scope: m[2]?.trim() || undefined,
    description: m[4]!.trim(),
    breaking: m[3] === "!" || notes.length > 0,
    breakingNotes: notes.filter((n) => n !== ""),
  };
}

export type Level = "major" | "minor" | "patch";

/** What a commit asks of the version: feat → minor, fix and perf → patch, breaking → major. */
export function levelOf(c: ParsedCommit): Level | undefined {
  if (c.breaking) return "major";
  if (c.type === "feat") return "minor";
  if (c.type === "fix" || c.type === "perf") return "patch";
  return undefined;
}

const ORDER: Level[] = ["patch", "minor", "major"];

export function highest(levels: (Level | undefined)[]): Level | undefined {
  let best: Level | undefined;
  for (const l of levels) if (l && (!best || ORDER.indexOf(l) > ORDER.indexOf(best))) best = l;
  return best;
}
