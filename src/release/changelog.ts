// Keep a Changelog (https://keepachangelog.com/en/1.1.0/) sections from conventional commits.
import type { ParsedCommit } from "./conventional.js";
import type { Forge } from "./forge.js";

/** Groups in the order they are shown; commits of other types (docs, chore, ci, test…) are left out. */
const GROUPS: { title: string; take: (c: ParsedCommit) => boolean }[] = [
  { title: "Breaking changes", take: (c) => c.breaking },
  { title: "Added", take: (c) => c.type === "feat" },
  { title: "Fixed", take: (c) => c.type === "fix" },
  { title: "Performance", take: (c) => c.type === "perf" },
  { title: "Changed", take: (c) => c.type === "refactor" || c.type === "revert" },
];

export interface SectionInput {
  version: string;
  /** The heading's name for the version, when several packages share one changelog (`core 1.2.0`). */
  title?: string;
  /** YYYY-MM-DD */
  date: string;
  tag: string;
  previousTag?: string;
  commits: ParsedCommit[];
  forge?: Forge;
}

export interface Section {
  /** The `## …` section for CHANGELOG.md, ending with a blank line. */
  markdown: string;
  /** The same without its heading, for the forge's release page. */
  notes: string;
}

export function renderSection(s: SectionInput): Section {
  const link = s.forge && (s.previousTag ? s.forge.compare(s.previousTag, s.tag) : s.forge.tag(s.tag));
  const title = s.title ?? s.version;
  const heading = link ? `## [${title}] - ${s.date}` : `## ${title} - ${s.date}`;
  const body: string[] = [];
  const seen = new Set<string>();
  for (const g of GROUPS) {
    const items = s.commits.filter((c) => !seen.has(c.sha) && g.take(c));
    if (!items.length) continue;
    for (const c of items) seen.add(c.sha);
    body.push(`### ${g.title}`, "", ...items.map((c) => item(c, s.forge)), "");
  }
  if (!body.length) body.push("No user-facing changes.", "");
  const refs = link ? [`[${title}]: ${link}`, ""] : [];
  const markdown = [heading, "", ...body, ...refs].join("\n");
  const full =
    s.forge && s.previousTag ? [`**Full changelog**: ${s.forge.compare(s.previousTag, s.tag)}`, ""] : [];
  return { markdown, notes: [...body, ...full].join("\n") };
}

function item(c: ParsedCommit, forge: Forge | undefined): string {
  const short = c.sha.slice(0, 7);
  const ref = forge ? `([${short}](${forge.commit(c.sha)}))` : `(${short})`;
  const scope = c.scope ? `**${c.scope}:** ` : "";
  const notes = c.breaking ? c.breakingNotes.map((n) => `\n  ${n.replace(/\n/g, "\n  ")}`).join("") : "";
  return `- ${scope}${c.description} ${ref}${notes}`;
}

const HEADER = `# Changelog

All notable changes to this project are documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).

`;

/**
 * CHANGELOG.md with `section` placed above the newest release: after the header (and after an
 * `## [Unreleased]` section, which stays for the next release's notes). Everything else is kept
 * byte-for-byte. A missing file gets a header.
 */
export function prependSection(existing: string | undefined, section: string): string {
  if (existing === undefined) return HEADER + section;
  const re = /^## (?!\[?unreleased\]?\s*$)/gim;
  const m = re.exec(existing);
  if (!m)
    return (
      existing +
      (existing === "" || existing.endsWith("\n\n") ? "" : existing.endsWith("\n") ? "\n" : "\n\n") +
      section
    );
  return existing.slice(0, m.index) + section + "\n" + existing.slice(m.index);
}
