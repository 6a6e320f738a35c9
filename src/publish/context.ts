import type { Masker } from "../run/mask.js";
import type { Registries } from "./types.js";

/** Registry credentials, from the environment or --secret-file; never printed. */
export interface Credentials {
  cargoToken?: string;
  npmToken?: string;
  pypiUser?: string;
  pypiPassword?: string;
}

/** The names each credential is read from, first found wins (the ecosystems' own names). */
export function credentialsFrom(env: Record<string, string | undefined>): Credentials {
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v);
  const pypiToken = pick("PYPI_TOKEN", "PYPI_API_TOKEN");
  const c: Credentials = {};
  const cargo = pick("CARGO_REGISTRY_TOKEN");
  const npm = pick("NPM_TOKEN", "NODE_AUTH_TOKEN");
  const password = pick("TWINE_PASSWORD") ?? pypiToken;
  if (cargo) c.cargoToken = cargo;
  if (npm) c.npmToken = npm;
  if (password) {
    c.pypiPassword = password;
    c.pypiUser = pick("TWINE_USERNAME") ?? "__token__";
  }
  return c;
}

export interface Context {
  root: string;
  /** A private temporary folder for this run (artifacts, npmrc, smoke environments). */
  tmp: string;
  registries: Registries;
  credentials: Credentials;
  masker: Masker;
  /** How long to wait for a registry to serve a published version. */
  waitMs: number;
  /** Progress lines, already masked by the caller's printer. */
  log(line: string): void;
}
