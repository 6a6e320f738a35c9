import type { Json } from "../expr/index.js";

export type Placement = { run: true; labels: string[] } | { run: false; labels: string[]; reason: string };

/** Labels of a runs-on value: a string, a list, or { group, labels }. */
export function runsOnLabels(v: Json | undefined): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.map(String);
  if (v && typeof v === "object") {
    const labels = (v as Record<string, Json>).labels;
    const group = (v as Record<string, Json>).group;
    return [...runsOnLabels(labels), ...(typeof group === "string" ? [`group:${group}`] : [])];
  }
  return [];
}

const OTHER_OS = /^(macos|windows)(-|$)/i;

/**
 * Where a job runs: on this host unless a label names another OS, or the user said
 * otherwise with --platform label=host|skip.
 */
export function placeJob(labels: string[], overrides: Record<string, "host" | "skip">): Placement {
  for (const l of labels) {
    const o = overrides[l] ?? overrides[l.toLowerCase()];
    if (o === "skip") return { run: false, labels, reason: `runs-on '${l}' is set to skip (--platform)` };
    if (o === "host") return { run: true, labels };
  }
  if (labels.length === 0) return { run: false, labels, reason: "the job has no runs-on" };
  const foreign = labels.find((l) => OTHER_OS.test(l));
  const hostOs = process.platform === "darwin" ? "macos" : process.platform === "win32" ? "windows" : "linux";
  if (foreign && !foreign.toLowerCase().startsWith(hostOs))
    return {
      run: false,
      labels,
      reason: `runs-on '${foreign}' cannot run on this ${hostOs} host (use --platform ${foreign}=host to run it here anyway)`,
    };
  return { run: true, labels };
}
