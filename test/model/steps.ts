/**
 * The model check's runs as data: the steps a run is made of, the topics, filters and payloads they use,
 * the invalid calls they try, and the random generator of runs (options, then steps chosen with an eye on
 * what can happen next: half the runs calm, half hostile). This module runs on XS.
 */
import type { ModelOptions } from "./model.js";
import { Rng } from "./rng.js";
import * as w from "./wire.js";

export type Step =
  | { k: "publish"; t: number; handle: boolean; p: number; q: number; r: boolean; bytes: boolean; exp?: number }
  | { k: "bad-publish"; v: number }
  | { k: "subscribe"; t: number[]; q: number; h: boolean }
  | { k: "bad-subscribe"; v: number }
  | { k: "unsubscribe"; t: number[] }
  | { k: "end" }
  | { k: "start" }
  | { k: "take"; n: number }
  | { k: "drain" }
  | { k: "drop"; n: number }
  | { k: "advance"; ms: number }
  | { k: "connack"; sp: number; rc: number; lim?: number[]; badp?: number; tam?: number }
  | { k: "ack"; i: number; bad: number; rc?: number; rs?: boolean }
  | { k: "inbound"; t: number; q: number; r: boolean; n: number; dupOf: number; over?: boolean; alias?: boolean; ta?: number }
  | { k: "disconnect"; rc: number; rs: boolean }
  | { k: "pubrel"; i: number; bad: boolean }
  | { k: "suback"; i: number; codes: number; bad: number }
  | { k: "pingresp" }
  | { k: "garbage"; v: number }
  | { k: "restart"; keep: boolean }
  | { k: "refuse" }
  | { k: "freeze"; n: number }
  | { k: "burst"; n: number; q: number }
  | { k: "stale"; i: number };

export interface Run {
  options: ModelOptions;
  steps: Step[];
  /** Seed of the client's random() (backoff jitter). */
  randomSeed: number;
}


export const TOPICS = ["a", "a/b", "c/d/e", "$sys/x", "a/b/c/d/e/f/g/h/i/j/k/l/m/n", "é/ü"];
export const FILTERS = ["a", "a/#", "+/b", "#", "c/+/e", "$sys/#", "a/b", "+"];
export const PAYLOADS = ["", "x", "hello", "{\"t\":21.5}", "0123456789abcdef0123456789abcdef0123456789abcdef", "ünï"];

/** Random client options, small enough to reach every limit in a short run. */
export function randomOptions(rng: Rng): ModelOptions {
  const receiveBufferSize = rng.pick([48, 64, 128, 256]);
  const keepalive = rng.pick([0, 1, 2, 5, 60]);
  const subscriptions = rng.pick([0, 1, 2, 4]);
  return {
    protocolVersion: 4, // randomRun(seed, steps, [], 5) makes it a 5.0 run (drawn after these, so 3.1.1 runs stay as they were)
    sessionExpiryInterval: 0,
    receiveMaximum: 64,
    topicAliasMaximum: 0, // the broker may send no alias: one closes with 0x94
    topicAliases: 0,
    clientId: "m1",
    clean: rng.chance(0.5),
    keepalive,
    receiveBufferSize,
    maxPacketSize: rng.chance(0.3) ? rng.pick([20, 32, 40]) : receiveBufferSize,
    transmitBufferSize: rng.pick([40, 64, 128, 256, 1024]),
    controlBufferSize: rng.chance(0.5) ? 16 + 30 : 300,
    inflight: rng.pick([1, 2, 3, 8]),
    queueSlots: rng.pick([1, 2, 3, 4, 8]),
    subscriptions,
    queuePolicy: rng.pick(["reject", "drop-oldest", "drop-newest"] as const),
    connectTimeout: rng.pick([500, 5000]),
    reconnectPeriod: rng.chance(0.05) ? 0 : rng.pick([10, 100, 1000]),
    reconnectPeriodMax: 4000,
    stableAfter: rng.pick([0, 1000, 10_000]),
    pingTimeout: rng.pick([200, 1000]),
    ackTimeout: rng.pick([0, 800, 3000]),
    resendOnNewSession: rng.chance(0.6),
    maxRequests: 4,
  };
}

