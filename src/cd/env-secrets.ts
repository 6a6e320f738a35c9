// Environment secrets: encrypted at rest as the repository's are (secret-store.ts, AES-256-GCM,
// the same key), in a store of their own whose names are `environment/NAME`: the environment
// is part of the authenticated data, so a value cannot be moved to another environment. They
// reach a job only once its deployment to that environment is approved (deployments.ts).
// On PostgreSQL the store is the database's (server/secrets-db.ts), shared by replicas.
import { SECRET_NAME, SecretStore, type Secrets } from "../server/secret-store.js";

/** GitHub's environment names: up to 255 characters, no slash-like or control characters here. */
export const ENVIRONMENT_NAME = /^[\w .-]{1,255}$/;

export class EnvSecrets {
  private readonly store: Secrets;

  /** The clone's file in `dir`, or another store whose names are `environment/NAME`. */
  constructor(dir: string | Secrets, key?: Buffer) {
    this.store =
      typeof dir === "string" ? new SecretStore(dir, key!, "server-environment-secrets.json") : dir;
  }

  static validName(name: string): boolean {
    return SECRET_NAME.test(name);
  }

  private key(environment: string, name: string): string {
    return `${environment.toLowerCase()}/${name}`;
  }

  /** Done once the value is kept. */
  async set(environment: string, name: string, value: string): Promise<void> {
    await this.store.set(this.key(environment, name), value);
  }

  async delete(environment: string, name: string): Promise<boolean> {
    return await this.store.delete(this.key(environment, name));
  }

  names(environment: string): { name: string; updatedAt: string }[] {
    const prefix = `${environment.toLowerCase()}/`;
    return this.store
      .names()
      .filter((n) => n.name.startsWith(prefix))
      .map((n) => ({ ...n, name: n.name.slice(prefix.length) }));
  }

  /** The environment's secrets by name. */
  valuesFor(environment: string): Record<string, string> {
    const prefix = `${environment.toLowerCase()}/`;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.store.values()))
      if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
    return out;
  }

  /** Every value (the server masks them all). */
  allValues(): string[] {
    return Object.values(this.store.values());
  }
}
