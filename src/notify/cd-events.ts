// The environments code tells a listener what happens (src/cd/events.ts); these are the
// notifications it makes: approval needed / given / rejected, deployment done / rolled back.
import type { CdEvent } from "../cd/events.js";
import { landed } from "../metrics/dora.js";
import {
  approvalDecided,
  approvalNeeded,
  deploymentDone,
  deploymentRolledBack,
  type NotifyEvent,
} from "./events.js";

/** The notification of `e`, if it makes one; `base`: the server's public address. */
export function fromCd(e: CdEvent, repository: string, base: string): NotifyEvent | undefined {
  const at = (path: string) => (base ? { url: `${base}${path}` } : {});
  switch (e.type) {
    case "approval-needed":
      return approvalNeeded({
        repository,
        environment: e.environment,
        run: e.run,
        job: e.job,
        ...at("/approvals"),
      });
    case "approval-decided":
      return approvalDecided(
        {
          repository,
          environment: e.environment,
          run: e.run,
          job: e.job,
          by: e.by,
          ...(e.reason ? { comment: e.reason } : {}),
          ...at(`/runs/${e.run}`),
        },
        e.approved,
      );
    case "deployment-finished": {
      // A deployment job that failed changed nothing: no "deployed" message.
      if (!landed(e.deployment)) return undefined;
      const page = at(`/environments/${encodeURIComponent(e.deployment.environment)}`).url;
      return e.deployment.kind === "rollback"
        ? deploymentRolledBack(repository, e.deployment, page)
        : deploymentDone(repository, e.deployment, page);
    }
    default:
      return undefined;
  }
}
