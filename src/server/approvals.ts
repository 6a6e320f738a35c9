// Deployments waiting for a person: a run the server started asks here when a job deploys to an
// environment; someone with the admin token approves or rejects it through the API (the
// dashboard's buttons come later). The run waits in long polls; the request is kept until
// decided, and a run that stops asking (cancelled) withdraws it.
import { randomBytes } from "node:crypto";

export interface PendingApproval {
  id: string;
  run: number;
  job: string;
  name: string;
  environment: string;
  requestedAt: number;
}

interface Entry extends PendingApproval {
  decision?: { approved: boolean; by: string };
  waiters: Set<() => void>;
  lastAsked: number;
}

export class Approvals {
  private readonly byKey = new Map<string, Entry>();
  private readonly byId = new Map<string, Entry>();

  /** The run asks (again): the decision if there is one, else waits up to `waitMs` for it. */
  async ask(
    r: { run: number; job: string; name: string; environment: string },
    waitMs: number,
  ): Promise<{ approved: boolean; by: string } | undefined> {
    const key = `${r.run}\n${r.job}\n${r.environment}`;
    let e = this.byKey.get(key);
    if (!e) {
      e = {
        ...r,
        id: randomBytes(6).toString("hex"),
        requestedAt: Date.now(),
        waiters: new Set(),
        lastAsked: 0,
      };
      this.byKey.set(key, e);
      this.byId.set(e.id, e);
    }
    e.lastAsked = Date.now();
    if (!e.decision && waitMs > 0) {
      const entry = e;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          entry.waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, waitMs);
        entry.waiters.add(done);
      });
    }
    if (e.decision) {
      this.byKey.delete(key);
      this.byId.delete(e.id);
    }
    return e.decision;
  }

  /** Approves or rejects a pending request; false when there is none with that id. */
  decide(id: string, approved: boolean, by: string): boolean {
    const e = this.byId.get(id);
    if (!e || e.decision) return false;
    e.decision = { approved, by };
    for (const w of [...e.waiters]) w();
    return true;
  }

  /** Requests still waiting, oldest first; one its run stopped asking for (a minute) is dropped. */
  pending(): PendingApproval[] {
    const stale = Date.now() - 60_000;
    for (const [key, e] of this.byKey)
      if (!e.decision && e.waiters.size === 0 && e.lastAsked < stale) {
        this.byKey.delete(key);
        this.byId.delete(e.id);
      }
    return [...this.byKey.values()]
      .filter((e) => !e.decision)
      .map(({ id, run, job, name, environment, requestedAt }) => ({
        id,
        run,
        job,
        name,
        environment,
        requestedAt,
      }));
  }
}
