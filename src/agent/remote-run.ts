// A run `slipway serve` started tells the server its number as soon as it has one (its run
// folder is made, its workflows read): the queue row shows the run at once (GET
// /api/queue/ID), and a server with a fetched repository may check out the next run's commit.
import { post, ServerError, sleep } from "./http.js";

export async function announceRun(o: {
  url: string;
  token: string;
  queued: number;
  run: number;
}): Promise<void> {
  // A server restarting is waited for a little; a refusal is final (the run goes on regardless).
  for (let i = 0; i < 20; i++) {
    try {
      await post(o.url, "/api/dispatch/started", o.token, { queued: o.queued, run: o.run });
      return;
    } catch (e) {
      if (e instanceof ServerError) return;
      await sleep(250);
    }
  }
}
