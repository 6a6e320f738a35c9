// The continuous-delivery sections of slipway-server.yml: `users` (who may approve, with which
// token), `groups` of users, `environments` (protection rules with GitHub's semantics, plus
// N-of-M approvals and automated rollback) and `protected-branches`. Read with the YAML
// library's positions, so every mistake is said at file:line:col.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, type Node, type Pair, parseDocument } from "yaml";

export class CdConfigError extends Error {}

/** The top-level keys this file owns (config.ts leaves them to it). */
export const CD_SECTIONS = ["users", "groups", "environments", "protected-branches"] as const;

export type Role = "admin" | "reviewer" | "read";

export interface UserDef {
  name: string;
  role: Role;
  /** sha256 of the token, hex (token-sha256), or of the value of the variable token-env names. */
  tokenSha256?: string;
  /** Commit identities (author emails) of this person: self-review covers the commits they wrote. */
  emails: string[];
}

export interface EnvironmentRule {
  /** As written in the file. */
  name: string;
  /** Users or groups, as written (at most 6, as on GitHub). */
  reviewers: string[];
  /** N of the reviewers must approve (default 1 when there are reviewers). */
  requiredApprovals: number;
  preventSelfReview: boolean;
  /** 0: none. */
  waitTimerMs: number;
  /** Branch name patterns a deployment may come from (undefined: any, unless tags or protected-only say otherwise). */
  branches?: string[];
  tags?: string[];
  protectedBranchesOnly: boolean;
  /** Admins may approve or reject without being reviewers, skipping the rules (GitHub's default). */
  adminBypass: boolean;
  autoRollback: boolean;
}

export interface CdConfig {
  users: Map<string, UserDef>;
  groups: Map<string, string[]>;
  /** By lower-case name: GitHub's environment names are case-insensitive. */
  environments: Map<string, EnvironmentRule>;
  protectedBranches: string[];
  /** Repositories of `repositories:` (by position) with environments of their own. */
  repositoryEnvironments?: (Map<string, EnvironmentRule> | undefined)[];
}

/** The config a repository's environments follow: `repositories:`' entry `index`'s own, else the server's. */
export function forRepository(c: CdConfig, index: number | undefined): CdConfig {
  const own = index === undefined ? undefined : c.repositoryEnvironments?.[index];
  return own ? { ...c, environments: own } : c;
}

export const emptyCdConfig = (): CdConfig => ({
  users: new Map(),
  groups: new Map(),
  environments: new Map(),
  protectedBranches: [],
});

const MAX_WAIT_MINUTES = 43_200;

/** A duration: a number of minutes (GitHub's unit), or a number with s, m, h or d. */
export function durationMs(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isInteger(v)) return v * 60_000;
  if (typeof v !== "string") return undefined;
  const m = /^(\d{1,9})\s*(s|m|h|d)?$/.exec(v.trim());
  if (!m) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? "m"]!;
  return Number(m[1]) * unit;
}

/** The sections of `path` (the other keys are config.ts's); an empty config when there is no file. */
export function readCdConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): CdConfig {
  if (!path) return emptyCdConfig();
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CdConfigError(`${path}: ${(e as Error).message}`);
  }
  return parseCdConfig(text, path, env);
}

