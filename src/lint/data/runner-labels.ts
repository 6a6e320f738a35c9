// GitHub-hosted runner labels, as data. Source: GitHub's list of standard hosted runners and the
// runner-images retirement notices, as of SOURCE_DATE. Keep this file current: a label missing
// here is a warning in users' workflows (ubuntu-26.04 was the most reported actionlint gap).
export const SOURCE_DATE = "2026-11";

/** Standard and larger GitHub-hosted runner labels that run jobs today. */
export const HOSTED_LABELS = [
  "ubuntu-latest",
  "ubuntu-26.04",
  "ubuntu-24.04",
  "ubuntu-22.04",
  "ubuntu-slim",
  "ubuntu-26.04-arm",
  "ubuntu-24.04-arm",
  "ubuntu-22.04-arm",
  "windows-latest",
  "windows-2025",
  "windows-2022",
  "windows-11-arm",
  "macos-latest",
  "macos-26",
  "macos-15",
  "macos-26-intel",
  "macos-15-intel",
  // Larger macOS runners (x64 "-large", arm64 "-xlarge").
  "macos-latest-large",
  "macos-26-large",
  "macos-15-large",
  "macos-latest-xlarge",
  "macos-26-xlarge",
  "macos-15-xlarge",
];

/** Labels every self-hosted runner has. */
export const SELF_HOSTED_LABELS = ["self-hosted", "linux", "macos", "windows", "x64", "arm", "arm64"];

/** Hosted images GitHub has retired (jobs on them fail or never start). */
export const RETIRED_LABELS = [
  "ubuntu-16.04",
  "ubuntu-18.04",
  "ubuntu-20.04",
  "macos-10.15",
  "macos-11",
  "macos-12",
  "macos-12-large",
  "macos-13",
  "macos-13-large",
  "macos-13-xlarge",
  "macos-14",
  "macos-14-large",
  "macos-14-xlarge",
  "windows-2016",
  "windows-2019",
];

/** Named like a hosted image (ubuntu-..., or a larger runner such as ubuntu-24.04-16core): unknown
 * ones are typos, newer images, or larger runners named by their organisation. */
export const HOSTED_SHAPE = /^(ubuntu|windows|macos)-/;
