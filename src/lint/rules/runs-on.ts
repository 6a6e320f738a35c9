// `runs-on` labels must name a GitHub-hosted image, a default self-hosted label, or a label
// declared in the config (`runner-labels`). Retired images are warned about.
import { isMap, isScalar } from "yaml";
import { type LintContext, report } from "../context.js";
import { get, isExpression, scalarList } from "../source.js";

const HOSTED = [
  "ubuntu-latest",
  "ubuntu-24.04",
  "ubuntu-22.04",
  "ubuntu-slim",
  "ubuntu-24.04-arm",
  "ubuntu-22.04-arm",
  "windows-latest",
  "windows-2025",
  "windows-2022",
  "windows-11-arm",
  "macos-latest",
  "macos-26",
  "macos-15",
  "macos-14",
  "macos-13",
  "macos-15-intel",
  "macos-latest-large",
  "macos-15-large",
  "macos-14-large",
  "macos-13-large",
  "macos-latest-xlarge",
  "macos-26-xlarge",
  "macos-15-xlarge",
  "macos-14-xlarge",
  "macos-13-xlarge",
];
const SELF_HOSTED = ["self-hosted", "linux", "macos", "windows", "x64", "arm", "arm64"];
const KNOWN = new Set([...HOSTED, ...SELF_HOSTED]);
const RETIRED = new Set([
  "ubuntu-16.04",
  "ubuntu-18.04",
  "ubuntu-20.04",
  "macos-10.15",
  "macos-11",
  "macos-12",
  "macos-12-large",
  "windows-2016",
  "windows-2019",
]);

export function checkRunsOn(ctx: LintContext): void {
  for (const job of ctx.model?.jobs.values() ?? []) {
    const runsOn = get(job.node, "runs-on");
    if (runsOn === undefined) continue;
    // Runner groups (larger runners) have labels of the organisation's choosing.
    if (isMap(runsOn) && get(runsOn, "group") !== undefined) continue;
    const labels = scalarList(isMap(runsOn) ? get(runsOn, "labels") : runsOn);
    for (const l of labels) {
      if (!isScalar(l) || typeof l.value !== "string" || isExpression(l.value)) continue;
      const label = l.value.toLowerCase();
      if (ctx.config.runnerLabels.some((m) => m(l.value as string))) continue;
      if (RETIRED.has(label)) {
        report(ctx, "runner-label", l, `runner image '${l.value}' has been retired by GitHub`, {
          severity: "warning",
          fix: "use a current image such as ubuntu-latest, windows-latest or macos-latest",
        });
      } else if (!KNOWN.has(label)) {
        report(ctx, "runner-label", l, `unknown runner label '${l.value}'`, {
          fix: `for a self-hosted runner, declare it in .slipway.yml: runner-labels: [${l.value}]`,
        });
      }
    }
  }
}
