// Which files init writes for a project, with every action resolved to a pinned SHA. Generation is
// a pure function of the project and the pins: the same repository gives the same bytes.
import { ci } from "./ci.js";
import { dependabot } from "./dependabot.js";
import { deploy } from "./deploy.js";
import type { Project } from "./detect.js";
import type { Pins } from "./pins.js";
import { publish } from "./publish.js";
import { hasPackages, release } from "./release.js";
import { security } from "./security.js";
import type { Gen, OutFile, Uses } from "./steps.js";

export const SECTIONS = ["ci", "security", "release", "publish", "deploy"] as const;
export type Section = (typeof SECTIONS)[number];

/** Sections init writes when --only is not given: deploy only for a project with a Dockerfile. */
export function defaultSections(p: Project): Section[] {
  return SECTIONS.filter((s) => {
    if (s === "deploy") return p.dockerfile;
    if (s === "release" || s === "publish") return hasPackages(p);
    return true;
  });
}

function files(p: Project, sections: Section[], uses: Uses): OutFile[] {
  const want = new Set(sections);
  const g: Gen = { project: p, uses, sections: want };
  const out: OutFile[] = [];
  if (want.has("ci")) out.push(...ci(g));
  if (want.has("security")) out.push(...security(g));
  if (want.has("release")) out.push(...release(g));
  if (want.has("publish")) out.push(...publish(g));
  if (want.has("deploy")) out.push(...deploy(g));
  // Pinned SHAs need someone to update them; Dependabot does, whatever else was asked for.
  out.push(...dependabot(p));
  const seen = new Set<string>();
  return out.filter((f) => !seen.has(f.path) && seen.add(f.path)).sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** The files, with the actions they use resolved by `pins` (looked up once each). */
export async function generate(p: Project, sections: Section[], pins: Pins): Promise<OutFile[]> {
  const wanted: string[] = [];
  files(p, sections, (a) => {
    wanted.push(a);
    return `${a}@unresolved`;
  });
  await pins.resolveAll(wanted);
  return files(p, sections, (a) => pins.uses(a));
}