export function utf8Bytes(text: string): Uint8Array {
  const hexText = w.utf8Hex(text);
  const out = new Uint8Array(hexText.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hexText.substr(2 * i, 2), 16);
  return out;
}


const PAYLOAD = utf8Bytes("payload");

/** publish() calls that must be refused (topic, payload, qos, retain, offset, length). */
export const BAD_PUBLISH: [unknown, unknown, unknown, unknown, unknown, unknown][] = [
  ["a", PAYLOAD, 0, false, NaN, undefined],
  ["a", PAYLOAD, 1, false, 1.5, undefined],
  ["a", PAYLOAD, 0, false, 0, NaN],
  ["a", PAYLOAD, 2, false, 0, 2.5],
  ["a", PAYLOAD, 0, false, -1, undefined],
  ["a", PAYLOAD, 1, false, 3, 5],
  ["a", PAYLOAD, 0, false, 8, undefined],
  ["a", PAYLOAD, 3, false, undefined, undefined],
  ["a", PAYLOAD, 1.5, false, undefined, undefined],
  ["a", PAYLOAD, "1", false, undefined, undefined],
  ["a", PAYLOAD, 0, "yes", undefined, undefined],
  ["a/+", PAYLOAD, 0, false, undefined, undefined],
  ["", PAYLOAD, 0, false, undefined, undefined],
  [7, PAYLOAD, 0, false, undefined, undefined],
  [null, PAYLOAD, 0, false, undefined, undefined],
  ["a", 42, 0, false, undefined, undefined],
  ["a", null, 0, false, undefined, undefined],
  ["a", "\udc00", 0, false, undefined, undefined],
  ["a", "text", 0, false, 1, undefined],
  ["a", PAYLOAD, 1, false, 2, 3],
  ["a", PAYLOAD, 2, true, 7, 0],
  ["a", "x".repeat(2000), 1, false, undefined, undefined],
];

/** subscribe() calls that must be refused, each with its code (see the model). */
export const BAD_SUBSCRIBE: unknown[] = [
  [{ topic: 7 }],
  [{ topic: null }],
  [{ topic: {} }],
  [],
  "a",
  [{ topic: "a/#/b" }],
  [{ topic: "a+" }],
  [{ topic: "a", qos: 3 }],
  [{ topic: "a", qos: 1.5 }],
  [{ topic: "f/" + "x".repeat(400) }],
  [{ topic: "a", onMessage: 5 }],
  [{ topic: "\ud800" }],
];

/**
 * A random run: options, and steps chosen with an eye on what can happen next. `version` 5 makes a run
 * of MQTT 5.0 (its own seeds: a 3.1.1 run draws exactly what it always drew): the client announces a
 * Receive Maximum of its own; the broker's CONNACK says what it allows (the same all run long, but
 * sometimes a new set), its acks carry reason codes, it may end the connection with DISCONNECT, and
 * rarely it breaks our Receive Maximum or sends a Topic Alias. Drawn later, from a generator of their
 * own (so the draws above stay as they were): our topicAliases and topicAliasMaximum, the CONNACK's
 * Topic Alias Maximum (changed with the other limits), the broker's Topic Aliases towards us, and a
 * Message Expiry Interval on some publishes.
 */
export function randomRun(seed: number, maxSteps: number, without: readonly string[] = [], version: 4 | 5 = 4): Run {
  const rng = new Rng(seed);
  const options = randomOptions(rng);
  const count = rng.range(1, maxSteps);
  // Half the runs have a calm broker and link (rare faults): they reach long sessions and full windows.
  const calm = rng.chance(0.5);
  let v5: V5 | null = null;
  if (version === 5) {
    options.protocolVersion = 5;
    options.receiveMaximum = rng.pick([1, 2, 3, 8, 64]);
    options.sessionExpiryInterval = options.clean ? 0 : 0xffffffff;
    // What was added later (Topic Aliases both ways, Message Expiry) is drawn from a generator of its
    // own, so every draw of the 5.0 runs before it stays as it was: the same steps, with more in them.
    const more = new Rng((seed ^ 0x5a5a5a5a) >>> 0);
    options.topicAliases = more.pick([0, 0, 1, 2, 4]);
    options.topicAliasMaximum = more.pick([0, 0, 1, 3]);
    v5 = { limits: randomLimits(rng), more, tam: randomTopicAliasMaximum(more) };
  }
  const steps: Step[] = [];
  while (steps.length < count) {
    const step = randomStep(rng, options, calm, v5);
    if (without.indexOf(step.k) < 0) steps.push(step);
  }
  return { options, steps, randomSeed: rng.int(0x7fffffff) };
}

