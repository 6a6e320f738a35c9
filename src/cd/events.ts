// What happens in the continuous-delivery half, for whoever wants to hear it (notifications):
// called after the database has it, never awaited, so a slow listener never holds a deployment.
import type { Deployment, Incident } from "./types.js";

export type CdEvent =
  | {
      type: "approval-needed";
      id: string;
      run: number;
      job: string;
      environment: string;
      sha: string;
      ref: string;
    }
  | {
      type: "approval-decided";
      id: string;
      run: number;
      job: string;
      environment: string;
      approved: boolean;
      by: string;
      reason?: string;
    }
  | { type: "deployment-started" | "deployment-finished"; deployment: Deployment }
  | { type: "incident-opened"; incident: Pick<Incident, "id" | "environment" | "deployment" | "reason"> }
  | { type: "rollback-queued"; environment: string; to: number; by: string; queued: number };

export type CdListener = (e: CdEvent) => void;

/** Calls `listener` without letting it throw into the caller. */
export function tell(listener: CdListener | undefined, e: CdEvent, log: (t: string) => void): void {
  if (!listener) return;
  try {
    listener(e);
  } catch (err) {
    log(`cd listener: ${(err as Error).message}`);
  }
}
