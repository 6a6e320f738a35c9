// The `notifications:` section of slipway-server.yml: where events go, per repository and
// environment. Errors point at the file, line and column.
//
//   notifications:
//     - url: https://hooks.slack.com/services/T000/B000/XXXX
//       format: slack                 # slack: {"text", "blocks"}; json (the default): signed JSON
//       events: [run.failed, run.fixed]
//     - name: deploy-log
//       url: https://example.com/hooks/slipway
//       secret-env: DEPLOY_HOOK_SECRET # or secret: ...; signs the body (X-Slipway-Signature-256)
//       repositories: [acme/shop]
//       environments: [production]     # only approval and deployment events of these
import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { EVENT_TYPES, type EventType } from "./events.js";

export class NotifyConfigError extends Error {}

export interface Target {
  /** For logs (never the URL: a Slack URL is a secret). */
  name: string;
  url: string;
  format: "slack" | "json";
  secret?: string;
  /** Empty: every event. */
  events: EventType[];
  repositories: string[];
  environments: string[];
}

const KEYS = ["name", "url", "format", "secret", "secret-env", "events", "repositories", "environments"];

/** The targets in `path`'s `notifications:` (none when the file has no such section). */
export function readNotifications(path: string, env: NodeJS.ProcessEnv = process.env): Target[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new NotifyConfigError(`${path}: ${(e as Error).message}`);
  }
  return parseNotifications(text, path, env);
}

export function parseNotifications(
  text: string,
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Target[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const at = (node: unknown) => {
    const range = (node as Node | null | undefined)?.range;
    const p = range ? counter.linePos(range[0]) : undefined;
    return p ? `${path}:${p.line}:${p.col}` : path;
  };
  const fail = (node: unknown, message: string): never => {
    throw new NotifyConfigError(`${at(node)}: ${message}`);
  };
  if (doc.errors.length) {
    const p = doc.errors[0]!.linePos?.[0];
    throw new NotifyConfigError(`${path}${p ? `:${p.line}:${p.col}` : ""}: not valid YAML`);
  }
  if (!isMap(doc.contents)) return [];
  const section = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === "notifications");
  if (!section || section.value === null) return [];
  if (!isSeq(section.value)) return fail(section.value, "notifications: expected a list of targets");
  // A waiting delivery names its target (notify_outbox): two targets may not share a name.
  const names = new Set<string>();
  return section.value.items.map((item, i) => {
    if (!isMap(item)) return fail(item, "a notification target is a mapping with a url");
    const get = (k: string) => item.items.find((p) => isScalar(p.key) && p.key.value === k);
    for (const p of item.items) {
      const k = isScalar(p.key) ? String(p.key.value) : "";
      if (!KEYS.includes(k)) fail(p.key, `unknown key '${k}' (known: ${KEYS.join(", ")})`);
    }
    const str = (k: string): string | undefined => {
      const p = get(k);
      if (!p) return undefined;
      if (!isScalar(p.value) || typeof p.value.value !== "string" || !p.value.value)
        return fail(p.value ?? p.key, `${k}: expected a text`);
      return p.value.value;
    };
    const list = (k: string): string[] => {
      const p = get(k);
      if (!p) return [];
      if (!isSeq(p.value)) return fail(p.value ?? p.key, `${k}: expected a list`);
      return p.value.items.map((x) =>
        isScalar(x) && typeof x.value === "string" && x.value ? x.value : fail(x, `${k}: expected texts`),
      );
    };
    const url = str("url") ?? fail(item, "a notification target needs a url");
    let host = "";
    try {
      const u = new URL(url);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
      host = u.host;
    } catch {
      fail(get("url")!.value, "url: expected an http(s) URL");
    }
    const format = str("format") ?? "json";
    if (format !== "slack" && format !== "json") fail(get("format")!.value, "format: slack or json");
    const events = list("events");
    events.forEach((ev, k) => {
      if (!(EVENT_TYPES as readonly string[]).includes(ev))
        fail(
          (get("events")!.value as { items: unknown[] }).items[k],
          `unknown event '${ev}' (known: ${EVENT_TYPES.join(", ")})`,
        );
    });
    let secret = str("secret");
    const secretEnv = str("secret-env");
    if (secret && secretEnv) fail(get("secret-env")!.key, "secret and secret-env: give one");
    if (secretEnv) {
      secret = env[secretEnv];
      if (!secret) fail(get("secret-env")!.value, `secret-env: ${secretEnv} is not set`);
    }
    if (secret && format === "slack")
      fail(
        get(secretEnv ? "secret-env" : "secret")!.key,
        "a slack target is not signed (its URL is its secret)",
      );
    const name = str("name") ?? `${host} (${i + 1})`;
    if (names.has(name)) fail(get("name")?.value ?? item, `name: '${name}' names another target too`);
    names.add(name);
    return {
      name,
      url,
      format: format as Target["format"],
      ...(secret ? { secret } : {}),
      events: events as EventType[],
      repositories: list("repositories"),
      environments: list("environments"),
    };
  });
}
