// DELETE /api/agents/ID (the admin token): an admin removes an agent. Its token is refused
// from then on, on every replica (410: it stops instead of registering again); the jobs it
// held are lost leases (queued again once, then failed, "agent NAME was removed"). What it
// sent (logs, events, results, artifacts) stays: they are the runs', not the agent's.
import type { LegQueue } from "./dispatch.js";
import { HttpError } from "./http.js";

export interface Removed {
  removed: string;
  name: string;
  /** Jobs it was running, released to other agents (or failed after their retry). */
  released: number;
}

export async function removeAgent(
  d: Pick<LegQueue, "removeAgent"> | undefined,
  id: string,
): Promise<Removed> {
  if (!d) throw new HttpError(404, "this server has no agents");
  const r = /^[\w-]{1,64}$/.test(id) ? await d.removeAgent(id) : undefined;
  if (!r) throw new HttpError(404, `no agent ${JSON.stringify(id)} (GET /api/agents lists their ids)`);
  return { removed: r.agent.id, name: r.agent.name, released: r.released };
}
