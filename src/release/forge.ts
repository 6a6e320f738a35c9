// Links to commits and comparisons on the forge the remote points at. GitHub, Gitea, Forgejo
// and Codeberg share `/commit/<sha>` and `/compare/<a>...<b>`; GitLab puts `/-/` before them.

export interface Forge {
  /** https://host/owner/repo, without credentials. */
  web: string;
  commit(sha: string): string;
  compare(from: string, to: string): string;
  tag(name: string): string;
}

/** The forge of a remote URL (https, ssh:// or scp-like git@host:owner/repo), if it is one. */
export function forgeOf(remote: string | undefined): Forge | undefined {
  if (!remote) return undefined;
  let host: string;
  let path: string;
  const scp = /^[\w.-]+@([\w.-]+):(?!\/)(.+)$/.exec(remote);
  if (scp) [, host, path] = scp as unknown as [string, string, string];
  else {
    let u: URL;
    try {
      u = new URL(remote);
    } catch {
      return undefined;
    }
    if (!["https:", "http:", "ssh:", "git+ssh:"].includes(u.protocol)) return undefined;
    // Never the user or token that an https remote may carry.
    host = u.hostname;
    path = u.pathname.slice(1);
  }
  path = path.replace(/\.git\/?$/, "").replace(/\/$/, "");
  if (!/^[\w.-]+(\/[\w.-]+)+$/.test(path)) return undefined;
  const web = `https://${host}/${path}`;
  const sep = host === "gitlab.com" || host.startsWith("gitlab.") ? "/-" : "";
  return {
    web,
    commit: (sha) => `${web}${sep}/commit/${sha}`,
    compare: (a, b) => `${web}${sep}/compare/${a}...${b}`,
    tag: (t) => (sep ? `${web}/-/tags/${t}` : `${web}/releases/tag/${t}`),
  };
}
