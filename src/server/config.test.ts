import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { envName, readServerConfig, ServerConfigError, withDefaults } from "./config.js";

const KINDS = {
  port: "string",
  "lease-seconds": "string",
  "no-schedules": "boolean",
  token: "string",
} as const;

test("slipway-server.yml: options by name; a flag wins over SLIPWAY_SERVE_*, which wins over the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-config-"));
  const file = join(dir, "slipway-server.yml");
  writeFileSync(file, "# the server\nport: 9090\nlease-seconds: 20\nno-schedules: true\n");
  const read = readServerConfig(file, KINDS);
  expect(read).toEqual({ port: "9090", "lease-seconds": "20", "no-schedules": true });
  expect(envName("lease-seconds")).toBe("SLIPWAY_SERVE_LEASE_SECONDS");
  const v = withDefaults({ port: "1234" } as Record<string, unknown>, KINDS, read, {
    SLIPWAY_SERVE_LEASE_SECONDS: "7",
    SLIPWAY_SERVE_TOKEN: "t",
  });
  expect(v).toEqual({ port: "1234", "lease-seconds": "7", "no-schedules": true, token: "t" });
  writeFileSync(file, "port: 1\nleese-seconds: 20\n");
  expect(() => readServerConfig(file, KINDS)).toThrow(
    `${file}:2:1: unknown option 'leese-seconds' (known: lease-seconds, no-schedules, port, token)`,
  );
  writeFileSync(file, "no-schedules: maybe\n");
  expect(() => readServerConfig(file, KINDS)).toThrow(`${file}:1:15: no-schedules: expected true or false`);
  writeFileSync(file, "port: [\n");
  expect(() => readServerConfig(file, KINDS)).toThrow(ServerConfigError);
  expect(() => readServerConfig(join(dir, "nope.yml"), KINDS)).toThrow("nope.yml: file not found");
});
