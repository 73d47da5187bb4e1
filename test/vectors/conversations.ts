/**
 * The client's flows as scripted broker conversations, byte literals both ways. Shared by Node and XS.
 * Every conversation starts with the client made with clientId "c1", keepalive 60, random() = 0.5.
 */
import type { MqttClient } from "../../firmware/mqtt/index.js";
import type { Conversation, Step } from "./conversation.js";

/** Character codes of an ASCII string, for readable literals. */
export function s(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i));
  return out;
}

/** CONNECT for "c1", keepalive 60, with these flags (0x02 clean session). */
export const CONNECT = [0x10, 14, 0, 4, ...s("MQTT"), 4, 0x02, 0, 60, 0, 2, ...s("c1")];
export const CONNECT_PERSISTENT = [0x10, 14, 0, 4, ...s("MQTT"), 4, 0x00, 0, 60, 0, 2, ...s("c1")];
export const CONNACK = [0x20, 2, 0, 0];
export const CONNACK_SESSION = [0x20, 2, 1, 0];

/** Open, CONNECT, CONNACK, connected. */
export const connected: Step[] = [{ open: true }, { send: CONNECT }, { receive: CONNACK }, { events: ["connected 0"] }];
export const connectedPersistent: Step[] = [{ open: true }, { send: CONNECT_PERSISTENT }, { receive: CONNACK }, { events: ["connected 0"] }];

export const publish = (topic: string, payload: string, qos: 0 | 1 | 2 = 0, retain = false) => ({
  app: (client: MqttClient, log: (event: string) => void) => log("publish " + client.publish(topic, payload, qos, retain)),
});

export const counters = (expected: string) => ({
  check: (client: MqttClient) => {
    const c = client.stats;
    const got = `queued ${c.queued} sent ${c.sent} acked ${c.acked} dropped ${c.dropped} resent ${c.resent}`;
    return got === expected ? null : `counters [${got}], expected [${expected}]`;
  },
});

