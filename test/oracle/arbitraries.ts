/**
 * Generators and helpers shared by the oracle suites (encode.oracle.test.ts, decode.oracle.test.ts),
 * which hold the codec to mqtt-packet's bytes. Node only: Buffer is the reference UTF-8 encoder here.
 */
import fc from "fast-check";
import type { IPublishPacket } from "mqtt-packet";
import type { QoS } from "../../firmware/mqtt/codec/packet.js";
import { utf8Length, writeUtf8 } from "../../firmware/mqtt/codec/wire.js";

/** UTF-8 bytes of a string, with the firmware's own encoder (throws on a lone surrogate). */
export function utf8(text: string): Uint8Array {
  const length = utf8Length(text);
  if (length < 0) throw new Error("utf8Length returned " + length + " for " + JSON.stringify(text));
  const bytes = new Uint8Array(length);
  const end = writeUtf8(bytes, 0, text);
  if (end !== length) throw new Error("writeUtf8 wrote " + end + " bytes, utf8Length said " + length);
  return bytes;
}

/** Returns null when the two byte sequences are equal, else where they first differ (short, no dump). */
export function bytesDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): string | null {
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      return "byte " + i + " is 0x" + hex(actual[i]) + ", expected 0x" + hex(expected[i]) + " (" + context(actual, expected, i) + ")";
    }
  }
  if (actual.length !== expected.length) return "length " + actual.length + ", expected " + expected.length;
  return null;
}

function hex(b: number | undefined): string {
  return b === undefined ? "--" : b.toString(16).padStart(2, "0");
}

function context(actual: ArrayLike<number>, expected: ArrayLike<number>, at: number): string {
  const from = Math.max(0, at - 4);
  const dump = (bytes: ArrayLike<number>) => {
    const parts: string[] = [];
    for (let i = from; i < Math.min(bytes.length, at + 5); i++) parts.push(hex(bytes[i]));
    return parts.join(" ");
  };
  return "ours@" + from + ": " + dump(actual) + " | theirs@" + from + ": " + dump(expected);
}

/** Hex of a short byte sequence, for failure reports. */
export function hexOf(bytes: ArrayLike<number>, max = 64): string {
  const parts: string[] = [];
  for (let i = 0; i < Math.min(bytes.length, max); i++) parts.push(hex(bytes[i]));
  return parts.join(" ") + (bytes.length > max ? " ... (" + bytes.length + " bytes)" : "");
}

/** Deterministic bytes (xorshift32), so a 20 kB payload costs one integer of generation, not 20,000. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed | 0 || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

export const qosArb: fc.Arbitrary<QoS> = fc.constantFrom<QoS>(0, 1, 2);
export const packetIdArb = fc.integer({ min: 1, max: 65_535 });

/**
 * One Unicode scalar value (never a lone surrogate) as a string, spread over the four UTF-8 sizes and
 * their boundaries (U+007F/U+0080, U+07FF/U+0800, U+D7FF/U+E000, U+FFFF/U+10000, U+10FFFF).
 */
const scalarChar = fc
  .oneof(
    fc.integer({ min: 0x00, max: 0x7f }),
    fc.integer({ min: 0x80, max: 0x7ff }),
    fc.integer({ min: 0x800, max: 0xd7ff }),
    fc.integer({ min: 0xe000, max: 0xffff }),
    fc.integer({ min: 0x10000, max: 0x10ffff }),
    fc.constantFrom(0x2f, 0x24, 0x20, 0xfeff, 0xfffd, 0x1f600),
  )
  .map((c) => String.fromCodePoint(c));

/** Any string without lone surrogates (U+0000 included): what Buffer.from(s, "utf8") encodes losslessly. */
export const scalarStringArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: scalarChar, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: scalarChar, minLength: 100, maxLength: 400 }) },
);

/** A character allowed in CONNECT strings: any scalar value but U+0000 [MQTT-1.5.3-2]. */
const textChar = scalarChar.filter((c) => c !== "\u0000");
/** A character of a topic name: also no wildcard [MQTT-3.3.2-2]; '/' is common. */
const topicChar = fc.oneof({ weight: 6, arbitrary: textChar.filter((c) => c !== "+" && c !== "#") }, { weight: 1, arbitrary: fc.constant("/") });
/** A character inside one topic level: no '/', no wildcard, no U+0000. */
const levelChar = textChar.filter((c) => c !== "+" && c !== "#" && c !== "/");

export const textArb = fc.string({ unit: textChar, maxLength: 30 });

/** A topic name: non-empty, arbitrary Unicode (astral included), no wildcards or U+0000; sometimes long. */
export const topicNameArb = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: topicChar, minLength: 1, maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: topicChar, minLength: 60, maxLength: 300 }) },
);

/** A valid topic filter: levels that are text (possibly empty) or '+', optionally ending in '#'. */
export const topicFilterArb = fc
  .tuple(
    fc.array(fc.oneof({ weight: 3, arbitrary: fc.string({ unit: levelChar, maxLength: 10 }) }, { weight: 1, arbitrary: fc.constant("+") }), {
      maxLength: 6,
    }),
    fc.boolean(),
  )
  .map(([levels, hash]) => (hash ? [...levels, "#"] : levels).join("/"))
  .filter((filter) => filter.length > 0);

/**
 * A payload of 0..~20,000 bytes: mostly small (fully random bytes), sometimes sized so the Remaining
 * Length takes 2 or 3 bytes.
 */
