// Which agent may run a job: every runs-on label must be one of the agent's (case-insensitive,
// as GitHub compares them), except a GitHub-hosted label (ubuntu-24.04, windows-latest,
// macos-15, ...), which an agent of that operating system stands in for, as `slipway run`
// runs ubuntu-* jobs on a Linux host.
import { arch, platform } from "node:os";

export interface AgentPlatform {
  os: "linux" | "windows" | "macos";
  arch: "x64" | "arm64" | "arm";
}

export function thisPlatform(): AgentPlatform {
  const os = platform() === "darwin" ? "macos" : platform() === "win32" ? "windows" : "linux";
  const a = arch() === "arm64" ? "arm64" : arch() === "arm" ? "arm" : "x64";
  return { os, arch: a };
}

/** The labels an agent has unless told: self-hosted, its OS and its architecture, as GitHub's runner. */
export function defaultLabels(p: AgentPlatform): string[] {
  return [
    "self-hosted",
    p.os === "macos" ? "macOS" : p.os === "windows" ? "Windows" : "Linux",
    p.arch.toUpperCase(),
  ];
}

const HOSTED = /^(ubuntu|windows|macos)-(latest|\d[\w.]*)(-(arm|arm64|xl|large|xlarge|intel))?$/i;

export function satisfies(
  agentLabels: readonly string[],
  p: AgentPlatform,
  runsOn: readonly string[],
): boolean {
  const mine = new Set(agentLabels.map((l) => l.toLowerCase()));
  return runsOn.every((label) => {
    const l = label.toLowerCase();
    if (mine.has(l)) return true;
    const hosted = HOSTED.exec(l);
    if (!hosted) return false;
    const os = hosted[1] === "ubuntu" ? "linux" : hosted[1];
    const arm = /arm/.test(hosted[4] ?? "");
    return os === p.os && (arm ? p.arch !== "x64" : p.arch === "x64" || hosted[1] === "macos");
  });
}
