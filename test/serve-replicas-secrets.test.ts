import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { backends } from "../src/db/test-helpers.js";
import { Mirror } from "../src/server/mirror.js";
import { SecretStore } from "../src/server/secret-store.js";
import { bareRepo } from "./helpers/bare-repo.js";
import { api, type Server, slipwayProcess, stopAll, until, webhook } from "./helpers/serve.js";

// Replicas on different machines (each its own clone and data folder, one PostgreSQL, one
// SLIPWAY_SECRET_KEY) share the secrets: a repository secret and an environment secret set
// through one replica reach, masked, the runs another replica coordinates.

const HOOK = "replica-secrets-hook";
const TOKEN_VALUE = "shared-token-4b9e1f0"; // 20 characters
const KEY_VALUE = "prod-deploy-key-replicas"; // 24 characters
const OLD_VALUE = "from-the-old-file-77";
const T = { alice: "alice-replica-token-1", bob: "bob-replica-token-2" };
const top = mkdtempSync(join(tmpdir(), "slipway-replica-secrets-"));
const gate = join(top, "gate");

afterAll(async () => {
  writeFileSync(gate, "");
  await stopAll();
}, 60_000);

const CONFIG = `users:
  alice: { role: admin, token-env: T_ALICE }
  bob: { role: reviewer, token-env: T_BOB }
environments:
  production:
    reviewers: [bob]
`;

const WF = `on: push
jobs:
  hold:
    if: github.ref == 'refs/heads/hold'
    runs-on: ubuntu-latest
    steps:
      - run: while [ ! -f "${gate}" ]; do sleep 0.05; done
  check:
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    steps:
      - run: test "\${#TOKEN}" -eq 20 && test "\${#OLD}" -eq 20 && echo "token-length-ok token=[$TOKEN]"
        env:
          TOKEN: \${{ secrets.SHARED_TOKEN }}
          OLD: \${{ secrets.OLD_ONE }}
  deploy:
    needs: check
    environment: production
    runs-on: ubuntu-latest
    steps:
      - run: test "\${#KEY}" -eq 24 && echo "key-length-ok key=[$KEY]"
        env:
          KEY: \${{ secrets.DEPLOY_KEY }}
`;

const pg = backends().filter((b) => b.name === "postgres");

