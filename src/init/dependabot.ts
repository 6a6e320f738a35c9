// dependabot.yml: SHA pins go stale; Dependabot proposes the new commit (and version comment)
// weekly, for actions and for each package ecosystem found.
import type { Project } from "./detect.js";
import type { OutFile } from "./steps.js";

export function dependabot(p: Project): OutFile[] {
  const ecosystems: [string, string][] = [["github-actions", "/"]];
  if (p.rust) ecosystems.push(["cargo", "/"]);
  if (p.npm?.root) ecosystems.push(["npm", "/"]);
  for (const py of p.python) ecosystems.push(["pip", py.dir === "." ? "/" : `/${py.dir}`]);
  if (p.go) ecosystems.push(["gomod", p.go.dir === "." ? "/" : `/${p.go.dir}`]);
  const text = `# Written by 'slipway init': weekly update pull requests, pinned actions included.
version: 2
updates:
${ecosystems
  .map(
    ([e, d]) => `  - package-ecosystem: ${e}
    directory: ${JSON.stringify(d)}
    schedule:
      interval: weekly
    # New releases wait a week before they are proposed: time for a bad release to be yanked.
    cooldown:
      default-days: 7`,
  )
  .join("\n")}
`;
  return [{ path: ".github/dependabot.yml", text }];
}
