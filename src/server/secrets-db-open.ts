// `slipway serve` on PostgreSQL: each repository's secrets in the database (secrets-db.ts),
// and the moving over from the clone's files, which older servers (and servers on SQLite) keep.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { historyDatabase } from "../cli/common.js";
import { openHistory } from "../db/open.js";
import { SecretStore } from "./secret-store.js";
import { DbSecrets, environmentScope, REPOSITORY } from "./secrets-db.js";

/**
 * The secrets of the repository at `root` when its history is PostgreSQL (`db`: --db): a
 * connection of their own, the clone's old files imported once; undefined on SQLite.
 */
export async function openDbSecrets(
  root: string,
  o: { db?: string; key: Buffer; masker: { add(v: string): void } },
  log: (t: string) => void,
): Promise<DbSecrets | undefined> {
  const url = historyDatabase(o.db);
  if (!url) return undefined;
  const open = async () => (await openHistory(root, true, url))!;
  const secrets = new DbSecrets({
    db: await open(),
    reopen: open,
    key: o.key,
    listenUrl: url,
    onValue: (v) => o.masker.add(v),
    log,
    ownsDb: true,
  });
  try {
    await secrets.start();
    await importSecretFiles(secrets, { dir: join(root, ".slipway"), root, key: o.key, log });
  } catch (e) {
    await secrets.close();
    throw e;
  }
  return secrets;
}

const FILES = [
  { file: "server-secrets.json", scope: (n: string): [string, string] => [REPOSITORY, n] },
  {
    file: "server-environment-secrets.json",
    scope: (n: string): [string, string] => {
      const at = n.indexOf("/");
      return [environmentScope(n.slice(0, at)), n.slice(at + 1)];
    },
  },
];

/**
 * The clone's secret files (in `dir`) imported once: a secret the database has set at the
 * same time or later is kept. The files stay where they are (nothing is lost) and are no
 * longer read; a file beside each says when it was imported, so that a secret deleted since
 * is not brought back at the next start.
 */
export async function importSecretFiles(
  secrets: DbSecrets,
  o: { dir: string; root: string; key: Buffer; log: (t: string) => void },
): Promise<void> {
  for (const { file, scope } of FILES) {
    const path = join(o.dir, file);
    const shown = relative(o.root, path) || path;
    const marker = `${path}.imported`;
    if (!existsSync(path)) continue;
    if (existsSync(marker)) {
      const when = readFileSync(marker, "utf8").trim().split(/\s/)[0];
      o.log(`secrets: ${shown} is no longer read: its secrets were imported into the database (${when})`);
      continue;
    }
    // A wrong key is said here as the file store says it (exit 2 at start).
    const store = new SecretStore(o.dir, o.key, file);
    const values = store.values();
    const rows = store.names().map(({ name, updatedAt }) => {
      const [s, n] = scope(name);
      const at = Date.parse(updatedAt);
      return { scope: s, name: n, value: values[name]!, updatedAt: Number.isNaN(at) ? 0 : at };
    });
    const written = await secrets.imported(rows);
    writeFileSync(
      marker,
      `${new Date().toISOString()} imported into the database ${secrets.where}; ${file} is no longer read\n`,
      { mode: 0o600 },
    );
    const kept = rows.length - written;
    o.log(
      `secrets: imported ${written} secret${written === 1 ? "" : "s"} of ${shown} into the database` +
        (kept ? ` (${kept} set there later kept)` : "") +
        `; ${shown} is left in place and no longer read (secrets now live in the database, shared by replicas)`,
    );
  }
}
