/**
 * The defects of the client issue, one scripted broker conversation each (byte literals both ways), named
 * by the defect they pin. Each failed on the client before its fix (the closing note says how); they run
 * on Node (test/unit/client.test.ts) and on XS (test/xs/suites/client.xs.ts). This module runs on XS.
 */
import type { MqttClient } from "../../firmware/mqtt/index.js";
import type { Conversation, Step } from "./conversation.js";
import { CONNACK, CONNACK_SESSION, CONNECT_PERSISTENT, connected, connectedPersistent, publish, s } from "./conversations.js";

/** PUBLISH from the client to "t", payload one letter. */
const pub = (qos: 1 | 2, id: number, letter: string, dup = false) => [0x30 | (dup ? 8 : 0) | (qos << 1), 6, 0, 1, ...s("t"), id >> 8, id & 0xff, ...s(letter)];
const ack = (first: number, id: number) => [first, 2, id >> 8, id & 0xff];
const LETTERS = "abcdefghijklmnopqrstuvwxyz";
const reconnectPersistent: Step[] = [{ advance: 750 }, { open: true }, { send: CONNECT_PERSISTENT }];

/** Logs a summary of calls: "<label> <results joined by ,>". */
const calls = (label: string, f: (c: MqttClient) => number[]) => ({ app: (c: MqttClient, log: (event: string) => void) => log(label + " " + f(c).join(",")) });
/** Logs the ClientError code a set-up call threw, or "ok". */
const thrown = (label: string, f: (c: MqttClient) => void) => ({
  app: (c: MqttClient, log: (event: string) => void) => {
    try {
      f(c);
      log(label + " ok");
    } catch (error) {
      log(label + " threw " + String((error as { code?: number }).code));
    }
  },
});
const check = (what: string, f: (c: MqttClient) => unknown, expected: unknown) => ({ check: (c: MqttClient) => (f(c) === expected ? null : `${what}: ${String(f(c))}, expected ${String(expected)}`) });

const KA2 = [0x10, 14, 0, 4, ...s("MQTT"), 4, 0x02, 0, 2, 0, 2, ...s("c1")];

/**
 * D8: the broker has 40 QoS 2 messages in flight to us at once (mosquitto resends all it holds after a
 * reconnect): each is delivered in the broker's order and PUBRECed at once, then completed.
 */
function inboundQoS2Burst(n: number): Step[] {
  const payload = (k: number) => String(k).padStart(2, "0");
  const publishes: number[] = [];
  const pubrecs: number[] = [];
  const pubrels: number[] = [];
  const pubcomps: number[] = [];
  for (let k = 1; k <= n; k++) {
    publishes.push(0x34, 7, 0, 1, ...s("t"), k >> 8, k & 0xff, ...s(payload(k)));
    pubrecs.push(...ack(0x50, k));
    pubrels.push(...ack(0x62, k));
    pubcomps.push(...ack(0x70, k));
  }
  const delivered = Array.from({ length: n }, (_, i) => `message t ${payload(i + 1)} q2`);
  return [...connectedPersistent, { receive: publishes }, { events: delivered }, { send: pubrecs }, { receive: pubrels }, { send: pubcomps }];
}

/** D7: QoS 0 every 300 ms into a broker that went silent, keepalive 2 s. */
function frozenBroker(): Step[] {
  const steps: Step[] = [{ open: true }, { send: KA2 }, { receive: CONNACK }, { events: ["connected 0"] }];
  for (let k = 0; k < 7; k++) steps.push(publish("t", "x"), { events: ["publish 0"] }, { send: [0x30, 4, 0, 1, ...s("t"), ...s("x")] }, { advance: 300 });
  // 2,100 ms without a byte from the broker: PINGREQ, although publishes kept going out.
  steps.push({ send: [0xc0, 0] });
  for (let k = 0; k < 3; k++) steps.push(publish("t", "x"), { events: ["publish 0"] }, { send: [0x30, 4, 0, 1, ...s("t"), ...s("x")] }, { advance: 300 });
  // No PINGRESP within pingTimeout (1,000 ms after 2,100): dead at 3,100 ms, 10 publishes lost with it at most.
  steps.push({ advance: 100 }, { events: ["disconnected 0x8d"] }, { wantsClose: true });
  return steps;
}

