// The bodies and headers a notification is sent with: Slack's incoming-webhook JSON, or
// Slipway's own JSON signed with HMAC-SHA256 as GitHub signs its webhooks (the receiver
// computes the same digest over the raw body with the shared secret and compares).
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Target } from "./config.js";
import { type NotifyEvent, summary } from "./events.js";

export const SIGNATURE_HEADER = "x-slipway-signature-256";
export const EVENT_HEADER = "x-slipway-event";
export const DELIVERY_HEADER = "x-slipway-delivery";

export function sign(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Whether `header` is the signature of `body` with `secret` (for receivers; constant time). */
export function verifySignature(body: string | Buffer, secret: string, header: string | undefined): boolean {
  if (!header) return false;
  const want = Buffer.from(sign(body.toString(), secret));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

export function body(target: Target, event: NotifyEvent, delivery: string, at: number): string {
  if (target.format === "slack") {
    const text = summary(event);
    return JSON.stringify({ text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] });
  }
  const { type, ...rest } = event;
  return JSON.stringify({ event: type, delivery, timestamp: new Date(at).toISOString(), ...rest });
}

export function headers(
  target: Target,
  event: NotifyEvent,
  delivery: string,
  text: string,
): Record<string, string> {
  const h: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "Slipway-Notify/1",
  };
  if (target.format === "json") {
    h[EVENT_HEADER] = event.type;
    h[DELIVERY_HEADER] = delivery;
    if (target.secret) h[SIGNATURE_HEADER] = sign(text, target.secret);
  }
  return h;
}
