// Commit statuses: the forge shows each run's state on its commit (pending while it runs,
// then success, failure or error) with a link to the run. GitHub's statuses API, which
// Gitea and Forgejo implement with the same shape under /api/v1:
// POST {api}/repos/{owner}/{repo}/statuses/{sha} {state, target_url, description, context}.

export type StatusState = "pending" | "success" | "failure" | "error";

export interface StatusTarget {
  /** https://api.github.com, or a Gitea/Forgejo server's https://host/api/v1. */
  api: string;
  token: string;
  /** Where the links point (the server's public URL). */
  publicUrl: string;
  /** The runs' API under it (default /api/runs; another repository's: /api/repos/OWNER/NAME/runs). */
  runsPath?: string;
  log: (t: string) => void;
}

export interface CommitStatus {
  /** owner/name */
  repository: string;
  sha: string;
  state: StatusState;
  description: string;
  /** The run's number, for the link (none while queued). */
  run?: number;
}

/** Posts a status; errors are logged (a forge that is down never fails a run), 3 tries. */
export async function postStatus(t: StatusTarget, s: CommitStatus): Promise<boolean> {
  if (!/^[\w.-]+\/[\w.-]+$/.test(s.repository) || !/^[0-9a-f]{40,64}$/.test(s.sha)) {
    t.log(`status not posted: '${s.repository}' or '${s.sha}' is not a repository and a commit`);
    return false;
  }
  const url = `${t.api.replace(/\/+$/, "")}/repos/${s.repository}/statuses/${s.sha}`;
  const body = JSON.stringify({
    state: s.state,
    ...(s.run !== undefined
      ? { target_url: `${t.publicUrl.replace(/\/+$/, "")}${t.runsPath ?? "/api/runs"}/${s.run}` }
      : {}),
    // GitHub cuts descriptions at 140 characters.
    description: s.description.slice(0, 140),
    context: "slipway",
  });
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          accept: "application/vnd.github+json",
          authorization: `Bearer ${t.token}`,
          "content-type": "application/json",
          "user-agent": "slipway",
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      if (res.ok) return true;
      const text = (await res.text()).slice(0, 200);
      // 4xx: the token, the repository or the commit is wrong; trying again will not help.
      if (res.status < 500) {
        t.log(`status ${s.state} for ${s.sha.slice(0, 7)} refused: ${res.status} ${text}`);
        return false;
      }
    } catch (e) {
      if (attempt === 3)
        t.log(`status ${s.state} for ${s.sha.slice(0, 7)} not posted: ${(e as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 250 * attempt));
  }
  return false;
}