export const defects: Conversation[] = [
  {
    name: "D1: drop-oldest with 2 in flight after a drop drops the oldest queued message only, and takes the new one",
    options: { queueSlots: 8, inflight: 2, queuePolicy: "drop-oldest", clean: false },
    steps: [
      ...connectedPersistent,
      calls("publish", (c) => [...LETTERS.slice(0, 8)].map((l) => c.publish("t", l, 1))),
      { events: ["publish 1,2,3,4,5,6,7,8"] },
      { send: [...pub(1, 1, "a"), ...pub(1, 2, "b")] }, // the window: 2
      { drop: true },
      { events: ["disconnected 0x100"] },
      calls("ninth", (c) => [c.publish("t", "i", 1)]),
      { events: ["error -102", "ninth 9"] }, // c (id 3) dropped: one, not all six
      check("queuedCount", (c) => c.queuedCount(), 8),
      ...reconnectPersistent,
      { receive: CONNACK_SESSION },
      { events: ["connected 1"] },
      { send: [...pub(1, 1, "a", true), ...pub(1, 2, "b", true)] },
      { receive: [...ack(0x40, 1), ...ack(0x40, 2)] },
      { events: ["acked 1", "acked 2"] },
      { send: [...pub(1, 4, "d"), ...pub(1, 5, "e")] },
    ],
  },
  {
    name: "D1: capacity counts live messages: one unfinished QoS 2 at the head leaves room for 15 more in 16 slots",
    options: { queueSlots: 16, inflight: 16 },
    steps: [
      ...connected,
      calls("accepted", (c) => [Array.from({ length: 16 }, () => c.publish("t", "a", 2)).filter((r) => r > 0).length]),
      { events: ["accepted 16"] },
      { send: Array.from({ length: 16 }, (_, k) => pub(2, k + 1, "a")).flat() },
      { receive: Array.from({ length: 16 }, (_, k) => ack(0x50, k + 1)).flat() },
      { send: Array.from({ length: 16 }, (_, k) => ack(0x62, k + 1)).flat() },
      { receive: Array.from({ length: 15 }, (_, k) => ack(0x70, k + 2)).flat() }, // all but the first complete
      { events: Array.from({ length: 15 }, (_, k) => "acked " + (k + 2)) },
      calls("accepted", (c) => [Array.from({ length: 15 }, () => c.publish("t", "b", 1)).filter((r) => r > 0).length]),
      { events: ["accepted 15"] },
      check("queuedCount", (c) => c.queuedCount(), 16),
    ],
  },
  {
    name: "D2: NaN, fractional and out-of-range numbers in publish() are refused with InvalidArgument, nothing queued",
    steps: [
      calls("refused", (c) => {
        const b = new Uint8Array(4);
        return [
          c.publish("t", b, 0, false, NaN),
          c.publish("t", b, 0, false, 0, NaN),
          c.publish("t", b, 1, false, 1.5),
          c.publish("t", b, 2, false, 0, 2.5),
          c.publish("t", b, 0, false, -1),
          c.publish("t", b, 0, false, 2, 3),
          c.publish("t", b, 0, false, 5),
          c.publish("t", b, 0, "yes" as never),
          c.publish("t", "text", 0, false, 1),
          c.publish("t", b, 1.5 as never),
        ];
      }),
      { events: ["refused -109,-109,-109,-109,-109,-109,-109,-109,-109,-104"] },
      check("queuedCount", (c) => c.queuedCount(), 0),
      check("stats.published", (c) => c.stats.published, 0),
    ],
  },
  {
    name: "D3: a PUBLISH over maxPacketSize is skipped across reads, acknowledged, reported, and the connection kept",
    options: { receiveBufferSize: 64, maxPacketSize: 64, clean: false },
    steps: [
      ...connectedPersistent,
      // QoS 1, 200-byte payload (remaining length 205), fed 7 bytes at a time.
      { receive: [0x32, 0xcd, 0x01, 0, 1, ...s("t"), 0, 7, ...Array.from({ length: 200 }, () => 0x78)], chunk: 7 },
      { events: ["error -111"] },
      { send: ack(0x40, 7) },
      // QoS 2: PUBREC; its resend is acknowledged again and not reported again; PUBREL releases it.
      { receive: [0x34, 0xcd, 0x01, 0, 1, ...s("t"), 0, 8, ...Array.from({ length: 200 }, () => 0x79)], chunk: 50 },
      { events: ["error -111"] },
      { send: ack(0x50, 8) },
      { receive: [0x3c, 0xcd, 0x01, 0, 1, ...s("t"), 0, 8, ...Array.from({ length: 200 }, () => 0x79)] },
      { events: [] },
      { send: ack(0x50, 8) },
      { receive: ack(0x62, 8) },
      { send: ack(0x70, 8) },
      // The connection is up: the next message arrives.
      { receive: [0x30, 4, 0, 1, ...s("t"), ...s("k")] },
      { events: ["message t k q0"] },
      check("stats.oversized", (c) => c.stats.oversized, 2),
    ],
  },
  {
    name: "D4: a lost session: QoS 2 past PUBREC is unconfirmed, never acked; one without PUBREC goes again as new",
    options: { clean: false },
    steps: [
      ...connectedPersistent,
      publish("t", "a", 2),
      publish("t", "b", 2),
      { events: ["publish 1", "publish 2"] },
      { send: [...pub(2, 1, "a"), ...pub(2, 2, "b")] },
      { receive: ack(0x50, 1) },
      { send: ack(0x62, 1) },
      { drop: true },
      { events: ["disconnected 0x100"] },
      ...reconnectPersistent,
      { receive: CONNACK }, // the broker lost the session
      { events: ["unconfirmed 1", "connected 0"] },
      { send: pub(2, 2, "b") }, // DUP 0: a new message in the new session
      check("stats.unconfirmed", (c) => c.stats.unconfirmed, 1),
      check("stats.acked", (c) => c.stats.acked, 0),
    ],
  },
  {
    name: "D4: resendOnNewSession false: everything the lost session held is unconfirmed, nothing sent again",
    options: { clean: false, resendOnNewSession: false },
    steps: [
      ...connectedPersistent,
      publish("t", "a", 2),
      publish("t", "b", 1),
      { events: ["publish 1", "publish 2"] },
      { send: [...pub(2, 1, "a"), ...pub(1, 2, "b")] },
      { receive: ack(0x50, 1) },
      { send: ack(0x62, 1) },
      { drop: true },
      { events: ["disconnected 0x100"] },
      ...reconnectPersistent,
      { receive: CONNACK },
      { events: ["unconfirmed 1", "unconfirmed 2", "connected 0"] },
      { sendNothing: true },
    ],
  },
  {
    name: "D5: subscribe() to a filter whose SUBACK is pending: both SUBACKs are taken, by packet id",
    steps: [
      ...connected,
      thrown("subscribe", (c) => c.subscribe([{ topic: "a", qos: 1 }])),
      { events: ["subscribe ok"] },
      { send: [0x82, 6, 0, 1, 0, 1, ...s("a"), 1] },
      thrown("subscribe", (c) => c.subscribe([{ topic: "a", qos: 2 }])),
      { events: ["subscribe ok"] },
      { send: [0x82, 6, 0, 2, 0, 1, ...s("a"), 2] },
      { receive: [0x90, 3, 0, 1, 1] },
      { events: ["subscribed a 0x1"] },
      { receive: [0x90, 3, 0, 2, 2] },
      { events: ["subscribed a 0x2"] },
      check("connected", (c) => c.state, 4),
    ],
  },
  {
    name: "D5: unsubscribe() then subscribe() before the UNSUBACK: the UNSUBACK and the new SUBACK are both taken",
    steps: [
      ...connected,
      thrown("subscribe", (c) => c.subscribe([{ topic: "a", qos: 1 }])),
      { send: [0x82, 6, 0, 1, 0, 1, ...s("a"), 1] },
      { receive: [0x90, 3, 0, 1, 1] },
      thrown("unsubscribe", (c) => c.unsubscribe(["a"])),
      { send: [0xa2, 5, 0, 2, 0, 1, ...s("a")] },
      thrown("subscribe", (c) => c.subscribe([{ topic: "a", qos: 1 }])),
      { send: [0x82, 6, 0, 3, 0, 1, ...s("a"), 1] },
      { receive: [0xb0, 2, 0, 2] },
      { receive: [0x90, 3, 0, 3, 1] },
      { events: ["subscribe ok", "subscribed a 0x1", "unsubscribe ok", "subscribe ok", "subscribed a 0x1"] },
      check("connected", (c) => c.state, 4),
    ],
  },
  {
    name: "D6: a filter too long for the control buffer is refused at the call, and later subscribes still go",
    steps: [
      ...connected,
      thrown("long", (c) => c.subscribe([{ topic: "f/" + "x".repeat(398) }])),
      { events: ["long threw -112"] },
      thrown("short", (c) => c.subscribe([{ topic: "b" }])),
      { events: ["short ok"] },
      { send: [0x82, 6, 0, 1, 0, 1, ...s("b"), 0] },
    ],
  },
  {
    name: "D7: QoS 0 flowing into a silent broker: PINGREQ after a keepalive without input, dead after pingTimeout",
    options: { keepalive: 2, pingTimeout: 1000 },
    steps: frozenBroker(),
  },
  {
    name: "D7: a QoS 1 publish unacknowledged for ackTimeout ends the connection (0x102) and goes again with DUP",
    options: { ackTimeout: 5000, clean: false },
    steps: [
      ...connectedPersistent,
      publish("t", "a", 1),
      { events: ["publish 1"] },
      { send: pub(1, 1, "a") },
      { advance: 4999 },
      { events: [] },
      { advance: 1 },
      { events: ["disconnected 0x102"] },
      { wantsClose: true },
      ...reconnectPersistent,
      { receive: CONNACK_SESSION },
      { events: ["connected 1"] },
      { send: pub(1, 1, "a", true) },
    ],
  },
  {
    name: "D8: 40 QoS 2 messages in flight to us at once are each delivered in the broker's order and PUBRECed at once [MQTT-4.3.3-2]",
    options: { clean: false },
    steps: inboundQoS2Burst(40),
  },
  {
    name: "D8: a QoS 2 PUBLISH sent again after the broker's PUBREL, before our PUBCOMP went, is the old message: not delivered again",
    options: { clean: false },
    steps: [
      ...connectedPersistent,
      { receive: [0x34, 6, 0, 1, ...s("t"), 0, 1, ...s("a")] },
      { events: ["message t a q2"] },
      { send: ack(0x50, 1) },
      { receive: ack(0x62, 1) }, // PUBREL: our PUBCOMP is queued, and the link drops before it goes
      { drop: true },
      { events: ["disconnected 0x100"] },
      ...reconnectPersistent,
      { receive: CONNACK_SESSION },
      { events: ["connected 1"] },
      // mosquitto 2.0.11 after a failed PUBREL resend: the PUBLISH again [not allowed, MQTT-4.3.3-1].
      { receive: [0x3c, 6, 0, 1, ...s("t"), 0, 1, ...s("a")] },
      { events: [] },
      { send: ack(0x50, 1) },
      { receive: ack(0x62, 1) },
      { send: ack(0x70, 1) },
      // Once PUBCOMP has gone, the id is free: a PUBLISH with it is a new message [MQTT-4.3.3-2].
      { receive: [0x34, 6, 0, 1, ...s("t"), 0, 1, ...s("b")] },
      { events: ["message t b q2"] },
    ],
  },
  {
    name: "D9: after end(), what is owed goes, then DISCONNECT, and nothing else: no PINGREQ, no ack, nothing read",
    options: { pingTimeout: 90_000 },
    steps: [
      ...connected,
      { receive: [0x32, 6, 0, 1, ...s("t"), 0, 9, ...s("m")] },
      { events: ["message t m q1"] },
      { app: (c, _log, now) => c.end(now) },
      { advance: 61_000 }, // a keepalive is overdue: no PINGREQ after end()
      { receive: [0x32, 6, 0, 1, ...s("t"), 0, 10, ...s("n")] }, // not read: no delivery, no PUBACK
      { events: [] },
      { send: [...ack(0x40, 9), 0xe0, 0] },
      { events: ["disconnected 0x0"] },
      { wantsClose: true },
    ],
  },
  {
    name: "D9: end() with a transport that takes nothing: closed after pingTimeout all the same, nothing else queued",
    options: { pingTimeout: 5000 },
    steps: [
      ...connected,
      publish("t", "a", 1),
      { events: ["publish 1"] },
      { app: (c, _log, now) => c.end(now) }, // the PUBLISH was chosen for no write yet: it stays queued for the next session
      { advance: 4999 },
      { events: [] },
      { advance: 1 },
      { events: ["disconnected 0x0"] },
      { wantsClose: true },
      check("queuedCount", (c) => c.queuedCount(), 1),
    ],
  },
  {
    name: "D10: subscribe() refuses a topic that is not a string with a code, never coerces it",
    steps: [
      ...connected,
      thrown("number", (c) => c.subscribe([{ topic: 7 as never }])),
      thrown("null", (c) => c.subscribe([{ topic: null as never }])),
      thrown("object", (c) => c.subscribe([{ topic: {} as never }])),
      thrown("request", (c) => c.subscribe([null as never])),
      thrown("list", (c) => c.subscribe("a" as never)),
      thrown("unsubscribe", (c) => c.unsubscribe([7 as never])),
      { events: ["number threw -103", "null threw -103", "object threw -103", "request threw -103", "list threw -109", "unsubscribe threw -103"] },
      { sendNothing: true },
    ],
  },
  {
    name: "D10: stats account for every message: published = refused + completed + dropped + unconfirmed + queued now",
    options: { queueSlots: 2, queuePolicy: "drop-newest" },
    steps: [
      calls("publish", (c) => [c.publish("t", "a"), c.publish("t", "b", 1), c.publish("t", "c")]),
      { events: ["publish 0,1,-101"] },
      {
        check: (c) => {
          const t = c.stats;
          const got = `published ${t.published} refused ${t.refused} completed ${t.completed} dropped ${t.dropped} unconfirmed ${t.unconfirmed} queued ${c.queuedCount()}`;
          return got === "published 3 refused 0 completed 0 dropped 1 unconfirmed 0 queued 2" ? null : got;
        },
      },
      ...connected,
      { send: [0x30, 4, 0, 1, ...s("t"), ...s("a"), ...pub(1, 1, "b")] },
      { receive: ack(0x40, 1) },
      { events: ["acked 1"] },
      check("published = refused + completed + dropped + unconfirmed + queued", (c) => c.stats.published === c.stats.refused + c.stats.completed + c.stats.dropped + c.stats.unconfirmed + c.queuedCount(), true),
    ],
  },
  {
    name: "D10: a refusal by the reject policy is counted (refused), the message stays the app's",
    options: { queueSlots: 1, queuePolicy: "reject" },
    steps: [
      calls("publish", (c) => [c.publish("t", "a"), c.publish("t", "b")]),
      { events: ["publish 0,-100"] },
      check("stats.refused", (c) => c.stats.refused, 1),
      check("stats.dropped", (c) => c.stats.dropped, 0),
    ],
  },
  {
    name: "D10: PUBRELs go again in the order their PUBRECs came, not the PUBLISH order [MQTT-4.6.0-4]",
    options: { clean: false },
    steps: [
      ...connectedPersistent,
      calls("publish", (c) => [c.publish("t", "a", 2), c.publish("t", "b", 2), c.publish("t", "c", 2)]),
      { events: ["publish 1,2,3"] },
      { send: [...pub(2, 1, "a"), ...pub(2, 2, "b"), ...pub(2, 3, "c")] },
      { receive: [...ack(0x50, 3), ...ack(0x50, 1), ...ack(0x50, 2)] },
      { send: [...ack(0x62, 3), ...ack(0x62, 1), ...ack(0x62, 2)] },
      { drop: true },
      { events: ["disconnected 0x100"] },
      ...reconnectPersistent,
      { receive: CONNACK_SESSION },
      { events: ["connected 1"] },
      { send: [...ack(0x62, 3), ...ack(0x62, 1), ...ack(0x62, 2)] },
    ],
  },
];


