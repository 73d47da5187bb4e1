/**
 * Scripted broker conversations: the client on one side, byte literals for the broker on the other, and
 * the time moved by hand. The same scripts run on Node (test/unit/client.test.ts) and on XS
 * (test/xs/suites/client.xs.ts). This module runs on XS: no Node APIs.
 */
import { MqttClient, type SubscribeRequest } from "../../firmware/mqtt/index.js";
import type { MessageView } from "../../firmware/mqtt/client/message.js";
import type { ClientOptions } from "../../firmware/mqtt/client/options.js";

export type Step =
  /** A connection attempt must be due now: the transport opens. */
  | { open: true }
  /** No connection attempt may be due now. */
  | { noOpen: true }
  /** The client's output must be exactly these bytes (all of it is taken, as a socket would). */
  | { send: number[] }
  /** The client must have nothing to send. */
  | { sendNothing: true }
  /** The broker sends these bytes (fed `chunk` at a time, default all at once). */
  | { receive: number[]; chunk?: number }
  /** Time passes; poll() runs at the new time. */
  | { advance: number }
  /** The app does something; `log` records results for `events` to check. */
  | { app: (client: MqttClient, log: (event: string) => void, now: number) => void }
  /** The events since the last check, in order (see EVENT FORMS below). */
  | { events: string[] }
  /** The network drops the connection. */
  | { drop: true }
  /** The client must ask for its transport to be closed (the test closes it). */
  | { wantsClose: true }
  /** A check on the client's state. */
  | { check: (client: MqttClient) => string | null };

export interface Conversation {
  name: string;
  options?: Partial<ClientOptions>;
  subscribe?: SubscribeRequest[];
  steps: Step[];
}

/*
 * EVENT FORMS: "connected 0|1" (session present), "message <topic> <payload> q<qos>[ retain][ dup]",
 * "acked <id>", "subscribed <topic> <code>", "disconnected <reason hex>", "error <code>" (negative
 * ClientError, or a reason in hex), and whatever an app step logs.
 */

function text(view: MessageView): string {
  return view.topicString() + " " + view.payloadString() + " q" + view.qos + (view.retain ? " retain" : "") + (view.dup ? " dup" : "");
}

function hex(code: number): string {
  return code < 0 ? String(code) : "0x" + code.toString(16);
}

function bytesText(buf: Uint8Array, off: number, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += (i ? " " : "") + buf[off + i].toString(16).padStart(2, "0");
  return out;
}

/** Runs a conversation; returns null when every step held, else which step failed and how. */
export function runConversation(conversation: Conversation, make: (options: ClientOptions) => MqttClient = (options) => new MqttClient(options)): string | null {
  let now = 1_000_000;
  const events: string[] = [];
  const log = (event: string) => events.push(event);
  const client = make({
    clientId: "c1",
    keepalive: 60,
    random: () => 0.5,
    onConnected: (present) => log("connected " + (present ? 1 : 0)),
    onMessage: (m) => log("message " + text(m)),
    onAcked: (id) => log("acked " + id),
    onUnconfirmed: (id) => log("unconfirmed " + id),
    onSubscribed: (topic, code) => log("subscribed " + topic + " " + hex(code)),
    onDisconnected: (reason) => log("disconnected " + hex(reason)),
    onError: (code) => log("error " + hex(code)),
    ...conversation.options,
  });
  if (conversation.subscribe) client.subscribe(conversation.subscribe);
  client.start(now);
  let open = false;
  const steps = conversation.steps;
  for (let n = 0; n < steps.length; n++) {
    const step = steps[n];
    const where = "step " + (n + 1) + " (" + Object.keys(step)[0] + "): ";
    if ("open" in step) {
      client.poll(now);
      if (!client.shouldOpen(now)) return where + "no connection attempt is due";
      client.opened(now);
      open = true;
    } else if ("noOpen" in step) {
      client.poll(now);
      if (client.shouldOpen(now)) return where + "a connection attempt is due";
    } else if ("send" in step) {
      let sent = "";
      for (let guard = 0; guard < 1000; guard++) {
        const length = client.outputLength();
        if (length === 0) break;
        sent += (sent ? " " : "") + bytesText(client.outputBuffer(), client.outputOffset(), length);
        client.written(length, now);
      }
      const expected = bytesText(Uint8Array.from(step.send), 0, step.send.length);
      if (sent !== expected) return where + "sent [" + sent + "], expected [" + expected + "]";
    } else if ("sendNothing" in step) {
      const length = client.outputLength();
      if (length !== 0) return where + "would send [" + bytesText(client.outputBuffer(), client.outputOffset(), length) + "]";
    } else if ("receive" in step) {
      if (!open) return where + "no connection is open";
      const bytes = Uint8Array.from(step.receive);
      const chunk = step.chunk ?? bytes.length;
      for (let at = 0; at < bytes.length; at += chunk) {
        const length = Math.min(chunk, bytes.length - at);
        const taken = client.receive(bytes, at, length, now);
        if (taken !== length) return where + "the client took " + taken + " of " + length + " bytes";
      }
    } else if ("advance" in step) {
      now += step.advance;
      client.poll(now);
    } else if ("app" in step) {
      step.app(client, log, now);
    } else if ("events" in step) {
      const got = events.join(" | ");
      const expected = step.events.join(" | ");
      events.length = 0;
      if (got !== expected) return where + "events [" + got + "], expected [" + expected + "]";
    } else if ("drop" in step) {
      client.closed(now);
      open = false;
    } else if ("wantsClose" in step) {
      if (!client.wantsClose) return where + "the client does not ask to close its transport";
      client.closed(now);
      open = false;
    } else if ("check" in step) {
      const problem = step.check(client);
      if (problem) return where + problem;
    }
  }
  if (events.length > 0) return "unchecked events at the end: [" + events.join(" | ") + "]";
  return null;
}
