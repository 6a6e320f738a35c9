export interface EventFacts {
  name: string;
  /** refs/heads/x or refs/tags/v1 */
  ref?: string;
  /** pull request target branch */
  baseRef?: string;
  /** activity type, e.g. opened */
  action?: string;
  /** undefined: unknown, so paths filters pass */
  changedPaths?: string[];
}

export type MatchResult = { matched: true } | { matched: false; reason: string };

const cache = new Map<string, RegExp>();

/**
 * GitHub's filter patterns: `*` any run without `/`, `**` any run, `?` and `+` quantify
 * the character before them, `[...]` a class; `\` escapes.
 */
export function patternToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        // `**/` also matches no folder at all.
        if (pattern[i + 1] === "/") {
          i++;
          out += "(?:.*/)?";
        } else out += ".*";
      } else out += "[^/]*";
    } else if (c === "?" || c === "+") out += c;
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) out += "\\[";
      else {
        out += `[${pattern.slice(i + 1, end).replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (c === "\\" && i + 1 < pattern.length) out += `\\${pattern[++i]}`;
    else out += c.replace(/[.^$(){}|/]/g, "\\$&");
  }
  re = new RegExp(`^${out}$`);
  cache.set(pattern, re);
  return re;
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

type Filters = Record<string, string[] | undefined>;

function refFilter(f: Filters, kind: "branches" | "tags", name: string): MatchResult {
  const inc = f[kind];
  const ign = f[`${kind}-ignore`];
  const label = kind === "branches" ? "branch" : "tag";
  if (inc && !matchFilterPatterns(inc, name))
    return { matched: false, reason: `${label} '${name}' is not in ${kind} [${inc.join(", ")}]` };
  if (ign && matchFilterPatterns(ign, name))
    return { matched: false, reason: `${label} '${name}' is in ${kind}-ignore [${ign.join(", ")}]` };
  return { matched: true };
}

function pathFilter(f: Filters, changed: string[] | undefined): MatchResult {
  if (!changed) return { matched: true };
  if (f.paths && !changed.some((p) => matchFilterPatterns(f.paths!, p)))
    return { matched: false, reason: `no changed file matches paths [${f.paths.join(", ")}]` };
  if (
    f["paths-ignore"] &&
    changed.length > 0 &&
    changed.every((p) => matchFilterPatterns(f["paths-ignore"]!, p))
  )
    return {
      matched: false,
      reason: `every changed file matches paths-ignore [${f["paths-ignore"].join(", ")}]`,
    };
  return { matched: true };
}

const DEFAULT_TYPES: Record<string, string[]> = {
  pull_request: ["opened", "synchronize", "reopened"],
  pull_request_target: ["opened", "synchronize", "reopened"],
};

function typeFilter(event: string, f: Filters, action: string | undefined): MatchResult {
  const types = f.types ?? DEFAULT_TYPES[event];
  if (!types || !action) return { matched: true };
  if (!types.includes(action))
    return { matched: false, reason: `activity type '${action}' is not in types [${types.join(", ")}]` };
  return { matched: true };
}

/** Does the workflow's `on:` (the parser's EventsConfig) trigger on this event? */
export function matchEvent(events: Record<string, unknown>, facts: EventFacts): MatchResult {
  if (!(facts.name in events)) {
    const on = Object.keys(events);
    return { matched: false, reason: `on: ${on.join(", ") || "(nothing)"} does not include ${facts.name}` };
  }
  const f = (events[facts.name] ?? {}) as Filters;
  const ref = facts.ref ?? "";
  switch (facts.name) {
    case "push": {
      const isTag = ref.startsWith("refs/tags/");
      const name = ref.replace(/^refs\/(heads|tags)\//, "");
      const hasBranch = !!(f.branches || f["branches-ignore"]);
      const hasTag = !!(f.tags || f["tags-ignore"]);
      if (isTag) {
        if (hasTag) {
          const r = refFilter(f, "tags", name);
          if (!r.matched) return r;
        } else if (hasBranch)
          return {
            matched: false,
            reason: `only branch filters are set, so the tag push '${name}' does not trigger`,
          };
        // Path filters are not evaluated for tag pushes.
        return { matched: true };
      }
      if (hasBranch) {
        const r = refFilter(f, "branches", name);
        if (!r.matched) return r;
      } else if (hasTag)
        return {
          matched: false,
          reason: `only tag filters are set, so the push to branch '${name}' does not trigger`,
        };
      return pathFilter(f, facts.changedPaths);
    }
    case "pull_request":
    case "pull_request_target": {
      const t = typeFilter(facts.name, f, facts.action);
      if (!t.matched) return t;
      const r = refFilter(f, "branches", facts.baseRef ?? "");
      if (!r.matched) return { matched: false, reason: `base ${r.reason}` };
      return pathFilter(f, facts.changedPaths);
    }
    case "workflow_run": {
      const t = typeFilter(facts.name, f, facts.action);
      if (!t.matched) return t;
      return refFilter(f, "branches", ref.replace(/^refs\/heads\//, ""));
    }
    default:
      return typeFilter(facts.name, f, facts.action);
  }
}