export function parseCdConfig(text: string, path: string, env: NodeJS.ProcessEnv = process.env): CdConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const at = (node: unknown) => {
    const r = (node as { range?: [number, number, number] } | null)?.range;
    const p = r ? counter.linePos(r[0]) : undefined;
    return p ? `${path}:${p.line}:${p.col}` : path;
  };
  const fail = (node: unknown, msg: string): never => {
    throw new CdConfigError(`${at(node)}: ${msg}`);
  };
  const out = emptyCdConfig();
  if (doc.errors.length || !isMap(doc.contents)) return out; // config.ts says what is wrong
  const section = (key: string) =>
    doc.contents && isMap(doc.contents)
      ? (doc.contents.items.find((p) => isScalar(p.key) && p.key.value === key) as
          | Pair<Node, Node>
          | undefined)
      : undefined;
  const mapping = (p: Pair<Node, Node> | undefined, what: string) => {
    if (!p || p.value === null || (isScalar(p.value) && p.value.value === null)) return [];
    if (!isMap(p.value)) return fail(p.value ?? p.key, `${what}: expected a mapping`);
    return p.value.items as Pair<Node, Node>[];
  };
  const keyOf = (p: Pair<Node, Node>) =>
    isScalar(p.key) ? String(p.key.value) : fail(p.key, "expected a name");
  const strings = (n: Node | null, what: string): string[] => {
    if (n && isScalar(n) && typeof n.value === "string") return [n.value];
    if (!n || !isSeq(n)) return fail(n, `${what}: expected a list of names`);
    return n.items.map((i) =>
      isScalar(i) && (typeof i.value === "string" || typeof i.value === "number")
        ? String(i.value)
        : fail(i, `${what}: expected a name`),
    );
  };
  const bool = (n: Node | null, what: string) =>
    n && isScalar(n) && typeof n.value === "boolean" ? n.value : fail(n, `${what}: expected true or false`);

  for (const p of mapping(section("users"), "users")) {
    const name = keyOf(p);
    if (!/^[\w.@-]{1,100}$/.test(name))
      fail(p.key, `users: '${name}' is not a name (letters, digits, . _ @ -)`);
    if (!isMap(p.value))
      fail(p.value ?? p.key, `users.${name}: expected a mapping (role, token-sha256 or token-env)`);
    const u: UserDef = { name, role: "reviewer", emails: [] };
    for (const f of (p.value as unknown as { items: Pair<Node, Node>[] }).items) {
      const k = keyOf(f);
      const v = isScalar(f.value) ? f.value.value : undefined;
      if (k === "role") {
        if (v !== "admin" && v !== "reviewer" && v !== "read")
          fail(f.value, `users.${name}.role: expected admin, reviewer or read`);
        u.role = v as Role;
      } else if (k === "token-sha256") {
        if (typeof v !== "string" || !/^[0-9a-f]{64}$/i.test(v))
          fail(f.value, `users.${name}.token-sha256: expected 64 hex digits (sha256sum of the token)`);
        u.tokenSha256 = (v as string).toLowerCase();
      } else if (k === "token-env") {
        if (typeof v !== "string" || !/^[A-Za-z_]\w*$/.test(v))
          fail(f.value, `users.${name}.token-env: expected an environment variable's name`);
        const t = env[v as string];
        if (t) u.tokenSha256 = sha256(t);
      } else if (k === "emails")
        u.emails = strings(f.value, `users.${name}.emails`).map((x) => x.toLowerCase());
      else fail(f.key, `users.${name}: unknown key '${k}' (known: role, token-sha256, token-env, emails)`);
    }
    out.users.set(name.toLowerCase(), u);
  }

  for (const p of mapping(section("groups"), "groups")) {
    const name = keyOf(p);
    if (out.users.has(name.toLowerCase())) fail(p.key, `groups: '${name}' is also a user's name`);
    const members = strings(p.value, `groups.${name}`);
    for (const [i, m] of members.entries())
      if (!out.users.has(m.toLowerCase()))
        fail(
          (p.value as { items?: Node[] }).items?.[i] ?? p.value,
          `groups.${name}: no user '${m}' under users:`,
        );
    out.groups.set(
      name.toLowerCase(),
      members.map((m) => m.toLowerCase()),
    );
  }

  const pb = section("protected-branches");
  if (pb) out.protectedBranches = strings(pb.value, "protected-branches");

  // Environments' rules: the server's (environments:), or a repository's own (repositories: -
  // {url, environments:}), which replace the server's for that repository.
  const environments = (pairs: Pair<Node, Node>[], label: string) => {
    const rules = new Map<string, EnvironmentRule>();
    for (const p of pairs) {
      const name = keyOf(p);
      const where = `${label}.${name}`;
      const rule: EnvironmentRule = {
        name,
        reviewers: [],
        requiredApprovals: 0,
        preventSelfReview: false,
        waitTimerMs: 0,
        protectedBranchesOnly: false,
        adminBypass: true,
        autoRollback: false,
      };
      let required: { n: number; node: Node } | undefined;
      const body = p.value && !(isScalar(p.value) && p.value.value === null) ? p.value : undefined;
      if (body && !isMap(body)) fail(body, `${where}: expected a mapping of protection rules`);
      for (const f of (body as { items?: Pair<Node, Node>[] } | undefined)?.items ?? []) {
        const k = keyOf(f);
        const what = `${where}.${k}`;
        const v = isScalar(f.value) ? f.value.value : undefined;
        switch (k) {
          case "reviewers": {
            rule.reviewers = strings(f.value, what);
            if (rule.reviewers.length > 6)
              fail(f.value, `${what}: at most 6 users or groups (GitHub's limit)`);
            for (const [i, r] of rule.reviewers.entries()) {
              const node = (f.value as { items?: Node[] }).items?.[i] ?? f.value;
              const k = r.toLowerCase();
              if (!out.users.has(k) && !out.groups.has(k)) fail(node, `${what}: no user or group '${r}'`);
              // A read-only user only reads: listing one as a reviewer is a mistake, said now.
              const readers = (out.groups.get(k) ?? [k]).filter((u) => out.users.get(u)?.role === "read");
              if (readers.length)
                fail(node, `${what}: ${readers.join(", ")} has the role read (reviewer or admin may review)`);
            }
            break;
          }
          case "required-approvals":
            if (typeof v !== "number" || !Number.isInteger(v) || v < 1)
              fail(f.value, `${what}: expected a whole number from 1`);
            required = { n: v as number, node: f.value! };
            break;
          case "prevent-self-review":
            rule.preventSelfReview = bool(f.value, what);
            break;
          case "wait-timer": {
            const ms = durationMs(v);
            if (ms === undefined || ms < 1000 || ms > MAX_WAIT_MINUTES * 60_000)
              fail(
                f.value,
                `${what}: expected minutes from 1 to ${MAX_WAIT_MINUTES} (or a duration such as 30s, 2h)`,
              );
            rule.waitTimerMs = ms as number;
            break;
          }
          case "deployment-branches":
            rule.branches = strings(f.value, what);
            break;
          case "deployment-tags":
            rule.tags = strings(f.value, what);
            break;
          case "protected-branches-only":
            rule.protectedBranchesOnly = bool(f.value, what);
            break;
          case "admin-bypass":
            rule.adminBypass = bool(f.value, what);
            break;
          case "auto-rollback":
            rule.autoRollback = bool(f.value, what);
            break;
          default:
            fail(
              f.key,
              `${where}: unknown key '${k}' (known: reviewers, required-approvals, prevent-self-review, wait-timer, deployment-branches, deployment-tags, protected-branches-only, admin-bypass, auto-rollback)`,
            );
        }
      }
      const eligible = reviewersOf(out, rule).length;
      if (required) {
        if (!rule.reviewers.length) fail(required.node, `${where}.required-approvals: needs reviewers`);
        if (required.n > eligible)
          fail(
            required.node,
            `${where}.required-approvals: ${required.n} of ${eligible} reviewers can never be met`,
          );
        rule.requiredApprovals = required.n;
      } else if (rule.reviewers.length) rule.requiredApprovals = 1;
      if (rules.has(name.toLowerCase())) fail(p.key, `${where}: given twice (names are case-insensitive)`);
      rules.set(name.toLowerCase(), rule);
    }
    return rules;
  };
  out.environments = environments(mapping(section("environments"), "environments"), "environments");
  const repos = section("repositories");
  if (repos && isSeq(repos.value))
    for (const [i, item] of repos.value.items.entries()) {
      if (!isMap(item)) continue;
      const own = (item.items as Pair<Node, Node>[]).find(
        (p) => isScalar(p.key) && p.key.value === "environments",
      );
      if (!own) continue;
      const label = `repositories[${i}].environments`;
      out.repositoryEnvironments ??= [];
      out.repositoryEnvironments[i] = environments(mapping(own, label), label);
    }
  return out;
}

/** The users a rule's reviewers name (groups expanded), lower-case, each once. */
export function reviewersOf(c: CdConfig, rule: EnvironmentRule): string[] {
  const out = new Set<string>();
  for (const r of rule.reviewers) {
    const k = r.toLowerCase();
    if (c.users.has(k)) out.add(k);
    for (const m of c.groups.get(k) ?? []) out.add(m);
  }
  return [...out];
}

export function sha256(t: string): string {
  return createHash("sha256").update(t).digest("hex");
}
