export interface EventFacts {
  name: string;
  /** refs/heads/x or refs/tags/v1; for workflow_run, the triggering run's branch. */
  ref?: string;
  /** pull request target branch */
  baseRef?: string;
  /** activity type, e.g. opened */
  action?: string;
  /** undefined: unknown, so paths filters pass */
  changedPaths?: string[];
  /** workflow_run: name of the workflow whose run triggered this one; undefined passes */
  workflow?: string;
}

export type MatchResult = { matched: true } | { matched: false; reason: string };

const MATCHED: MatchResult = { matched: true };
const NEVER = /(?!)/;
const cache = new Map<string, RegExp>();

/**
 * GitHub's filter patterns: `*` any run without `/`, `**` any run, `?` and `+` quantify
 * the character before them, `[...]` a class; `\` escapes. Invalid patterns match nothing.
 */
export function patternToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  let out = "";
  // Whether the last output is an atom `?`/`+` may quantify; otherwise they are literal.
  let atom = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        // `**/` also matches no folder at all: `**/README.md` matches `README.md`.
        if (pattern[i + 1] === "/") {
          i++;
          out += "(?:.*/)?";
        } else out += ".*";
      } else out += "[^/]*";
      atom = false;
      continue;
    }
    if (c === "?" || c === "+") {
      out += atom ? c : `\\${c}`;
      atom = false;
      continue;
    }
    if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end > i + 1) {
        out += `[${pattern.slice(i + 1, end).replace(/\\/g, "\\\\")}]`;
        i = end;
      } else out += "\\[";
    } else if (c === "\\" && i + 1 < pattern.length) out += escapeRe(pattern[++i]!);
    else out += escapeRe(c);
    atom = true;
  }
  try {
    re = new RegExp(`^${out}$`);
  } catch {
    re = NEVER;
  }
  cache.set(pattern, re);
  return re;
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^$()[\]{}|/\\-]/g, "\\$&");
}

/** Patterns in order, `!` negating, the last match deciding. */
export function matchFilterPatterns(patterns: string[], value: string): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith("!")) {
      if (patternToRegExp(p.slice(1)).test(value)) hit = false;
    } else if (patternToRegExp(p).test(value)) hit = true;
  }
  return hit;
}

type Filters = Record<string, unknown>;

function list(f: Filters, key: string): string[] | undefined {
  const v = f[key];
  return Array.isArray(v) ? v.map(String) : undefined;
}

const show = (patterns: string[]) => `[${patterns.join(", ")}]`;

function refFilter(f: Filters, kind: "branches" | "tags", name: string): MatchResult {
  const inc = list(f, kind);
  const ign = list(f, `${kind}-ignore`);
  const label = kind === "branches" ? "branch" : "tag";
  if (inc && !matchFilterPatterns(inc, name))
    return { matched: false, reason: `${label} '${name}' not in ${kind} ${show(inc)}` };
  if (ign && matchFilterPatterns(ign, name))
    return { matched: false, reason: `${label} '${name}' matches ${kind}-ignore ${show(ign)}` };
  return MATCHED;
}

function pathFilter(f: Filters, changed: string[] | undefined): MatchResult {
  const inc = list(f, "paths");
  const ign = list(f, "paths-ignore");
  if (!changed || (!inc && !ign)) return MATCHED;
  if (inc && !changed.some((p) => matchFilterPatterns(inc, p)))
    return { matched: false, reason: `no changed file matches paths ${show(inc)}` };
  if (ign && changed.length > 0 && changed.every((p) => matchFilterPatterns(ign, p)))
    return { matched: false, reason: `every changed file matches paths-ignore ${show(ign)}` };
  return MATCHED;
}

// Events whose workflows run only for some activity types unless `types:` says otherwise.
const DEFAULT_TYPES: Record<string, string[]> = {
  pull_request: ["opened", "synchronize", "reopened"],
  pull_request_target: ["opened", "synchronize", "reopened"],
};

function typeFilter(event: string, f: Filters, action: string | undefined): MatchResult {
  const types = list(f, "types") ?? DEFAULT_TYPES[event];
  if (!types || action === undefined || types.includes(action)) return MATCHED;
  const which = list(f, "types") ? "types" : "the default types";
  return { matched: false, reason: `activity type '${action}' not in ${which} ${show(types)}` };
}

function pushFilter(f: Filters, ref: string, changed: string[] | undefined): MatchResult {
  const isTag = ref.startsWith("refs/tags/");
  const name = ref.replace(/^refs\/(heads|tags)\//, "");
  const hasBranch = "branches" in f || "branches-ignore" in f;
  const hasTag = "tags" in f || "tags-ignore" in f;
  if (isTag) {
    if (hasTag) return refFilter(f, "tags", name);
    if (hasBranch) return { matched: false, reason: `tag '${name}' pushed, but only branch filters are set` };
    // Path filters are not evaluated for tag pushes.
    return MATCHED;
  }
  if (hasBranch) {
    const r = refFilter(f, "branches", name);
    if (!r.matched) return r;
  } else if (hasTag)
    return { matched: false, reason: `branch '${name}' pushed, but only tag filters are set` };
  return pathFilter(f, changed);
}

/** Does the workflow's `on:` (the parser's EventsConfig) trigger on this event? */
export function matchEvent(events: Record<string, unknown>, facts: EventFacts): MatchResult {
  if (!Object.hasOwn(events, facts.name)) {
    const on = Object.keys(events);
    return { matched: false, reason: `event '${facts.name}' not in on: ${show(on)}` };
  }
  const raw = events[facts.name];
  // `schedule` is a list of crons; the others are mappings or empty.
  const f: Filters = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Filters) : {};
  switch (facts.name) {
    case "push":
      return pushFilter(f, facts.ref ?? "", facts.changedPaths);
    case "pull_request":
    case "pull_request_target": {
      const t = typeFilter(facts.name, f, facts.action);
      if (!t.matched) return t;
      // Branch filters name the branch the pull request targets.
      const r = refFilter(f, "branches", facts.baseRef ?? "");
      if (!r.matched) return { matched: false, reason: `base ${r.reason}` };
      return pathFilter(f, facts.changedPaths);
    }
    case "workflow_run": {
      const workflows = list(f, "workflows");
      if (workflows && facts.workflow !== undefined && !workflows.includes(facts.workflow))
        return { matched: false, reason: `workflow '${facts.workflow}' not in workflows ${show(workflows)}` };
      const t = typeFilter(facts.name, f, facts.action);
      if (!t.matched) return t;
      return refFilter(f, "branches", (facts.ref ?? "").replace(/^refs\/heads\//, ""));
    }
    default:
      return typeFilter(facts.name, f, facts.action);
  }
}
