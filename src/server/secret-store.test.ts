import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { parseDotenv } from "../cli/dotenv.js";
import { dotenvText, SecretKeyError, SecretStore, secretKey } from "./secret-store.js";

test("secrets are stored encrypted (AES-256-GCM), the key file is 0600, a wrong key is refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-secrets-"));
  const key = secretKey(dir, undefined);
  expect(statSync(join(dir, "server-secret.key")).mode & 0o777).toBe(0o600);
  expect(secretKey(dir, undefined).equals(key)).toBe(true);
  const store = new SecretStore(dir, key);
  store.set("DEPLOY_TOKEN", "plain-value-123");
  store.set("MULTI", "line one\nline 'two' \"three\"");
  const file = readFileSync(join(dir, "server-secrets.json"), "utf8");
  expect(file).not.toContain("plain-value-123");
  expect(statSync(join(dir, "server-secrets.json")).mode & 0o777).toBe(0o600);
  // Read back by a new store (a restarted server).
  const again = new SecretStore(dir, key);
  expect(again.values()).toEqual({
    DEPLOY_TOKEN: "plain-value-123",
    MULTI: "line one\nline 'two' \"three\"",
  });
  expect(again.names().map((n) => n.name)).toEqual(["DEPLOY_TOKEN", "MULTI"]);
  // As the run reads them back from its --secret-file.
  expect(parseDotenv(dotenvText(again.values()))).toEqual(again.values());
  expect(again.delete("MULTI")).toBe(true);
  expect(again.delete("MULTI")).toBe(false);
  // A value moved to another name does not decrypt (its name is authenticated).
  const sealed = JSON.parse(readFileSync(join(dir, "server-secrets.json"), "utf8"));
  sealed.secrets.OTHER = sealed.secrets.DEPLOY_TOKEN;
  writeFileSync(join(dir, "server-secrets.json"), JSON.stringify(sealed));
  expect(() => new SecretStore(dir, key)).toThrow(/secret OTHER cannot be decrypted/);
  expect(() => new SecretStore(dir, Buffer.alloc(32, 1))).toThrow(SecretKeyError);
  expect(() => secretKey(dir, "short")).toThrow("SLIPWAY_SECRET_KEY must be 64 hex digits (32 bytes)");
  expect(secretKey(dir, "ab".repeat(32)).toString("hex")).toBe("ab".repeat(32));
});