/** A 5.0 run's broker: what its CONNACK says (changed now and then, as a reconfigured server would). */
interface V5 {
  limits: number[];
  /** The generator of what 5.0 runs gained later (so the draws of `rng` stay as they were). */
  more: Rng;
  /** CONNACK's Topic Alias Maximum (-1: left out), changed with the other limits. */
  tam: number;
}

function randomTopicAliasMaximum(rng: Rng): number {
  return rng.pick([-1, 0, 1, 2, 10, 10]);
}

/** CONNACK's Receive Maximum, Maximum QoS, Retain Available, Maximum Packet Size, Server Keep Alive (-1: left out). */
function randomLimits(rng: Rng): number[] {
  return [
    rng.chance(0.5) ? -1 : rng.pick([1, 2, 3, 5]),
    rng.chance(0.6) ? -1 : rng.pick([0, 1, 1]),
    rng.chance(0.7) ? -1 : rng.pick([0, 0, 1]),
    rng.chance(0.6) ? -1 : rng.pick([24, 30, 40, 64, 128]),
    rng.chance(0.7) ? -1 : rng.pick([0, 1, 2, 5]),
  ];
}

/** 5.0 CONNACK refusals (§3.2.2.2), and DISCONNECT reasons a server sends (§3.14.2.1, Table 3-10). */
const CONNACK_REFUSALS = [0x80, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f];
const DISCONNECT_REASONS = [0x00, 0x00, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x93, 0x95, 0x97, 0x98, 0x9c, 0x9d, 0x9f, 0xa0];
/** PUBACK and PUBREC reason codes but Success (§3.4.2.1): 0x10 is a success, the rest refusals. */
const ACK_REASONS = [0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];

/** Step kinds that end a connection or break a rule: rare in a calm run. */
const FAULTS = ["bad-publish", "bad-subscribe", "end", "drop", "garbage", "restart", "refuse", "stale", "disconnect"];

function randomStep(rng: Rng, o: ModelOptions, calm: boolean, v5: V5 | null = null): Step {
  const kinds = [
    "publish", "bad-publish", "subscribe", "bad-subscribe", "unsubscribe", "end", "start", "take", "drain", "drop",
    "advance", "connack", "ack", "inbound", "pubrel", "suback", "pingresp", "garbage", "restart", "refuse", "freeze", "burst", "stale",
    "disconnect",
  ] as const;
  const weights = [22, 2, 3, 1, 2, 0.4, 1.5, 5, 18, 2, 8, 12, 12, 9, 4, 5, 3, 0.4, 0.8, 0.5, 1, 1.5, 1];
  if (v5) weights.push(0.6); // 3.1.1 runs never draw it (their weights are as they were)
  const k = kinds[rng.weighted(calm ? weights.map((w, i) => (FAULTS.indexOf(kinds[i]) >= 0 ? w / 10 : w)) : weights)];
  if (v5) return randomStep5(rng, o, calm, v5, k);
  return randomStep4(rng, o, calm, k);
}

