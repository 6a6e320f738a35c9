import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test, vi } from "vitest";
import { main } from "../cli/audit.js";

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

test("audit --online: an impostor commit, a known-vulnerable version and a stale ref, from a local repository and advisory server", async () => {
  const top = mkdtempSync(join(tmpdir(), "slipway-online-"));
  // The action's repository, as SLIPWAY_GITHUB_URL/acme/good serves it.
  const work = join(top, "work");
  const git = (...a: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", ...a], {
      cwd: work,
      encoding: "utf8",
    }).trim();
  mkdirSync(work);
  git("init", "-q", "-b", "main");
  writeFileSync(join(work, "action.yml"), "name: good\nruns: { using: composite, steps: [] }\n");
  git("add", "-A");
  git("commit", "-qm", "one");
  const tagged = git("rev-parse", "HEAD");
  git("tag", "-a", "v1.0.0", "-m", "v1.0.0");
  git("commit", "-q", "--allow-empty", "-m", "two");
  const untagged = git("rev-parse", "HEAD");
  // A commit only a pull request's ref holds (no branch, no tag), as a fork's commit is.
  git("checkout", "-q", "-b", "fork");
  git("commit", "-q", "--allow-empty", "-m", "evil");
  const impostor = git("rev-parse", "HEAD");
  git("update-ref", "refs/pull/1/head", impostor);
  git("checkout", "-q", "main");
  git("branch", "-q", "-D", "fork");
  mkdirSync(join(top, "github", "acme"), { recursive: true });
  execFileSync("git", ["clone", "-q", "--mirror", work, join(top, "github", "acme", "good.git")]);
  // The mirror keeps refs/pull/*; GitHub serves them too, but not on a branch or a tag.
  const advisories = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify(
        url.pathname === "/advisories" && url.searchParams.get("affects") === "acme/good"
          ? [
              {
                ghsa_id: "GHSA-test-0001",
                summary: "command injection",
                vulnerabilities: [
                  {
                    package: { ecosystem: "actions", name: "acme/good" },
                    vulnerable_version_range: "< 1.0.1",
                    first_patched_version: "1.0.1",
                  },
                ],
              },
            ]
          : [],
      ),
    );
  });
  await new Promise<void>((r) => advisories.listen(0, "127.0.0.1", () => r()));
  const port = (advisories.address() as { port: number }).port;
  vi.stubEnv("SLIPWAY_GITHUB_URL", join(top, "github"));
  vi.stubEnv("SLIPWAY_GITHUB_API_URL", `http://127.0.0.1:${port}`);
  const repo = join(top, "repo");
  mkdirSync(join(repo, ".github/workflows"), { recursive: true });
  writeFileSync(
    join(repo, ".github/workflows/ci.yml"),
    `on: push
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/good@${tagged} # v1.0.0
      - uses: acme/good@${untagged}
      - uses: acme/good@${impostor}
`,
  );
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    const code = await main(["--online", "--json", "--persona", "pedantic"], repo);
    const findings = (JSON.parse(out) as { rule: string; line: number; message: string }[]).filter((f) =>
      ["impostor-commit", "known-vulnerable-action", "stale-action-ref"].includes(f.rule),
    );
    expect(findings.map((f) => `${f.line}:${f.rule}`)).toEqual([
      "7:known-vulnerable-action",
      "8:stale-action-ref",
      "9:impostor-commit",
    ]);
    expect(findings[0]!.message).toBe(
      "acme/good 1.0.0 is affected by GHSA-test-0001 (command injection); fixed in 1.0.1",
    );
    expect(code).toBe(1);
    // Without --online nothing is asked of the network.
    out = "";
    await main(["--json"], repo);
    expect(out).not.toContain("impostor-commit");
  } finally {
    advisories.close();
  }
});
