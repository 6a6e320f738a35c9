import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { readServerConfig } from "../server/config.js";
import { parseNotifications, readNotifications } from "./config.js";

const parse = (text: string, env: NodeJS.ProcessEnv = {}) =>
  parseNotifications(text, "slipway-server.yml", env);

describe("notifications: in slipway-server.yml", () => {
  test("targets with their filters; the other options are read by the server's own reader", () => {
    const text = `port: 8080
notifications:
  - url: https://hooks.slack.com/services/T0/B0/XYZ
    format: slack
    events: [run.failed, run.fixed]
  - name: deploy-log
    url: http://127.0.0.1:9000/hook
    secret-env: HOOK_SECRET
    repositories: [acme/shop]
    environments: [production]
`;
    expect(parse(text, { HOOK_SECRET: "k" })).toEqual([
      {
        name: "hooks.slack.com (1)",
        url: "https://hooks.slack.com/services/T0/B0/XYZ",
        format: "slack",
        events: ["run.failed", "run.fixed"],
        repositories: [],
        environments: [],
      },
      {
        name: "deploy-log",
        url: "http://127.0.0.1:9000/hook",
        format: "json",
        secret: "k",
        events: [],
        repositories: ["acme/shop"],
        environments: ["production"],
      },
    ]);
    const dir = mkdtempSync(join(tmpdir(), "slipway-notify-config-"));
    const file = join(dir, "slipway-server.yml");
    writeFileSync(file, text);
    expect(readServerConfig(file, { port: "string" }, ["notifications"])).toEqual({ port: "8080" });
    expect(() => readServerConfig(file, { port: "string" })).toThrow("unknown option 'notifications'");
    expect(readNotifications(file, { HOOK_SECRET: "k" })).toHaveLength(2);
    expect(parse("port: 1\n")).toEqual([]);
  });

  test("mistakes are pointed at with file:line:col", () => {
    const bad =
      (text: string, env: NodeJS.ProcessEnv = {}) =>
      () =>
        parse(text, env);
    expect(bad("notifications: yes\n")).toThrow(
      "slipway-server.yml:1:16: notifications: expected a list of targets",
    );
    expect(bad("notifications:\n  - format: slack\n")).toThrow(
      "slipway-server.yml:2:5: a notification target needs a url",
    );
    expect(bad("notifications:\n  - url: ftp://x\n")).toThrow(
      "slipway-server.yml:2:10: url: expected an http(s) URL",
    );
    expect(bad("notifications:\n  - url: http://x\n    evnts: [run.failed]\n")).toThrow(
      "slipway-server.yml:3:5: unknown key 'evnts'",
    );
    expect(bad("notifications:\n  - url: http://x\n    events: [run.failed, run.broke]\n")).toThrow(
      "slipway-server.yml:3:26: unknown event 'run.broke' (known: run.failed, run.fixed,",
    );
    expect(bad("notifications:\n  - url: http://x\n    secret-env: NOPE\n")).toThrow(
      "slipway-server.yml:3:17: secret-env: NOPE is not set",
    );
    expect(bad("notifications:\n  - url: http://x\n    format: slack\n    secret: k\n")).toThrow(
      "slipway-server.yml:4:5: a slack target is not signed",
    );
    expect(bad("notifications:\n  - url: http://x\n    format: xml\n")).toThrow(
      "slipway-server.yml:3:13: format: slack or json",
    );
    expect(bad("notifications:\n  - url: [x\n")).toThrow(/^slipway-server.yml:\d+:\d+: not valid YAML/);
    // A waiting delivery is kept under its target's name: names are unique.
    expect(
      bad("notifications:\n  - name: ops\n    url: http://x\n  - name: ops\n    url: http://y\n"),
    ).toThrow("slipway-server.yml:4:11: name: 'ops' names another target too");
  });
});