export const conversations: Conversation[] = [
  {
    name: "connects: CONNECT first, then CONNACK reports no session",
    steps: [...connected, { sendNothing: true }],
  },
  {
    name: "connects with will, username and password, persistent session",
    options: { clean: false, username: "u", password: "pw", will: { topic: "s", payload: "off", qos: 1, retain: true } },
    steps: [
      { open: true },
      { send: [0x10, 29, 0, 4, ...s("MQTT"), 4, 0xec, 0, 60, 0, 2, ...s("c1"), 0, 1, ...s("s"), 0, 3, ...s("off"), 0, 1, ...s("u"), 0, 2, ...s("pw")] },
      { receive: CONNACK_SESSION },
      { events: ["connected 1"] },
    ],
  },
  {
    name: "publishes QoS 0: sent once, nothing kept",
    steps: [...connected, publish("t", "hi"), { events: ["publish 0"] }, { send: [0x30, 5, 0, 1, ...s("t"), ...s("hi")] }, counters("queued 1 sent 1 acked 0 dropped 0 resent 0"), { check: (c) => (c.queuedCount() === 0 ? null : "the outbox still holds it") }],
  },
  {
    name: "publishes QoS 1 retained: kept until PUBACK, then acked",
    steps: [
      ...connected,
      publish("t", "hi", 1, true),
      { events: ["publish 1"] },
      { send: [0x33, 7, 0, 1, ...s("t"), 0, 1, ...s("hi")] },
      { check: (c) => (c.queuedCount() === 1 ? null : "not kept for its ack") },
      { receive: [0x40, 2, 0, 1] },
      { events: ["acked 1"] },
      counters("queued 1 sent 1 acked 1 dropped 0 resent 0"),
    ],
  },
  {
    name: "publishes QoS 2: PUBREC answered with PUBREL, PUBCOMP completes it",
    steps: [
      ...connected,
      publish("t", "hi", 2),
      { events: ["publish 1"] },
      { send: [0x34, 7, 0, 1, ...s("t"), 0, 1, ...s("hi")] },
      { receive: [0x50, 2, 0, 1] },
      { send: [0x62, 2, 0, 1] },
      { events: [] },
      { receive: [0x70, 2, 0, 1] },
      { events: ["acked 1"] },
      { sendNothing: true },
    ],
  },
  {
    name: "keeps at most `inflight` QoS 1 publishes unacknowledged and queues the rest in order",
    options: { inflight: 2 },
    steps: [
      ...connected,
      publish("t", "a", 1),
      publish("t", "b", 1),
      publish("t", "c", 1),
      { events: ["publish 1", "publish 2", "publish 3"] },
      { send: [0x32, 6, 0, 1, ...s("t"), 0, 1, ...s("a"), 0x32, 6, 0, 1, ...s("t"), 0, 2, ...s("b")] },
      { sendNothing: true },
      { receive: [0x40, 2, 0, 2] },
      { events: ["acked 2"] },
      { send: [0x32, 6, 0, 1, ...s("t"), 0, 3, ...s("c")] },
    ],
  },
  {
    name: "subscribes to several filters in one SUBSCRIBE and reports a 0x80 failure per filter",
    subscribe: [{ topic: "a/+", qos: 1 }, { topic: "b/#", qos: 2 }, { topic: "secret", qos: 0 }],
    steps: [
      ...connected,
      { send: [0x82, 23, 0, 1, 0, 3, ...s("a/+"), 1, 0, 3, ...s("b/#"), 2, 0, 6, ...s("secret"), 0] },
      { receive: [0x90, 5, 0, 1, 1, 2, 0x80] },
      { events: ["subscribed a/+ 0x1", "subscribed b/# 0x2", "subscribed secret 0x80"] },
    ],
  },
  {
    name: "receives QoS 0, 1 and 2: delivers each once, PUBACK after delivery, PUBREC then PUBCOMP",
    steps: [
      ...connected,
      { receive: [0x30, 5, 0, 1, ...s("t"), ...s("q0")] },
      { events: ["message t q0 q0"] },
      { sendNothing: true },
      { receive: [0x32, 7, 0, 1, ...s("t"), 0, 5, ...s("q1")] },
      { events: ["message t q1 q1"] },
      { send: [0x40, 2, 0, 5] },
      { receive: [0x35, 7, 0, 1, ...s("t"), 0, 6, ...s("q2")] },
      { events: ["message t q2 q2 retain"] },
      { send: [0x50, 2, 0, 6] },
      // The broker did not see our PUBREC and sends the PUBLISH again with DUP: not delivered twice.
      { receive: [0x3c, 7, 0, 1, ...s("t"), 0, 6, ...s("q2")] },
      { events: [] },
      { send: [0x50, 2, 0, 6] },
      { receive: [0x62, 2, 0, 6] },
      { send: [0x70, 2, 0, 6] },
      // After PUBREL the id is free again: a new message with it is a new message.
      { receive: [0x34, 7, 0, 1, ...s("t"), 0, 6, ...s("q3")] },
      { events: ["message t q3 q2"] },
      { send: [0x50, 2, 0, 6] },
    ],
  },
  {
    name: "dispatches to the matching subscription's handler, else to onMessage",
    subscribe: [{ topic: "cmd/+", qos: 0, onMessage: (m) => void (m.payloadByte(0) === 0x21 ? 0 : 0) }],
    steps: [
      { app: (c, log) => c.subscribe([{ topic: "cmd/#", onMessage: (m) => log("cmd handler " + m.topicString()) }]) },
      { app: (c) => c.unsubscribe(["cmd/+"]) },
      ...connected,
      { send: [0x82, 10, 0, 1, 0, 5, ...s("cmd/#"), 0] },
      { receive: [0x90, 3, 0, 1, 0] },
      { events: ["subscribed cmd/# 0x0"] },
      { receive: [0x30, 8, 0, 5, ...s("cmd/x"), ...s("!")] },
      { receive: [0x30, 6, 0, 3, ...s("tel"), ...s("!")] },
      { events: ["cmd handler cmd/x", "message tel ! q0"] },
    ],
  },
  {
    name: "decodes packets that arrive one byte at a time",
    steps: [
      { open: true },
      { send: CONNECT },
      { receive: CONNACK, chunk: 1 },
      { events: ["connected 0"] },
      { receive: [0x32, 7, 0, 1, ...s("t"), 0, 9, ...s("hi"), 0xd0, 0], chunk: 1 },
      { events: ["message t hi q1"] },
      { send: [0x40, 2, 0, 9] },
    ],
  },
  {
    name: "keepalive: PINGREQ after a keepalive interval with nothing sent, PINGRESP clears it",
    steps: [
      ...connected,
      { advance: 59_999 },
      { sendNothing: true },
      { advance: 1 },
      { send: [0xc0, 0] },
      { advance: 1000 },
      { receive: [0xd0, 0] },
      { advance: 58_999 }, // the interval runs from the PINGREQ, the last thing sent
      { sendNothing: true },
      { advance: 1 },
      { send: [0xc0, 0] },
    ],
  },
  {
    name: "keepalive: PINGREQ when nothing was sent for a keepalive period; a publish restarts that count",
    steps: [
      ...connected,
      { advance: 50_000 },
      publish("t", "x"),
      { events: ["publish 0"] },
      { send: [0x30, 4, 0, 1, ...s("t"), ...s("x")] },
      { receive: [0xd0, 0] }, // anything from the broker restarts the other count
      { advance: 59_999 },
      { sendNothing: true },
      { advance: 1 },
      { send: [0xc0, 0] },
    ],
  },
  {
    name: "keepalive: no PINGRESP within pingTimeout declares the connection dead",
    options: { pingTimeout: 5000 },
    steps: [
      ...connected,
      { advance: 60_000 },
      { send: [0xc0, 0] },
      { advance: 4999 },
      { events: [] },
      { advance: 1 },
      { events: ["disconnected 0x8d"] },
      { wantsClose: true },
    ],
  },
  {
    name: "no CONNACK within connectTimeout: disconnected, and the next attempt waits for the backoff",
    options: { connectTimeout: 5000, reconnectPeriod: 1000 },
    steps: [
      { open: true },
      { send: CONNECT },
      { advance: 5000 },
      { events: ["disconnected 0x101"] },
      { wantsClose: true },
      { advance: 499 }, // random() = 0.5: the first delay is 1000/2 + 0.5 * 1000/2 = 750
      { noOpen: true },
      { advance: 251 },
      { open: true },
      { send: CONNECT },
    ],
  },
  {
    name: "reconnect backoff doubles with each failure, is capped, and resets after a stable connection",
    options: { reconnectPeriod: 1000, reconnectPeriodMax: 4000, stableAfter: 10_000 },
    steps: [
      { open: true },
      { drop: true }, // attempt fails: delay 750 (d = 1000)
      { advance: 749 },
      { noOpen: true },
      { advance: 1 },
      { open: true },
      { drop: true }, // d = 2000: 1500
      { advance: 1499 },
      { noOpen: true },
      { advance: 1 },
      { open: true },
      { drop: true }, // d = 4000: 3000
      { advance: 2999 },
      { noOpen: true },
      { advance: 1 },
      { open: true },
      { drop: true }, // d capped at 4000: 3000
      { advance: 3000 },
      { open: true },
      { send: CONNECT },
      { receive: CONNACK },
      { advance: 10_000 }, // stable
      { drop: true },
      { advance: 750 }, // back to the first delay
      { open: true },
      { events: ["disconnected 0x100", "disconnected 0x100", "disconnected 0x100", "disconnected 0x100", "connected 0", "disconnected 0x100"] },
    ],
  },
  {
    name: "CONNACK refusals become clear events; bad credentials wait reconnectPeriodMax, not a tight loop",
    options: { reconnectPeriod: 1000, reconnectPeriodMax: 60_000, username: "u", password: "bad" },
    steps: [
      { open: true },
      { send: [0x10, 22, 0, 4, ...s("MQTT"), 4, 0xc2, 0, 60, 0, 2, ...s("c1"), 0, 1, ...s("u"), 0, 3, ...s("bad")] },
      { receive: [0x20, 2, 0, 4] },
      { events: ["error 0x86", "disconnected 0x86"] },
      { wantsClose: true },
      { advance: 59_999 },
      { noOpen: true },
      { advance: 1 },
      { open: true },
      { send: [0x10, 22, 0, 4, ...s("MQTT"), 4, 0xc2, 0, 60, 0, 2, ...s("c1"), 0, 1, ...s("u"), 0, 3, ...s("bad")] },
      { receive: [0x20, 2, 0, 5] },
      { events: ["error 0x87", "disconnected 0x87"] },
      { wantsClose: true },
    ],
  },
  {
    name: "CONNACK refusals: protocol version, identifier, server unavailable",
    steps: [
      { open: true },
      { send: CONNECT },
      { receive: [0x20, 2, 0, 1] },
      { events: ["error 0x84", "disconnected 0x84"] },
      { wantsClose: true },
      { advance: 60_000 },
      { open: true },
      { send: CONNECT },
      { receive: [0x20, 2, 0, 2] },
      { events: ["error 0x85", "disconnected 0x85"] },
      { wantsClose: true },
      { advance: 60_000 },
      { open: true },
      { send: CONNECT },
      { receive: [0x20, 2, 0, 3] },
      { events: ["error 0x88", "disconnected 0x88"] },
      { wantsClose: true },
    ],
  },
  {
    name: "session resumed: PUBRELs again (PUBREC order), then unacked PUBLISH with DUP and their ids in order, then new messages",
    options: { clean: false },
    steps: [
      ...connectedPersistent,
      publish("t", "a", 1),
      publish("t", "b", 2),
      publish("t", "c", 2),
      { events: ["publish 1", "publish 2", "publish 3"] },
      { send: [0x32, 6, 0, 1, ...s("t"), 0, 1, ...s("a"), 0x34, 6, 0, 1, ...s("t"), 0, 2, ...s("b"), 0x34, 6, 0, 1, ...s("t"), 0, 3, ...s("c")] },
      { receive: [0x50, 2, 0, 2] }, // b reaches PUBREC
      { send: [0x62, 2, 0, 2] },
      { drop: true },
      { events: ["disconnected 0x100"] },
      publish("t", "d", 1), // made while offline: after the resends
      { events: ["publish 4"] },
      { advance: 750 },
      { open: true },
      { send: CONNECT_PERSISTENT },
      { receive: CONNACK_SESSION },
      { events: ["connected 1"] },
      { send: [0x62, 2, 0, 2, 0x3a, 6, 0, 1, ...s("t"), 0, 1, ...s("a"), 0x3c, 6, 0, 1, ...s("t"), 0, 3, ...s("c"), 0x32, 6, 0, 1, ...s("t"), 0, 4, ...s("d")] },
      counters("queued 4 sent 4 acked 0 dropped 0 resent 3"),
      { receive: [0x40, 2, 0, 1, 0x70, 2, 0, 2, 0x50, 2, 0, 3, 0x40, 2, 0, 4] },
      { events: ["acked 1", "acked 2", "acked 4"] },
      { send: [0x62, 2, 0, 3] },
      { receive: [0x70, 2, 0, 3] },
      { events: ["acked 3"] },
    ],
  },
  {
    name: "session not present after reconnect: subscriptions re-sent, unacked QoS 1 goes out as new",
    options: { clean: false },
    subscribe: [{ topic: "cmd/#", qos: 1 }],
    steps: [
      ...connectedPersistent,
      { send: [0x82, 10, 0, 1, 0, 5, ...s("cmd/#"), 1] },
      { receive: [0x90, 3, 0, 1, 1] },
      { events: ["subscribed cmd/# 0x1"] },
      publish("t", "a", 1),
      { events: ["publish 2"] },
      { send: [0x32, 6, 0, 1, ...s("t"), 0, 2, ...s("a")] },
      { drop: true },
      { events: ["disconnected 0x100"] },
      { advance: 750 },
      { open: true },
      { send: CONNECT_PERSISTENT },
      { receive: CONNACK },
      { events: ["connected 0"] },
      { send: [0x82, 10, 0, 3, 0, 5, ...s("cmd/#"), 1, 0x32, 6, 0, 1, ...s("t"), 0, 2, ...s("a")] },
      counters("queued 1 sent 2 acked 0 dropped 0 resent 0"),
    ],
  },
  {
    name: "nothing is resent while a connection stays up",
    options: { ackTimeout: 0 },
    steps: [
      ...connected,
      publish("t", "a", 1),
      { events: ["publish 1"] },
      { send: [0x32, 6, 0, 1, ...s("t"), 0, 1, ...s("a")] },
      { advance: 30_000 },
      { sendNothing: true },
      { advance: 30_000 },
      { send: [0xc0, 0] }, // only the keepalive
      { receive: [0xd0, 0] },
      { advance: 30_000 },
      { sendNothing: true },
    ],
  },
  {
    name: "offline queue: publishes made before connecting go out in order once connected",
    steps: [
      publish("t", "a", 0),
      publish("t", "b", 1),
      { events: ["publish 0", "publish 1"] },
      { sendNothing: true },
      ...connected,
      { send: [0x30, 4, 0, 1, ...s("t"), ...s("a"), 0x32, 6, 0, 1, ...s("t"), 0, 1, ...s("b")] },
    ],
  },
  {
    name: "offline queue policy reject: a full outbox refuses the publish",
    options: { queueSlots: 2, queuePolicy: "reject" },
    steps: [publish("t", "a"), publish("t", "b"), publish("t", "c"), { events: ["publish 0", "publish 0", "publish -100"] }, counters("queued 2 sent 0 acked 0 dropped 0 resent 0")],
  },
  {
    name: "offline queue policy drop-newest: the new message is dropped and counted",
    options: { queueSlots: 2, queuePolicy: "drop-newest" },
    steps: [
      publish("t", "a"),
      publish("t", "b"),
      publish("t", "c"),
      { events: ["publish 0", "publish 0", "publish -101"] },
      counters("queued 2 sent 0 acked 0 dropped 1 resent 0"),
      ...connected,
      { send: [0x30, 4, 0, 1, ...s("t"), ...s("a"), 0x30, 4, 0, 1, ...s("t"), ...s("b")] },
    ],
  },
  {
    name: "offline queue policy drop-oldest: the oldest queued message makes room",
    options: { queueSlots: 2, queuePolicy: "drop-oldest" },
    steps: [
      publish("t", "a"),
      publish("t", "b"),
      publish("t", "c"),
      { events: ["publish 0", "publish 0", "error -102", "publish 0"] },
      counters("queued 3 sent 0 acked 0 dropped 1 resent 0"),
      ...connected,
      { send: [0x30, 4, 0, 1, ...s("t"), ...s("b"), 0x30, 4, 0, 1, ...s("t"), ...s("c")] },
    ],
  },
  {
    name: "a byte budget: transmitBufferSize bounds the queue as well as queueSlots",
    options: { transmitBufferSize: 20, queuePolicy: "reject" },
    steps: [publish("t", "0123456789"), publish("t", "0123456789"), { events: ["publish 0", "publish -100"] }],
  },
  {
    name: "invalid app input is refused at the call with a code",
    steps: [
      publish("a/+", "x"),
      publish("", "x"),
      publish("a\u0000b", "x"),
      { app: (c, log) => log("qos " + c.publish("t", "x", 3 as 0)) },
      { app: (c, log) => log("range " + c.publish("t", new Uint8Array(4), 0, false, 2, 3)) },
      { app: (c, log) => log("too large " + c.publish("t", new Uint8Array(5000))) },
      { events: ["publish -103", "publish -103", "publish -103", "qos -104", "range -109", "too large -105"] },
    ],
  },
  {
    name: "a malformed packet closes the connection with 0x81 and the client reconnects",
    steps: [
      ...connected,
      { receive: [0x32, 5, 0, 1, ...s("t"), 0, 0] }, // QoS 1 with packet id 0
      { events: ["error 0x81", "disconnected 0x81"] },
      { wantsClose: true },
      { advance: 750 },
      { open: true },
      { send: CONNECT },
    ],
  },
  {
    name: "a packet other than PUBLISH over maxPacketSize closes the connection with 0x95 from its header",
    options: { maxPacketSize: 64, receiveBufferSize: 64 },
    steps: [...connected, { receive: [0x90, 0xc8, 0x01] }, { events: ["error 0x95", "disconnected 0x95"] }, { wantsClose: true }],
  },
  {
    name: "a second CONNACK is a protocol error (0x82)",
    steps: [...connected, { receive: CONNACK }, { events: ["error 0x82", "disconnected 0x82"] }, { wantsClose: true }],
  },
  {
    name: "a packet before CONNACK is a protocol error",
    steps: [{ open: true }, { send: CONNECT }, { receive: [0xd0, 0] }, { events: ["error 0x82", "disconnected 0x82"] }, { wantsClose: true }],
  },
  {
    name: "acks for unknown packet ids are protocol errors",
    steps: [...connected, { receive: [0x40, 2, 0, 7] }, { events: ["error 0x82", "disconnected 0x82"] }, { wantsClose: true }],
  },
  {
    name: "PUBREL for an id no longer held is answered with PUBCOMP (our PUBCOMP was lost)",
    steps: [...connected, { receive: [0x62, 2, 0, 9] }, { send: [0x70, 2, 0, 9] }, { events: [] }],
  },
  {
    name: "a SUBACK with the wrong number of return codes is a protocol error",
    subscribe: [{ topic: "a" }, { topic: "b" }],
    steps: [...connected, { send: [0x82, 10, 0, 1, 0, 1, ...s("a"), 0, 0, 1, ...s("b"), 0] }, { receive: [0x90, 3, 0, 1, 0] }, { events: ["error 0x82", "disconnected 0x82"] }, { wantsClose: true }],
  },
  {
    name: "a handler that throws is reported and the client carries on",
    subscribe: [{ topic: "t", onMessage: () => { throw new Error("app bug"); } }],
    steps: [
      ...connected,
      { send: [0x82, 6, 0, 1, 0, 1, ...s("t"), 0] },
      { receive: [0x90, 3, 0, 1, 0] },
      { events: ["subscribed t 0x0"] },
      { receive: [0x32, 6, 0, 1, ...s("t"), 0, 2, ...s("x")] },
      { events: ["error -108"] },
      { send: [0x40, 2, 0, 2] },
    ],
  },
  {
    name: "publishes with a topic handle and part of a payload array",
    steps: [
      ...connected,
      { app: (c, log) => log("publish " + c.publish(c.topic("t/h"), Uint8Array.of(1, 2, 3, 4, 5), 1, false, 1, 3)) },
      { events: ["publish 1"] },
      { send: [0x32, 10, 0, 3, ...s("t/h"), 0, 1, 2, 3, 4] },
    ],
  },
  {
    name: "packets wait in the receive buffer while the control buffer is full, and go on once it drains",
    options: { controlBufferSize: 16 }, // the CONNECT's size: four acks at a time
    steps: [
      ...connected,
      {
        receive: [
          0x32, 6, 0, 1, ...s("t"), 0, 1, ...s("a"), 0x32, 6, 0, 1, ...s("t"), 0, 2, ...s("b"),
          0x32, 6, 0, 1, ...s("t"), 0, 3, ...s("c"), 0x32, 6, 0, 1, ...s("t"), 0, 4, ...s("d"),
          0x32, 6, 0, 1, ...s("t"), 0, 5, ...s("e"), 0x32, 6, 0, 1, ...s("t"), 0, 6, ...s("f"),
        ],
      },
      // Six PUBACKs do not fit: as each drains, the next waiting PUBLISH is handled.
      { send: [0x40, 2, 0, 1, 0x40, 2, 0, 2, 0x40, 2, 0, 3, 0x40, 2, 0, 4, 0x40, 2, 0, 5, 0x40, 2, 0, 6] },
      { events: ["message t a q1", "message t b q1", "message t c q1", "message t d q1", "message t e q1", "message t f q1"] },
    ],
  },
  {
    name: "inbound QoS 2 beyond any table: 100 in flight, none released, each PUBRECed and delivered once, in order [MQTT-4.3.3-2]",
    options: { clean: false },
    steps: [
      ...connectedPersistent,
      { receive: Array.from({ length: 100 }, (_, k) => [0x34, 6, 0, 1, ...s("t"), (k + 1) >> 8, (k + 1) & 0xff, 0x61 + (k % 26)]).flat() },
      // 64 PUBRECs fill the ack queue: the rest wait in the receive buffer, in order, until the transport takes some.
      { events: Array.from({ length: 64 }, (_, k) => "message t " + String.fromCharCode(0x61 + (k % 26)) + " q2") },
      { send: Array.from({ length: 100 }, (_, k) => [0x50, 2, (k + 1) >> 8, (k + 1) & 0xff]).flat() },
      { events: Array.from({ length: 36 }, (_, k) => "message t " + String.fromCharCode(0x61 + ((k + 64) % 26)) + " q2") },
      // A resend of one of them (DUP) is acknowledged again and not delivered again.
      { receive: [0x3c, 6, 0, 1, ...s("t"), 0, 50, 0x78] },
      { events: [] },
      { send: [0x50, 2, 0, 50] },
      { receive: [0x62, 2, 0, 50] },
      { send: [0x70, 2, 0, 50] },
    ],
  },
  {
    name: "the message view compares and copies without strings",
    subscribe: [
      {
        topic: "a/#",
        onMessage: (m) => {
          const copy = new Uint8Array(8);
          const n = m.copyPayload(copy, 1);
          const t = new Uint8Array(3);
          m.copyTopic(t);
          if (!m.topicIs("a/b") || m.topicIs("a/bc") || m.topicIs("a/") || !m.topicEquals(Uint8Array.of(0x61, 0x2f, 0x62))) throw new Error("topic compare");
          if (!m.matches(Uint8Array.of(0x2b, 0x2f, 0x62)) || m.payloadByte(1) !== 0x79 || n !== 2 || copy[2] !== 0x79 || t[2] !== 0x62) throw new Error("view helpers");
          // An offset that is not a whole number within the target: InvalidArgument (-109), nothing copied.
          if (m.copyPayload(copy, 9) !== -109 || m.copyPayload(copy, -1) !== -109 || m.copyPayload(copy, 1.5) !== -109 || m.copyTopic(null as never) !== -109 || m.copyPayload(copy, 8) !== 0) throw new Error("copy arguments");
        },
      },
    ],
    steps: [...connected, { send: [0x82, 8, 0, 1, 0, 3, ...s("a/#"), 0] }, { receive: [0x90, 3, 0, 1, 0] }, { events: ["subscribed a/# 0x0"] }, { receive: [0x30, 7, 0, 3, ...s("a/b"), ...s("xy")] }, { events: [] }],
  },
  {
    name: "end(): DISCONNECT, then the transport closes and no reconnect follows",
    steps: [...connected, { app: (c, _log, now) => c.end(now) }, { send: [0xe0, 0] }, { events: ["disconnected 0x0"] }, { wantsClose: true }, { advance: 120_000 }, { noOpen: true }],
  },
];
