// `slipway audit --online`: what only the action's repository and GitHub's advisories can tell.
// Each repository is fetched once (branches and tags, no file contents) from GitHub or
// SLIPWAY_GITHUB_URL; advisories come from GitHub's REST API (SLIPWAY_GITHUB_API_URL for a
// mirror or a test server; GH_TOKEN/GITHUB_TOKEN when set). Opt-in, as zizmor's online audits
// are: a lint that reaches the network by default is slow and flaky.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import semver from "semver";
import { repoUrl } from "../action-store/fetch.js";
import { isSha } from "../action-store/ref.js";
import type { Finding } from "./finding.js";
import { AUDIT_RULES } from "./rules-security/docs.js";

/** The audits only --online runs (the offline fixture harness leaves them to online.test.ts). */
export const ONLINE_RULES = new Set(["impostor-commit", "known-vulnerable-action", "stale-action-ref"]);

export interface PinnedUse {
  file: string;
  line: number;
  col: number;
  owner: string;
  repo: string;
  ref: string;
  /** The `# v1.2.3` comment after it, if any. */
  comment?: string;
}

/** `uses: owner/repo[/path]@ref # comment` lines of a workflow or action text. */
export function remoteUses(file: string, text: string): PinnedUse[] {
  const out: PinnedUse[] = [];
  text.split("\n").forEach((line, i) => {
    const m =
      /^(\s*(?:-\s+)?uses:\s*["']?)([\w.-]+)\/([\w.-]+)(?:\/[^@\s"']*)?@([\w./-]+)["']?\s*(?:#\s*(\S+))?/.exec(
        line,
      );
    if (!m || m[2] === "docker:") return;
    out.push({
      file,
      line: i + 1,
      col: m[1]!.length + 1,
      owner: m[2]!,
      repo: m[3]!,
      ref: m[4]!,
      ...(m[5] ? { comment: m[5] } : {}),
    });
  });
  return out;
}

interface Repo {
  ok: boolean;
  error?: string;
  /** tag → commit (peeled). */
  tags: Map<string, string>;
  has: (sha: string) => boolean;
}

function fetchRepo(base: string, owner: string, repo: string, tmp: string): Repo {
  const dir = join(tmp, `${owner}+${repo}`);
  const git = (...a: string[]) => spawnSync("git", a, { cwd: dir, encoding: "utf8", timeout: 120_000 });
  spawnSync("git", ["init", "-q", "--bare", dir]);
  const f = git(
    "fetch",
    "-q",
    "--filter=blob:none",
    repoUrl(base, owner, repo),
    "+refs/heads/*:refs/heads/*",
    "+refs/tags/*:refs/tags/*",
  );
  if (f.status !== 0)
    return { ok: false, error: f.stderr.trim().split("\n").at(-1), tags: new Map(), has: () => false };
  const tags = new Map<string, string>();
  const refs = git("for-each-ref", "--format=%(refname:strip=2) %(objectname) %(*objectname)", "refs/tags");
  for (const line of refs.stdout.split("\n")) {
    const [name, sha, peeled] = line.split(" ");
    if (name && sha) tags.set(name, peeled || sha);
  }
  return { ok: true, tags, has: (sha) => git("cat-file", "-e", `${sha}^{commit}`).status === 0 };
}

interface Advisory {
  ghsa_id?: string;
  summary?: string;
  vulnerabilities?: {
    package?: { ecosystem?: string; name?: string };
    vulnerable_version_range?: string;
    first_patched_version?: string | null;
  }[];
}

async function advisories(api: string, owner: string, repo: string): Promise<Advisory[]> {
  const token = process.env.GH_TOKEN || process.env.GITHUB_TOKEN;
  const res = await fetch(
    `${api.replace(/\/+$/, "")}/advisories?ecosystem=actions&affects=${encodeURIComponent(`${owner}/${repo}`)}&per_page=100`,
    {
      headers: {
        accept: "application/vnd.github+json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      signal: AbortSignal.timeout(20_000),
    },
  );
  if (!res.ok) throw new Error(`${res.status} from the advisories API`);
  return (await res.json()) as Advisory[];
}

/** `>= 1.0.0, < 2.3.1` (GitHub's form) as a semver range. */
const asRange = (r: string) => r.replace(/,/g, " ").replace(/\s+/g, " ").trim();

export async function onlineFindings(
  uses: PinnedUse[],
  o: { base: string; api: string },
): Promise<{ findings: Finding[]; errors: string[] }> {
  const tmp = mkdtempSync(join(tmpdir(), "slipway-online-"));
  const findings: Finding[] = [];
  const errors: string[] = [];
  try {
    const repos = new Map<string, Repo>();
    const advised = new Map<string, Advisory[] | undefined>();
    for (const u of uses) {
      const key = `${u.owner}/${u.repo}`.toLowerCase();
      if (!repos.has(key)) {
        const r = fetchRepo(o.base, u.owner, u.repo, tmp);
        if (!r.ok) errors.push(`${u.owner}/${u.repo}: cannot fetch: ${r.error}`);
        repos.set(key, r);
      }
      const r = repos.get(key)!;
      const at = { file: u.file, line: u.line, col: u.col };
      const sha = isSha(u.ref) ? u.ref.toLowerCase() : undefined;
      let version = sha ? undefined : u.ref;
      if (r.ok && sha) {
        if (!r.has(sha)) {
          findings.push({
            ...at,
            rule: "impostor-commit",
            severity: "error",
            confidence: "high",
            message: `${u.owner}/${u.repo}@${sha.slice(0, 12)} is not reachable from any branch or tag of ${u.owner}/${u.repo}: it may be a fork's commit served under the action's name`,
          });
          continue;
        }
        const tagged = [...r.tags].filter(([, c]) => c === sha).map(([t]) => t);
        if (!tagged.length)
          findings.push({
            ...at,
            rule: "stale-action-ref",
            severity: "warning",
            confidence: "medium",
            message: `${u.owner}/${u.repo}@${sha.slice(0, 12)} is no release: no tag points at it`,
          });
        version = tagged.sort((a, b) => b.length - a.length)[0] ?? u.comment;
      }
      const v = version ? semver.coerce(version, { loose: true }) : null;
      if (!v) continue;
      if (!advised.has(key))
        advised.set(
          key,
          await advisories(o.api, u.owner, u.repo).catch((e: Error) => {
            errors.push(`${u.owner}/${u.repo}: advisories: ${e.message}`);
            return undefined;
          }),
        );
      for (const a of advised.get(key) ?? [])
        for (const vuln of a.vulnerabilities ?? []) {
          if (vuln.package?.name?.toLowerCase() !== key || !vuln.vulnerable_version_range) continue;
          if (!semver.satisfies(v, asRange(vuln.vulnerable_version_range), { loose: true })) continue;
          findings.push({
            ...at,
            rule: "known-vulnerable-action",
            severity: "error",
            confidence: "high",
            message: `${u.owner}/${u.repo} ${v.version} is affected by ${a.ghsa_id ?? "an advisory"}${a.summary ? ` (${a.summary})` : ""}${vuln.first_patched_version ? `; fixed in ${vuln.first_patched_version}` : ""}`,
          });
        }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const f of findings) f.fix = AUDIT_RULES[f.rule as keyof typeof AUDIT_RULES]?.fix;
  return { findings, errors };
}