export const payloadArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 100, max: 16_500 }), fc.integer()).map(([n, seed]) => pseudoRandomBytes(n, seed)) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 16_300, max: 20_000 }), fc.integer()).map(([n, seed]) => pseudoRandomBytes(n, seed)) },
);

export interface PublishCase {
  topic: string;
  topicBytes: Uint8Array;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** Only ever true for QoS 1 and 2 [MQTT-3.3.1-2]. */
  dup: boolean;
  /** 0 for QoS 0. */
  packetId: number;
  /** The payload as handed to our encoder: `payloadBuffer[payloadOffset, +payload.length)`. */
  payloadBuffer: Uint8Array;
  payloadOffset: number;
}

/** Remaining Lengths at the varint size boundaries (§2.2.3 Table 2.4). */
const BOUNDARIES = [127, 128, 16_383, 16_384];

/**
 * A PUBLISH: topic, QoS, flags, id, and a payload that is either free or sized so the Remaining Length
 * lands within a few bytes of a varint boundary. The payload is sometimes embedded in a larger buffer.
 */
export const publishArb: fc.Arbitrary<PublishCase> = fc
  .record({
    topic: topicNameArb,
    qos: qosArb,
    retain: fc.boolean(),
    dup: fc.boolean(),
    packetId: packetIdArb,
    payload: fc.oneof(
      { weight: 4, arbitrary: payloadArb.map((bytes) => ({ bytes })) },
      {
        weight: 1,
        arbitrary: fc.record({ boundary: fc.constantFrom(...BOUNDARIES), delta: fc.integer({ min: -2, max: 2 }), seed: fc.integer() }),
      },
    ),
    embed: fc.oneof(
      { weight: 1, arbitrary: fc.constant<[number, number]>([0, 0]) },
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })) },
    ),
    filler: fc.integer({ min: 0, max: 255 }),
  })
  .map((r): PublishCase => {
    const topicBytes = utf8(r.topic);
    let payload: Uint8Array;
    if ("bytes" in r.payload) payload = r.payload.bytes;
    else {
      const target = r.payload.boundary + r.payload.delta - 2 - topicBytes.length - (r.qos > 0 ? 2 : 0);
      payload = pseudoRandomBytes(Math.max(0, target), r.payload.seed);
    }
    const [before, after] = r.embed;
    const payloadBuffer = new Uint8Array(before + payload.length + after).fill(r.filler);
    payloadBuffer.set(payload, before);
    return {
      topic: r.topic,
      topicBytes,
      payload,
      qos: r.qos,
      retain: r.retain,
      dup: r.qos > 0 && r.dup,
      packetId: r.qos > 0 ? r.packetId : 0,
      payloadBuffer,
      payloadOffset: before,
    };
  });

/** The same PUBLISH as mqtt-packet takes it (a string topic, a Buffer payload, messageId for QoS > 0). */
export function mqttPublish(p: PublishCase): IPublishPacket {
  const packet: IPublishPacket = { cmd: "publish", topic: p.topic, payload: Buffer.from(p.payload), qos: p.qos, retain: p.retain, dup: p.dup };
  if (p.qos > 0) packet.messageId = p.packetId;
  return packet;
}

export interface ConnectCase {
  clientId: string;
  keepalive: number;
  clean: boolean;
  will: { topic: string; payload: Uint8Array; qos: QoS; retain: boolean } | null;
  username: string | null;
  /** Only with a username [MQTT-3.1.2-22]. */
  password: Uint8Array | null;
}

/** A CONNECT a client may send: an empty client id only with clean session [MQTT-3.1.3-7]. */
export const connectArb: fc.Arbitrary<ConnectCase> = fc
  .record({
    clientId: fc.oneof({ weight: 1, arbitrary: fc.constant("") }, { weight: 5, arbitrary: textArb }),
    keepalive: fc.integer({ min: 0, max: 65_535 }),
    clean: fc.boolean(),
    will: fc.option(
      fc.record({
        topic: topicNameArb,
        payload: fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }) }, { weight: 1, arbitrary: payloadArb }),
        qos: qosArb,
        retain: fc.boolean(),
      }),
      { nil: null },
    ),
    username: fc.option(textArb, { nil: null }),
    password: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null }),
  })
  .map((r): ConnectCase => ({
    ...r,
    clean: r.clientId === "" ? true : r.clean,
    password: r.username === null ? null : r.password,
  }));

export interface SubscribeCase {
  packetId: number;
  filters: string[];
  qos: QoS[];
}

export const subscribeArb: fc.Arbitrary<SubscribeCase> = fc
  .record({ packetId: packetIdArb, subs: fc.array(fc.tuple(topicFilterArb, qosArb), { minLength: 1, maxLength: 8 }) })
  .map((r) => ({ packetId: r.packetId, filters: r.subs.map((s) => s[0]), qos: r.subs.map((s) => s[1]) }));

export interface UnsubscribeCase {
  packetId: number;
  filters: string[];
}

export const unsubscribeArb: fc.Arbitrary<UnsubscribeCase> = fc.record({
  packetId: packetIdArb,
  filters: fc.array(topicFilterArb, { minLength: 1, maxLength: 8 }),
});

export type AckCmd = "puback" | "pubrec" | "pubrel" | "pubcomp";
export const ackCmdArb = fc.constantFrom<AckCmd>("puback", "pubrec", "pubrel", "pubcomp");