describe.skipIf(!pg.length)("postgres", () => {
  test("secrets set through one replica reach, masked, the run and the approved deployment another replica coordinates; a clone's old file is imported once", async () => {
    const { url } = await pg[0]!.fresh();
    const { bare, head } = bareRepo(top, WF, ["HEAD:main", "HEAD:hold"]);
    const config = join(top, "slipway-server.yml");
    writeFileSync(config, CONFIG);
    const env = {
      SLIPWAY_WEBHOOK_SECRET: HOOK,
      SLIPWAY_SECRET_KEY: "cd".repeat(32),
      SLIPWAY_HISTORY_REPO: "replica-secrets",
      T_ALICE: T.alice,
      T_BOB: T.bob,
    };
    const start = async (name: string): Promise<Server & { data: string }> => {
      const data = join(top, `data-${name}`);
      const p = slipwayProcess(
        [
          "serve",
          "--port",
          "0",
          "--repo",
          bare,
          "--data",
          data,
          "--db",
          url!,
          "--config",
          config,
          "--agents",
          "1",
          // One run at a time: a replica holding a run leaves the next to the other.
          "--max-runs",
          "1",
          "--no-sandbox",
        ],
        top,
        env,
      );
      const m = await until(
        "listening",
        () => /listening on (http:\/\/\S+)/.exec(p.out()) ?? undefined,
        20_000,
      );
      return { ...p, url: m[1]!, data };
    };
    const as = (token: string, init: RequestInit = {}) => ({
      ...init,
      headers: { authorization: `Bearer ${token}` },
    });
    const a = await start("a");
    // B's clone has secrets from before (a file of an older Slipway): imported once, left in place.
    const mirror = new Mirror(bare, join(top, "data-b"));
    mirror.open();
    const clone = join(mirror.root, ".slipway");
    mkdirSync(clone, { recursive: true });
    new SecretStore(clone, Buffer.from("cd".repeat(32), "hex")).set("OLD_ONE", OLD_VALUE);
    const oldFile = readFileSync(join(clone, "server-secrets.json"), "utf8");
    const b = await start("b");
    expect(b.out()).toContain(
      "secrets: imported 1 secret of .slipway/server-secrets.json into the database; .slipway/server-secrets.json is left in place and no longer read",
    );
    expect(readFileSync(join(clone, "server-secrets.json"), "utf8")).toBe(oldFile);
    await until("A to know the imported secret", async () => {
      const names = (await api(a, "/api/secrets", as(T.alice))).body.secrets as unknown as { name: string }[];
      return names.some((n) => n.name === "OLD_ONE") ? true : undefined;
    });

    // A run that holds one replica (X); the run that needs the secrets goes to the other (Y).
    const held = await webhook(
      a,
      "push",
      { ref: "refs/heads/hold", before: "0".repeat(40), after: head, repository: { full_name: "o/r" } },
      "rs-1",
      HOOK,
    );
    expect(held.status).toBe(202);
    const runsOf = (s: { data: string }) => {
      const d = join(s.data, "repos", "origin", ".slipway", "runs");
      return existsSync(d) ? readdirSync(d) : [];
    };
    const [x, y] = await until("a replica to hold the first run", () =>
      runsOf(a).length ? [a, b] : runsOf(b).length ? [b, a] : undefined,
    );

    // Both secrets set through X, the run on Y.
    const put = async (path: string, value: string) => {
      const r = await api(x, path, { ...as(T.alice), method: "PUT", body: JSON.stringify({ value }) });
      expect(r.status).toBe(200);
      expect(r.text).not.toContain(value);
    };
    await put("/api/secrets/SHARED_TOKEN", TOKEN_VALUE);
    await put("/api/environments/production/secrets/DEPLOY_KEY", KEY_VALUE);
    const t0 = Date.now();
    await until("Y to know both secrets", async () => {
      const repoNames = (await api(y, "/api/secrets", as(T.alice))).body.secrets as unknown as {
        name: string;
      }[];
      const envNames = (await api(y, "/api/environments/production/secrets", as(T.alice))).body
        .secrets as unknown as { name: string }[];
      return repoNames.some((n) => n.name === "SHARED_TOKEN") && envNames.some((n) => n.name === "DEPLOY_KEY")
        ? true
        : undefined;
    });
    // Through NOTIFY, not the re-read of every 3 s.
    expect(Date.now() - t0).toBeLessThan(2500);
    // Names only, never values.
    const listed = await api(y, "/api/secrets", as(T.alice));
    expect(listed.text).not.toContain(TOKEN_VALUE);
    expect(listed.text).not.toContain(OLD_VALUE);

    const pushed = await webhook(
      y,
      "push",
      { ref: "refs/heads/main", before: "0".repeat(40), after: head, repository: { full_name: "o/r" } },
      "rs-2",
      HOOK,
    );
    expect(pushed.status).toBe(202);
    const eventsOf = (n: number) =>
      readFileSync(join(y.data, "repos", "origin", ".slipway", "runs", String(n), "events.jsonl"), "utf8");
    const pending = await until(
      "the deployment to wait for bob",
      async () => {
        const list = (await api(y, "/api/approvals")).body.approvals as unknown as {
          id: string;
          run: number;
        }[];
        if (list?.[0]) return list[0];
        const r = (await api(y, `/api/queue/${pushed.body.queued}`)).body;
        // Ended without asking: said with its events.
        if (r.state === "done")
          expect.fail(`the run ended: ${r.run ? eventsOf(r.run as number) : JSON.stringify(r)}`);
        return undefined;
      },
      60_000,
    );
    // Y coordinates it (X is busy with its one run).
    expect(runsOf(y)).toContain(String(pending.run));
    const approved = await api(y, `/api/approvals/${pending.id}`, {
      ...as(T.bob),
      method: "POST",
      body: JSON.stringify({ decision: "approve" }),
    });
    expect(approved.status).toBe(200);
    const q = await until(
      "the run to finish",
      async () => {
        const r = (await api(y, `/api/queue/${pushed.body.queued}`)).body;
        return r.state === "done" ? r : undefined;
      },
      60_000,
    );
    const n = q.run as number;
    const events = eventsOf(n);
    expect((await api(y, `/api/runs/${n}`)).body, events).toMatchObject({ number: n, result: "success" });
    expect(events).toContain("token-length-ok token=[***]");
    expect(events).toContain("key-length-ok key=[***]");
    for (const v of [TOKEN_VALUE, KEY_VALUE, OLD_VALUE]) {
      expect(events).not.toContain(v);
      expect(x.out() + y.out()).not.toContain(v);
    }

    // A replica with another key cannot open them: it says so at start (exit 2, no stack).
    const c = slipwayProcess(
      ["serve", "--port", "0", "--repo", bare, "--data", join(top, "data-c"), "--db", url!, "--no-sandbox"],
      top,
      { ...env, SLIPWAY_SECRET_KEY: "ef".repeat(32) },
    );
    expect(await c.exited).toBe(2);
    expect(c.out()).toMatch(
      /^slipway serve: postgres:\/\/\S+: secret \w+ \(\S+\) cannot be decrypted with this key \(SLIPWAY_SECRET_KEY differs between replicas\?\)\n$/,
    );
  }, 60_000);
});