/** A 5.0 run's step: as 3.1.1's, with what 5.0 adds drawn after. */
function randomStep5(rng: Rng, o: ModelOptions, calm: boolean, v5: V5, k: Step["k"]): Step {
  if (k === "disconnect") return { k, rc: rng.pick(DISCONNECT_REASONS), rs: rng.chance(0.3) };
  const step = randomStep4(rng, o, calm, k);
  switch (step.k) {
    case "connack":
      if (rng.chance(0.15)) {
        v5.limits = randomLimits(rng);
        v5.tam = randomTopicAliasMaximum(v5.more);
      }
      if (step.rc !== 0) step.rc = rng.pick(CONNACK_REFUSALS);
      step.lim = v5.limits.slice();
      step.tam = v5.tam;
      if (rng.chance(calm ? 0.002 : 0.02)) step.badp = rng.int(5); // a property with a value no server may send
      break;
    case "ack":
      if (rng.chance(0.2)) step.rc = rng.pick(ACK_REASONS);
      if (rng.chance(0.1)) step.rs = true;
      break;
    case "inbound":
      if (rng.chance(calm ? 0.005 : 0.03)) step.over = true; // the broker breaks our Receive Maximum
      if (rng.chance(calm ? 0.002 : 0.01)) step.alias = true; // and a Topic Alias we allowed none of
      // A Topic Alias within our maximum (ta > 0: set it with the topic, or use it alone if it is set),
      // and rarely one that breaks the rules (ta < 0: 0, above our maximum, or alone and never set)
      if (o.topicAliasMaximum > 0 && v5.more.chance(0.5)) step.ta = v5.more.chance(calm ? 0.005 : 0.03) ? -1 - v5.more.int(3) : 1 + v5.more.int(o.topicAliasMaximum);
      break;
    case "publish":
      if (v5.more.chance(0.2)) step.exp = v5.more.pick([1, 2, 5, 30]); // a Message Expiry Interval, seconds
      break;
    default:
      break;
  }
  return step;
}

function randomStep4(rng: Rng, o: ModelOptions, calm: boolean, k: Step["k"]): Step {
  const bad = calm ? 0.003 : 0.03;
  switch (k) {
    case "publish":
      return { k, t: rng.int(TOPICS.length), handle: rng.chance(0.5), p: rng.int(PAYLOADS.length), q: rng.int(3), r: rng.chance(0.1), bytes: rng.chance(0.5) };
    case "bad-publish":
      return { k, v: rng.int(22) };
    case "subscribe":
      return { k, t: [rng.int(FILTERS.length), ...(rng.chance(0.4) ? [rng.int(FILTERS.length)] : [])], q: rng.int(3), h: rng.chance(0.6) };
    case "bad-subscribe":
      return { k, v: rng.int(12) };
    case "unsubscribe":
      return { k, t: [rng.int(FILTERS.length)] };
    case "end":
    case "start":
    case "drain":
    case "pingresp":
    case "refuse":
      return { k } as Step;
    case "take":
      return { k, n: rng.chance(0.3) ? 0 : rng.range(1, 40) }; // 0: a transport with no room asks and takes nothing
    case "drop":
      return { k, n: rng.chance(0.5) ? 0 : rng.range(1, 30) };
    case "advance":
      return { k, ms: rng.chance(0.7) ? rng.range(1, 600) : rng.chance(0.7) ? rng.range(600, 6000) : rng.range(6000, 120_000) };
    case "connack":
      return { k, sp: rng.chance(calm ? 0.004 : 0.04) ? 1 : 0, rc: rng.chance(calm ? 0.006 : 0.06) ? rng.range(1, 5) : 0 };
    case "ack":
      return { k, i: rng.int(1000), bad: rng.chance(bad) ? 1 : rng.chance(bad) ? 2 : 0 };
    case "inbound":
      return { k, t: rng.int(TOPICS.length), q: rng.int(3), r: rng.chance(0.1), n: rng.chance(0.1) ? rng.range(o.maxPacketSize, o.maxPacketSize + 300) : rng.range(0, 12), dupOf: rng.chance(0.2) ? 1 + rng.int(100) : 0 };
    case "pubrel":
      return { k, i: rng.int(1000), bad: rng.chance(0.1) };
    case "suback":
      return { k, i: rng.int(100), codes: rng.int(256), bad: rng.chance(bad) ? 1 : rng.chance(bad) ? 2 : 0 };
    case "garbage":
      return { k, v: rng.int(6) };
    case "restart":
      return { k, keep: rng.chance(0.6) };
    case "freeze":
      return { k, n: rng.range(5, 60) };
    case "burst":
      return { k, n: rng.range(2, 80), q: rng.chance(0.6) ? 2 : rng.int(2) };
    case "stale":
      return { k, i: rng.int(100) };
    case "disconnect":
      return { k, rc: 0, rs: false };
  }
}

