/**
 * The fuzzer, shared by Node (test/fuzz/, scripts/fuzz.mjs) and XS (test/xs/suites/fuzz.xs.ts): a seeded
 * PRNG of its own (never Math.random), a generator of broker byte streams (random bytes; valid packets a
 * server sends, then mutated: bit flips, truncation, Remaining Length changes, flag changes, byte edits),
 * split at random points with a random drain schedule, and the drivers that feed a case to
 * (a) FrameReader + decodePacket and (b) an MqttClient in one of four fixed set-ups, checking invariants.
 *
 * This module runs on XS: no Node APIs. The generator, the output checker and checkInvariants() allocate
 * nothing (fuzz.xs.ts calls them inside a measured loop), so they hold no string literals either: XS run
 * from source allocates a chunk per string literal evaluated. Only the failure paths build strings.
 */
import { ClientState, MqttClient, TopicHandle } from "../../firmware/mqtt/index.js";
import { decodePacket } from "../../firmware/mqtt/codec/decode.js";
import { FrameReader } from "../../firmware/mqtt/codec/frame.js";
import type { MessageView } from "../../firmware/mqtt/client/message.js";
import type { ClientOptions } from "../../firmware/mqtt/client/options.js";
import type { Outbox } from "../../firmware/mqtt/client/outbox.js";
import { IncomingPacket, ProtocolVersion } from "../../firmware/mqtt/codec/packet.js";
import { ByteRing } from "../../firmware/mqtt/codec/ring.js";
import { validateTopicName } from "../../firmware/mqtt/codec/topic.js";

// ---- PRNG ------------------------------------------------------------------------------------------------

/** splitmix32's finaliser: spreads a 32-bit value. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), seeded by splitmix32. Allocation-free. */
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(seed = 1, stream = 0) {
    this.seed(seed, stream);
  }

  /** Case `stream` of run `seed`: every case can be regenerated on its own. */
  seed(seed: number, stream: number): void {
    this.a = mix32(seed | 0);
    this.b = mix32(this.a ^ (stream | 0));
    this.c = mix32(this.b + 0x6a09e667);
    this.d = mix32(this.c ^ Math.imul(stream | 0, 0x27d4eb2f));
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (((this.c << 21) | (this.c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.next() / 4294967296) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  byte(): number {
    return this.next() & 0xff;
  }
}

// ---- Cases -----------------------------------------------------------------------------------------------

/** Bytes a case may hold (generation stops well before). */
export const MAX_CASE = 2048;
/** Chunks a case may be split into. */
export const MAX_CHUNKS = 160;
/** Generation stops adding packets past this many bytes. */
const SOFT_LIMIT = 900;

/**
 * The client set-ups a case runs against (see makeFixture): every case starts from one of them.
 * FRESH: clean session, connected, SUBSCRIBE (id 1) and five QoS 1/2 PUBLISH (ids 2-6, four in flight)
 * sent. TINY_CONTROL: the same with a control buffer of 12 bytes past CONNECT (three acks). RESUMED:
 * persistent session resumed, its resends (DUP PUBLISH, PUBREL) waiting to be written. CONNECTING:
 * CONNECT sent, no CONNACK yet.
 */
export const enum Fixture {
  Fresh = 0,
  TinyControl = 1,
  Resumed = 2,
  Connecting = 3,
}
export const FIXTURES = 4;

/** What the generator made, for coverage figures. */
export const enum Mode {
  RandomBytes = 0,
  HeaderLike = 1,
  OneMutated = 2,
  StreamMutated = 3,
  Burst = 4,
  ValidStream = 5,
}
export const MODES = 6;

/** One fuzz case: the bytes the broker sends, how they are split, and when the transport writes. */
export class FuzzCase {
  readonly bytes = new Uint8Array(MAX_CASE);
  length = 0;
  /** Lengths of the chunks fed in turn; they add up to length. */
  readonly chunks = new Int32Array(MAX_CHUNKS);
  chunkCount = 0;
  /**
   * What the transport writes: drains[0] before the first chunk, drains[i + 1] after chunk i.
   * -1: everything the client has to send; 0: nothing; k > 0: k bytes at most.
   */
  readonly drains = new Int32Array(MAX_CHUNKS + 1);
  fixture = 0;
  mode = 0;
  /** The FrameReader's maximum packet size for the decoder run. */
  decoderMax = 128;

  /** Sets the case from plain arrays (a saved regression vector). */
  load(bytes: ArrayLike<number>, chunks: ArrayLike<number>, drains: ArrayLike<number>, fixture: number): void {
    if (bytes.length > MAX_CASE || chunks.length > MAX_CHUNKS || drains.length !== chunks.length + 1) throw new RangeError("fuzz case: bad shape");
    let total = 0;
    for (let i = 0; i < chunks.length; i++) total += chunks[i];
    if (total !== bytes.length) throw new RangeError("fuzz case: chunks do not add up to the bytes");
    for (let i = 0; i < bytes.length; i++) this.bytes[i] = bytes[i];
    this.length = bytes.length;
    for (let i = 0; i < chunks.length; i++) this.chunks[i] = chunks[i];
    this.chunkCount = chunks.length;
    for (let i = 0; i < drains.length; i++) this.drains[i] = drains[i];
    this.fixture = fixture;
  }
}

// Topic names used by the generator (bytes, made once). "a/x" matches the fixtures' "a/+", "b/c" their "b/#".
const TOPICS = [Uint8Array.of(0x61, 0x2f, 0x78), Uint8Array.of(0x62, 0x2f, 0x63), Uint8Array.of(0x74), Uint8Array.of(0x24, 0x53, 0x59, 0x53, 0x2f, 0x78)];
const TOPIC_ALPHABET = Uint8Array.of(0x61, 0x62, 0x63, 0x78, 0x79, 0x7a, 0x30, 0x31, 0x2f, 0x2f, 0x5f, 0x2d, 0x20, 0x2e);
/** Bytes a mutation likes to plant: NUL, wildcards, continuation and lead bytes, surrogates, 0x7f/0xff. */
const SPECIAL = Uint8Array.of(0x00, 0xff, 0x80, 0x7f, 0x2b, 0x23, 0xc0, 0xed, 0xa0, 0xf4, 0x90, 0x01, 0x02, 0x03, 0x2f);
/** The types a server sends (3.1.1), and their required fixed-header flags. */
const SERVER_TYPES = Uint8Array.of(2, 3, 4, 5, 6, 7, 9, 11, 13);
const SERVER_FLAGS = Uint8Array.of(0, 0, 0, 0, 2, 0, 0, 0, 0);

/** Makes cases. One instance, reused: generate() allocates nothing. */
export class Generator {
  readonly rng = new Rng();

  /**
   * Fills `c` with case `index` of run `seed`. malformedOnly: only the modes that make broken input (random
   * bytes, header-like bytes, mutated packets), for the allocation proof of the error paths on XS.
   */
  generate(c: FuzzCase, seed: number, index: number, malformedOnly = false): void {
    const rng = this.rng;
    rng.seed(seed, index);
    c.fixture = rng.below(FIXTURES);
    c.decoderMax = rng.below(4) === 0 ? 1024 : 128;
    const r = malformedOnly ? rng.below(14) : rng.below(20);
    const mode = r < 2 ? Mode.RandomBytes : r < 4 ? Mode.HeaderLike : r < 9 ? Mode.OneMutated : r < 14 ? Mode.StreamMutated : r < 17 ? Mode.Burst : Mode.ValidStream;
    c.mode = mode;
    const b = c.bytes;
    let n = 0;
    if (mode === Mode.RandomBytes) {
      const length = rng.range(1, 48);
      for (let i = 0; i < length; i++) b[n++] = rng.byte();
    } else if (mode === Mode.HeaderLike) {
      const k = rng.below(SERVER_TYPES.length);
      b[n++] = (SERVER_TYPES[k] << 4) | (rng.below(3) === 0 ? rng.below(16) : SERVER_FLAGS[k]);
      const body = rng.below(4) === 0 ? rng.range(0, 200) : rng.range(0, 12);
      n = writeVarint(b, n, body);
      const have = rng.below(3) === 0 ? rng.below(body + 1) : body;
      for (let i = 0; i < have; i++) b[n++] = rng.below(2) === 0 ? rng.byte() : rng.below(4);
    } else {
      // Valid packets, some mutated; in the CONNECTING set-up the first is (usually) a CONNACK.
      const count = mode === Mode.OneMutated ? 1 : mode === Mode.Burst ? rng.range(8, 48) : rng.range(2, 8);
      const mutated = mode === Mode.OneMutated ? 0 : mode === Mode.ValidStream ? -1 : mode === Mode.Burst && rng.below(2) === 0 ? -1 : rng.below(count);
      for (let k = 0; k < count && n < SOFT_LIMIT; k++) {
        const start = n;
        if (k === 0 && c.fixture === Fixture.Connecting && rng.below(5) !== 0) n = this.connack(b, n, true);
        else if (mode === Mode.Burst && k === 0 && rng.below(3) === 0) n = this.qos2Flow(b, n);
        else if (mode === Mode.Burst) n = rng.below(4) === 0 ? this.ack(b, n) : this.publish(b, n, 1 + rng.below(2), false);
        else n = this.packet(b, n);
        if (k === mutated || (mode === Mode.StreamMutated && rng.below(6) === 0)) n = this.mutate(b, start, n);
      }
    }
    c.length = n;
    this.split(c);
  }

  /**
   * Inbound QoS 2 flows: 3 to 7 QoS 2 PUBLISH with consecutive ids, some sent again with DUP, then their
   * PUBRELs in a random order.
   */
  private qos2Flow(b: Uint8Array, n: number): number {
    const rng = this.rng;
    const count = rng.range(3, 7);
    const base = 1 + rng.below(8);
    for (let i = 0; i < count; i++) {
      const id = base + i;
      const topic = TOPICS[rng.below(3)];
      b[n] = rng.below(5) === 0 ? 0x3c : 0x34;
      b[n + 1] = 2 + topic.length + 2 + 1;
      b[n + 2] = 0;
      b[n + 3] = topic.length;
      b.set(topic, n + 4);
      const at = n + 4 + topic.length;
      b[at] = id >> 8;
      b[at + 1] = id & 0xff;
      b[at + 2] = 0x30 + i;
      n = at + 3;
    }
    const first = rng.below(count);
    for (let i = 0; i < count; i++) {
      const id = base + ((first + i) % count);
      b[n] = 0x62;
      b[n + 1] = 2;
      b[n + 2] = id >> 8;
      b[n + 3] = id & 0xff;
      n += 4;
    }
    return n;
  }

  /** A random valid packet a server sends. */
  private packet(b: Uint8Array, n: number): number {
    const rng = this.rng;
    switch (rng.below(12)) {
      case 0:
        return this.connack(b, n, false);
      case 1:
      case 2:
      case 3:
      case 4:
        return this.publish(b, n, rng.below(3), rng.below(12) === 0);
      case 5:
        return this.suback(b, n);
      case 6:
        b[n] = 0xd0; // PINGRESP
        b[n + 1] = 0;
        return n + 2;
      default:
        return this.ack(b, n);
    }
  }

  private connack(b: Uint8Array, n: number, accept: boolean): number {
    const rng = this.rng;
    const code = accept && rng.below(4) !== 0 ? 0 : rng.below(6);
    b[n] = 0x20;
    b[n + 1] = 2;
    b[n + 2] = code === 0 ? rng.below(2) : 0;
    b[n + 3] = code;
    return n + 4;
  }

  /** PUBACK, PUBREC, PUBREL, PUBCOMP or UNSUBACK. */
  private ack(b: Uint8Array, n: number): number {
    const rng = this.rng;
    const r = rng.below(5);
    b[n] = r === 0 ? 0x40 : r === 1 ? 0x50 : r === 2 ? 0x62 : r === 3 ? 0x70 : 0xb0;
    b[n + 1] = 2;
    const id = this.packetId();
    b[n + 2] = id >> 8;
    b[n + 3] = id & 0xff;
    return n + 4;
  }

  private suback(b: Uint8Array, n: number): number {
    const rng = this.rng;
    const count = rng.range(1, 3);
    b[n] = 0x90;
    b[n + 1] = 2 + count;
    const id = this.packetId();
    b[n + 2] = id >> 8;
    b[n + 3] = id & 0xff;
    for (let i = 0; i < count; i++) {
      const r = rng.below(4);
      b[n + 4 + i] = r === 3 ? 0x80 : r;
    }
    return n + 4 + count;
  }

  /** Mostly the ids the fixtures use (1-8), sometimes any. */
  private packetId(): number {
    const rng = this.rng;
    return rng.below(8) === 0 ? 1 + rng.below(65535) : 1 + rng.below(8);
  }

  private publish(b: Uint8Array, n: number, qos: number, big: boolean): number {
    const rng = this.rng;
    const topic = rng.below(3) === 0 ? -1 : rng.below(TOPICS.length);
    let topicLength = topic >= 0 ? TOPICS[topic].length : rng.range(1, 20);
    const payloadLength = big ? rng.range(60, 300) : rng.below(4) === 0 ? 0 : rng.range(1, 24);
    const flags = (qos << 1) | (rng.below(6) === 0 ? 1 : 0) | (qos > 0 && rng.below(6) === 0 ? 8 : 0);
    // The topic is written first into place, after a worst-case header, then the header is put before it.
    const topicAt = n + 1 + 4 + 2;
    if (topic >= 0) b.set(TOPICS[topic], topicAt);
    else topicLength = this.randomTopic(b, topicAt, topicLength);
    const remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + payloadLength;
    b[n] = 0x30 | flags;
    let at = writeVarint(b, n + 1, remaining);
    b[at] = topicLength >> 8;
    b[at + 1] = topicLength & 0xff;
    at += 2;
    b.copyWithin(at, topicAt, topicAt + topicLength);
    at += topicLength;
    if (qos > 0) {
      const id = this.packetId();
      b[at] = id >> 8;
      b[at + 1] = id & 0xff;
      at += 2;
    }
    for (let i = 0; i < payloadLength; i++) b[at++] = rng.byte();
    return at;
  }

  /** A valid topic name of about `length` bytes (ASCII, '/', and 2-, 3- and 4-byte UTF-8); returns its length. */
  private randomTopic(b: Uint8Array, at: number, length: number): number {
    const rng = this.rng;
    let n = 0;
    while (n < length) {
      const r = rng.below(16);
      if (r === 0) {
        b[at + n++] = 0xc3; // é
        b[at + n++] = 0xa9;
      } else if (r === 1) {
        b[at + n++] = 0xe2; // €
        b[at + n++] = 0x82;
        b[at + n++] = 0xac;
      } else if (r === 2) {
        b[at + n++] = 0xf0; // U+1F600
        b[at + n++] = 0x9f;
        b[at + n++] = 0x98;
        b[at + n++] = 0x80;
      } else b[at + n++] = TOPIC_ALPHABET[rng.below(TOPIC_ALPHABET.length)];
    }
    return n;
  }

  /** Applies one to three mutations to the packet at b[start, end); returns its new end. */
  private mutate(b: Uint8Array, start: number, end: number): number {
    const rng = this.rng;
    const times = rng.range(1, 3);
    for (let t = 0; t < times && end > start; t++) {
      const size = end - start;
      switch (rng.below(9)) {
        case 0: // bit flips
          for (let i = rng.range(1, 3); i > 0; i--) b[start + rng.below(size)] ^= 1 << rng.below(8);
          break;
        case 1: // truncation
          end = start + 1 + rng.below(size);
          break;
        case 2: // the Remaining Length changed
        case 3:
          end = this.relength(b, start, end);
          break;
        case 4: // the flags (or the whole type nibble) changed
          if (rng.below(3) === 0) b[start] = (rng.below(16) << 4) | (b[start] & 0x0f);
          else b[start] = (b[start] & 0xf0) | rng.below(16);
          break;
        case 5: // a byte overwritten, often with a special value
          b[start + rng.below(size)] = rng.below(2) === 0 ? SPECIAL[rng.below(SPECIAL.length)] : rng.byte();
          break;
        case 6: // a byte inserted
          if (end < MAX_CASE - 8) {
            const at = start + 1 + rng.below(size);
            b.copyWithin(at + 1, at, end);
            b[at] = rng.below(2) === 0 ? SPECIAL[rng.below(SPECIAL.length)] : rng.byte();
            end++;
          }
          break;
        case 7: // a byte deleted
          if (size > 1) {
            const at = start + 1 + rng.below(size - 1);
            b.copyWithin(at, at + 1, end);
            end--;
          }
          break;
        default: {
          // a field after the fixed header: the topic length or packet id, zeroed or nudged
          const at = start + headerSize(b, start, end);
          if (at + 1 < end) {
            const r = rng.below(3);
            if (r === 0) b[at] = b[at + 1] = 0;
            else if (r === 1) b[at + 1] = (b[at + 1] + (rng.below(2) === 0 ? 1 : 255)) & 0xff;
            else b[at] = rng.byte();
          }
        }
      }
    }
    return end;
  }

  /** Re-encodes the Remaining Length of the packet at b[start, end) with another value or form. */
  private relength(b: Uint8Array, start: number, end: number): number {
    const rng = this.rng;
    const header = headerSize(b, start, end);
    const oldSize = header - 1;
    const body = end - start - header;
    let value: number;
    const r = rng.below(8);
    if (r === 5) {
      // a Remaining Length that never ends: 4 to 6 bytes with the continuation bit
      const count = rng.range(4, 6);
      const shift = count - oldSize;
      if (end + shift >= MAX_CASE) return end;
      b.copyWithin(start + 1 + count, start + header, end);
      for (let i = 0; i < count; i++) b[start + 1 + i] = 0x80 | rng.below(128);
      return end + shift;
    }
    if (r === 0) value = body + rng.range(1, 4);
    else if (r === 1) value = body > 0 ? body - rng.range(1, Math.min(body, 4)) : 1;
    else if (r === 2) value = rng.below(128);
    else if (r === 3) value = rng.below(3) === 0 ? 268_435_455 : rng.range(128, 2_097_151);
    else if (r === 4) value = rng.range(100, 1200); // around the maximum packet sizes
    else value = Math.max(0, body + rng.range(-1, 1));
    const newSize = varintBytes(value);
    if (end + newSize - oldSize >= MAX_CASE) return end;
    b.copyWithin(start + 1 + newSize, start + header, end);
    writeVarint(b, start + 1, value);
    return end + newSize - oldSize;
  }

  /** Splits the case into chunks and picks the drain schedule. */
  private split(c: FuzzCase): void {
    const rng = this.rng;
    const n = c.length;
    let count = 0;
    const r = rng.below(8);
    if (n === 0) count = 0;
    else if (r < 2) c.chunks[count++] = n; // whole
    else if (r === 2 && n < MAX_CHUNKS) {
      for (let i = 0; i < n; i++) c.chunks[count++] = 1; // one byte at a time
    } else {
      let left = n;
      const pieces = rng.range(2, 16);
      const average = Math.max(1, Math.floor(n / pieces));
      while (left > 0) {
        const take = count === MAX_CHUNKS - 1 ? left : Math.min(left, 1 + rng.below(2 * average));
        c.chunks[count++] = take;
        left -= take;
      }
    }
    c.chunkCount = count;
    for (let i = 0; i <= count; i++) {
      const d = rng.below(8);
      c.drains[i] = d < 4 ? -1 : d < 7 ? 0 : rng.range(1, 8);
    }
  }
}

/** Bytes of the Remaining Length varint for value (at most 4 for valid values). */
function varintBytes(value: number): number {
  return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
}

function writeVarint(b: Uint8Array, at: number, value: number): number {
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    b[at++] = byte;
  } while (value > 0);
  return at;
}

/** The fixed header's size of the packet at b[start, end): 1 + the varint's bytes (as far as they go). */
function headerSize(b: Uint8Array, start: number, end: number): number {
  let at = start + 1;
  while (at < end && at - start < 5 && (b[at] & 0x80) !== 0) at++;
  return Math.min(at + 1, end) - start;
}

// ---- Violations ------------------------------------------------------------------------------------------

/** What a run can find. 0: nothing. */
export const enum Violation {
  None = 0,
  /** An exception escaped the client or the codec. */
  Threw = 1,
  /** The client ended neither connected nor disconnected with a protocol reason (and wantsClose). */
  UndefinedState = 2,
  /** A ring's head/tail out of 0 <= head <= tail <= capacity. */
  RingBounds = 3,
  /** outbox.inflight > options.inflight. */
  InflightBound = 4,
  /** outbox.inflight differs from the QoS 1/2 records in Sending, Sent or Released. */
  InflightCount = 5,
  /** The outbox records disagree with their bytes or counts (age list, live, bytes, order, bounds). */
  OutboxRecords = 6,
  /** queuedCount() differs from the records live, or from stats (queued - acked - dropped). */
  QueuedCount = 7,
  /** The session's id tables out of bounds, or holding id 0. */
  SessionTables = 8,
  /** After the transport wrote everything, the client still takes none of the bytes waiting: no progress. */
  Stuck = 9,
  /** What the client wrote is not a sequence of well-formed client packets. */
  OutputFraming = 10,
  /** The split/drained run ended differently from the reference run (one byte at a time, all written). */
  DiffersFromReference = 11,
  /** onDisconnected/onError disagree with the end state (count or reason). */
  EventsInconsistent = 12,
  /** A decoded packet's fields point outside the packet, or hold values the decoder must refuse. */
  DecodedFields = 13,
  /** Framing the bytes split gave other packets or another outcome than framing them whole. */
  DecoderSplit = 14,
  /** A SUBSCRIBE/UNSUBSCRIBE awaiting its ack whose packet id is no longer in the session's pending table. */
  SubscriptionOrphan = 15,
}
export const VIOLATIONS = 16;

const VIOLATION_NAMES = [
  "none",
  "threw",
  "undefined-state",
  "ring-bounds",
  "inflight-bound",
  "inflight-count",
  "outbox-records",
  "queued-count",
  "session-tables",
  "stuck",
  "output-framing",
  "differs-from-reference",
  "events-inconsistent",
  "decoded-fields",
  "decoder-split",
  "subscription-orphan",
];

/** A violation's name (allocates nothing: the names are made once). */
export function violationName(code: number): string {
  return code >= 0 && code < VIOLATION_NAMES.length ? VIOLATION_NAMES[code] : VIOLATION_NAMES[0];
}

// ---- Client internals, read by the invariant checks ------------------------------------------------------

/** The client's private state the checks read (TypeScript-private fields are plain properties). */
interface ClientInternals {
  input: { rx: ByteRing };
  output: { control: ByteRing };
  outbox: Outbox;
  inbound: { ids: { count: number } };
  subscriptions: { state: Uint8Array; req: Uint16Array; holds(id: number): boolean };
}

/** The client's outbox (for tests that must not publish into a full one). */
export function outboxOf(client: MqttClient): Outbox {
  return (client as unknown as ClientInternals).outbox;
}

function ringOk(ring: ByteRing): boolean {
  return ring.head >= 0 && ring.head <= ring.tail && ring.tail <= ring.capacity;
}

/** Checks the client's invariants; returns 0 or a Violation. Allocates nothing. */
export function checkInvariants(client: MqttClient): number {
  const c = client as unknown as ClientInternals;
  const outbox = c.outbox;
  if (!ringOk(c.input.rx) || !ringOk(c.output.control)) return Violation.RingBounds;
  if (outbox.inflight < 0 || outbox.inflight > client.options.inflight) return Violation.InflightBound;
  if (outbox.live < 0 || outbox.live > outbox.slots) return Violation.OutboxRecords;
  // The age list: every live record once, bytes in record order without overlap, the counts right.
  let live = 0;
  let bytes = 0;
  let queued = 0;
  let queuedBytes = 0;
  let inflight = 0;
  let end = 0;
  for (let i = outbox.first; i !== -1; i = outbox.next[i]) {
    if (++live > outbox.slots) return Violation.OutboxRecords;
    const state = outbox.state[i];
    if (state < 1 || state > 4 || outbox.offset[i] < end || outbox.length[i] <= 0) return Violation.OutboxRecords;
    end = outbox.offset[i] + outbox.length[i];
    bytes += outbox.length[i];
    if (state === 1) {
      queued++;
      queuedBytes += outbox.length[i];
    } else if (outbox.qos[i] > 0) inflight++;
  }
  if (end > outbox.capacity || live !== outbox.live || bytes !== outbox.liveBytes || queued !== outbox.queued || queuedBytes !== outbox.queuedBytes) return Violation.OutboxRecords;
  if (inflight !== outbox.inflight) return Violation.InflightCount;
  const stats = client.stats;
  // Every message the app handed over is accounted for, once.
  if (client.queuedCount() !== live || stats.published !== stats.refused + stats.completed + stats.dropped + stats.unconfirmed + live) return Violation.QueuedCount;
  if (c.inbound.ids.count < 0 || c.inbound.ids.count > 65_535) return Violation.SessionTables;
  if (client.state === ClientState.Connected) {
    // An entry Pending (2) or Removing (5) waits for the ack of a request still outstanding.
    const sub = c.subscriptions;
    for (let i = 0; i < sub.state.length; i++) {
      if ((sub.state[i] === 2 || sub.state[i] === 5) && !sub.holds(sub.req[i])) return Violation.SubscriptionOrphan;
    }
  }
  return Violation.None;
}

// ---- The client's output ---------------------------------------------------------------------------------

/**
 * Follows what the client writes, across partial writes, and checks it is a sequence of well-formed client
 * packets (3.1.1): a type a client sends, its required flags, a Remaining Length of at most four bytes, and
 * the fixed lengths of acks, PINGREQ and DISCONNECT. Allocation-free.
 */
export class OutputChecker {
  /** 0: at a packet's first byte; 1: in its Remaining Length; 2: in its body. */
  stage = 0;
  type = 0;
  remaining = 0;
  multiplier = 1;
  lengthBytes = 0;
  packets = 0;
  bytes = 0;
  /** The first problem seen (a Violation), or 0. */
  error = 0;

  reset(): void {
    this.stage = 0;
    this.remaining = 0;
    this.packets = 0;
    this.bytes = 0;
    this.error = 0;
  }

  /** True between packets: nothing written is left half-sent. */
  atBoundary(): boolean {
    return this.stage === 0;
  }

  feed(buf: Uint8Array, off: number, length: number): void {
    this.bytes += length;
    for (let i = 0; i < length; i++) {
      if (this.error !== 0) return;
      const byte = buf[off + i];
      if (this.stage === 0) {
        const type = byte >> 4;
        const flags = byte & 0x0f;
        let ok: boolean;
        if (type === 3) ok = (flags & 0x06) !== 0x06;
        else if (type === 6 || type === 8 || type === 10) ok = flags === 2;
        else ok = (type === 1 || type === 4 || type === 5 || type === 7 || type === 12 || type === 14) && flags === 0;
        if (!ok) {
          this.error = Violation.OutputFraming;
          return;
        }
        this.type = type;
        this.stage = 1;
        this.remaining = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.stage === 1) {
        this.remaining += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if ((byte & 0x80) !== 0) {
          if (this.lengthBytes === 4) this.error = Violation.OutputFraming;
          continue;
        }
        const t = this.type;
        if ((t >= 4 && t <= 7 && this.remaining !== 2) || ((t === 12 || t === 14) && this.remaining !== 0)) {
          this.error = Violation.OutputFraming;
          return;
        }
        this.packets++;
        this.stage = this.remaining === 0 ? 0 : 2;
      } else if (--this.remaining === 0) this.stage = 0;
    }
  }
}

// ---- Events ----------------------------------------------------------------------------------------------

/** Records a client's callbacks as counts and a digest (FNV-1a over what they carried). Allocation-free once made. */
export class Recorder {
  digest = 0;
  disconnects = 0;
  lastDisconnect = -1;
  errors = 0;
  lastError = 0;
  messages = 0;
  acked = 0;
  connects = 0;
  readonly callbacks: Pick<ClientOptions, "onConnected" | "onMessage" | "onAcked" | "onSubscribed" | "onDisconnected" | "onError">;

  constructor() {
    this.reset();
    this.callbacks = {
      onConnected: (present: boolean) => {
        this.connects++;
        this.mix(3);
        this.mix(present ? 1 : 0);
      },
      onMessage: (m: MessageView) => {
        this.messages++;
        this.mix(1);
        this.mix(m.qos | (m.dup ? 4 : 0) | (m.retain ? 8 : 0));
        this.mix(m.packetId);
        this.mix(m.topicLength);
        for (let i = 0; i < m.topicLength; i++) this.mix(m.topicBuffer[m.topicOffset + i]);
        this.mix(m.payloadLength);
        for (let i = 0; i < m.payloadLength; i++) this.mix(m.buffer[m.payloadOffset + i]);
      },
      onAcked: (id: number) => {
        this.acked++;
        this.mix(2);
        this.mix(id);
      },
      onSubscribed: (_topic: string, code: number) => {
        this.mix(4);
        this.mix(code);
      },
      onDisconnected: (reason: number) => {
        this.disconnects++;
        this.lastDisconnect = reason;
        this.mix(5);
        this.mix(reason);
      },
      onError: (code: number) => {
        this.errors++;
        this.lastError = code;
        this.mix(6);
        this.mix(code);
      },
    };
  }

  reset(): void {
    this.digest = 0x811c9dc5 | 0;
    this.disconnects = this.errors = this.messages = this.acked = this.connects = 0;
    this.lastDisconnect = -1;
    this.lastError = 0;
  }

  mix(value: number): void {
    this.digest = Math.imul(this.digest ^ (value | 0), 0x01000193);
  }
}

// ---- Fixtures --------------------------------------------------------------------------------------------

/** The clock of every fuzz run: time does not move (no timer fires mid-case). */
export const NOW = 1_000_000;
const CLIENT_ID = "fuzz";
const SUB_A = "a/+";
const SUB_B = "b/#";
const PUB_TOPIC = "t";
const CONNACK = Uint8Array.of(0x20, 2, 0, 0);
const CONNACK_SESSION = Uint8Array.of(0x20, 2, 1, 0);
const SUBACK_1 = Uint8Array.of(0x90, 4, 0, 1, 1, 2);
const PUBREC_3 = Uint8Array.of(0x50, 2, 0, 3);
const PAYLOAD = new Uint8Array(64);
for (let i = 0; i < PAYLOAD.length; i++) PAYLOAD[i] = 0x41 + (i % 26);
/** Bytes of CONNECT for CLIENT_ID: the control buffer of TINY_CONTROL is this plus 12. */
const CONNECT_SIZE = 18;

/** Takes up to `max` bytes (-1: all) of the client's output, as a socket would, into `out`; returns the count. */
export function drain(client: MqttClient, max: number, out: OutputChecker | null): number {
  let total = 0;
  for (let length = client.outputLength(); length > 0; length = client.outputLength()) {
    let n = length;
    if (max >= 0 && n > max - total) n = max - total;
    if (n <= 0) break;
    if (out !== null) out.feed(client.outputBuffer(), client.outputOffset(), n);
    client.written(n, NOW);
    total += n;
  }
  return total;
}

/** A client in the set-up `fixture` (see Fixture), with its callbacks going to `rec`. Allocates (a new client). */
export function makeFixture(fixture: number, rec: Recorder): MqttClient {
  const client = new MqttClient({
    clientId: CLIENT_ID,
    keepalive: 60,
    clean: fixture !== Fixture.Resumed,
    receiveBufferSize: 128,
    maxPacketSize: 128,
    transmitBufferSize: 1024,
    controlBufferSize: fixture === Fixture.TinyControl ? CONNECT_SIZE + 12 : undefined,
    inflight: 4,
    queueSlots: 8,
    subscriptions: 4,
    random: half,
    ...rec.callbacks,
  });
  client.subscribe([
    { topic: SUB_A, qos: 1 },
    { topic: SUB_B, qos: 2 },
  ]);
  client.start(NOW);
  client.shouldOpen(NOW);
  client.opened(NOW);
  drain(client, -1, null); // CONNECT
  const topic = new TopicHandle(PUB_TOPIC);
  if (fixture !== Fixture.Connecting) {
    client.receive(CONNACK, 0, 4, NOW);
    drain(client, -1, null); // SUBSCRIBE, id 1
  }
  if (fixture === Fixture.Resumed) client.receive(SUBACK_1, 0, SUBACK_1.length, NOW);
  // Ids 2-6: QoS 1, 2, 1, 2, 1; four in flight, the fifth waits for the window.
  for (let i = 0; i < 5; i++) client.publish(topic, PAYLOAD, (i % 2 === 0 ? 1 : 2) as 1 | 2, false, 0, fixture === Fixture.Resumed ? 20 + 8 * i : 3 + i);
  drain(client, -1, null);
  if (fixture === Fixture.Resumed) {
    client.receive(PUBREC_3, 0, 4, NOW); // id 3 past PUBREC: PUBREL goes again after the reconnect
    drain(client, -1, null);
    client.closed(NOW);
    client.poll(NOW + 10_000);
    client.shouldOpen(NOW + 10_000);
    client.opened(NOW);
    drain(client, -1, null); // CONNECT
    client.receive(CONNACK_SESSION, 0, 4, NOW); // the resends wait in the output: the case's drains write them
  }
  rec.reset();
  return client;
}

function half(): number {
  return 0.5;
}

// ---- Runs ------------------------------------------------------------------------------------------------

/** How a run ended. */
export class RunEnd {
  state = 0;
  reason = 0;
  wantsClose = false;
  digest = 0;
  taken = 0;

  set(client: MqttClient, rec: Recorder, taken: number): void {
    this.state = client.state;
    this.reason = client.state === ClientState.Connected || client.state === ClientState.Connecting ? 0 : client.lastReason;
    this.wantsClose = client.wantsClose;
    this.digest = rec.digest;
    this.taken = taken;
  }

  same(other: RunEnd): boolean {
    return this.state === other.state && this.reason === other.reason && this.wantsClose === other.wantsClose && this.digest === other.digest && this.taken === other.taken;
  }
}

/** Whether the client's end is one the fuzzer accepts (see the module comment of test/fuzz/fuzz.test.ts). */
export function definedEnd(client: MqttClient, rec: Recorder, fixture: number): number {
  const state = client.state;
  if (state === ClientState.Connected || (fixture === Fixture.Connecting && state === ClientState.Connecting)) {
    if (client.wantsClose) return Violation.UndefinedState;
    return rec.disconnects === 0 ? Violation.None : Violation.EventsInconsistent;
  }
  if (state !== ClientState.Waiting || !client.wantsClose) return Violation.UndefinedState;
  const r = client.lastReason;
  const protocol = r === 0x81 || r === 0x82 || r === 0x95;
  const refusal = fixture === Fixture.Connecting && r >= 0x84 && r <= 0x88;
  if (!protocol && !refusal) return Violation.UndefinedState;
  if (rec.disconnects !== 1 || rec.lastDisconnect !== r || rec.lastError !== r) return Violation.EventsInconsistent;
  return Violation.None;
}

/**
 * Feeds `length` bytes at `off` to the client as a transport would: what it does not take now is offered
 * again after everything it has to send was written. Returns the bytes taken, or -1 when it took none even
 * then while still connected (stuck).
 */
export function feed(client: MqttClient, bytes: Uint8Array, off: number, length: number, out: OutputChecker | null): number {
  let taken = 0;
  while (taken < length) {
    const n = client.receive(bytes, off + taken, length - taken, NOW);
    taken += n;
    if (taken >= length) break;
    if (n === 0) {
      drain(client, -1, out);
      const again = client.receive(bytes, off + taken, length - taken, NOW);
      if (again === 0) return -1;
      taken += again;
    }
  }
  return taken;
}

/** Runs cases against the decoder and the client. One instance, reused; the runs allocate a client per run. */
export class FuzzRunner {
  readonly rec = new Recorder();
  readonly out = new OutputChecker();
  readonly reference = new RunEnd();
  readonly result = new RunEnd();
  // The decoder run's state.
  readonly ring = new ByteRing(MAX_CASE + 16);
  readonly frame = new FrameReader(128);
  readonly packet = new IncomingPacket();
  /** Which chunk (or -1: the end checks, -2: the reference run) the last violation was found at. */
  where = 0;
  /** The message of an exception that escaped, when the violation is Threw. */
  thrown: string | null = null;

  /** Runs both drivers on a case; returns 0 or the first Violation. */
  run(c: FuzzCase): number {
    const v = this.runDecoder(c);
    return v !== Violation.None ? v : this.runClient(c);
  }

  // -- (a) FrameReader + decodePacket ---------------------------------------------------------------------

  /** Frames and decodes the case whole, then as split: same packets, same outcome; fields within bounds. */
  runDecoder(c: FuzzCase): number {
    this.frame.maxPacketSize = c.decoderMax;
    try {
      this.ring.clear();
      this.ring.write(c.bytes, 0, c.length);
      this.decoderConsumed = 0;
      this.decodedPackets = 0;
      const whole = this.decodeAll(0);
      if (whole < 0 && whole > -1000) return -whole;
      this.decodeError = whole < 0 ? whole + 1000 : 0;
      this.decodedPackets = this.countedPackets;
      const wholeDigest = this.decoderDigest;
      const wholeConsumed = this.decoderConsumed;
      this.ring.clear();
      this.decoderDigest = 0;
      this.decoderConsumed = 0;
      let status = 0;
      let off = 0;
      for (let k = 0; k < c.chunkCount && status === 0; k++) {
        this.ring.write(c.bytes, off, c.chunks[k]);
        off += c.chunks[k];
        status = this.decodeAll(this.decoderDigest);
        if (status < 0 && status > -1000) {
          this.where = k;
          return -status;
        }
      }
      if (this.decoderDigest !== wholeDigest || this.decoderConsumed !== wholeConsumed || status !== whole) {
        this.where = -1;
        return Violation.DecoderSplit;
      }
    } catch (e) {
      this.thrown = describe(e);
      return Violation.Threw;
    }
    return Violation.None;
  }

  private decoderDigest = 0;
  private decoderConsumed = 0;
  private countedPackets = 0;
  /** The last decoder run (whole): packets decoded, and the DecodeError it ended with (0: none). */
  decodedPackets = 0;
  decodeError = 0;

  /**
   * Frames and decodes every whole packet in the ring; returns 0 (waiting for more), the DecodeError that
   * stopped it minus 1000, or minus a Violation.
   */
  private decodeAll(digest: number): number {
    const ring = this.ring;
    const frame = this.frame;
    const p = this.packet;
    this.decoderDigest = digest;
    this.countedPackets = 0;
    for (;;) {
      const length = frame.read(ring.buffer, ring.head, ring.tail);
      if (length === 0) return 0;
      if (length < 0) {
        if (length < -18) return -Violation.DecodedFields;
        this.decoderDigest = Math.imul(this.decoderDigest ^ length, 0x01000193);
        return length - 1000;
      }
      if (length > frame.maxPacketSize || length > ring.tail - ring.head) return -Violation.DecodedFields;
      const status = decodePacket(ring.buffer, frame, p, ProtocolVersion.V311);
      this.decoderDigest = Math.imul(this.decoderDigest ^ ((status << 8) | frame.type), 0x01000193);
      if (status < 0) {
        if (status < -18 || status === -15) return -Violation.DecodedFields;
        return status - 1000;
      }
      const bad = checkDecoded(p, frame, ring.head, ring.head + length);
      if (bad !== 0) return -bad;
      this.decoderDigest = Math.imul(this.decoderDigest ^ (p.packetId + (p.payloadLength << 16)), 0x01000193);
      ring.consume(length);
      this.decoderConsumed += length;
      this.countedPackets++;
    }
  }

  // -- (b) the client -----------------------------------------------------------------------------------------

  /**
   * The reference run (each chunk fed one byte at a time, written at the same points), then the case's own
   * schedule: a client's behaviour may depend on when its output is written (a broker cannot ack what it
   * was not sent), never on how its input is split.
   */
  runClient(c: FuzzCase): number {
    const rec = this.rec;
    try {
      let client = makeFixture(c.fixture, rec);
      const v = this.schedule(client, c, RunKind.Reference);
      if (v !== Violation.None) {
        this.failedRun = RunKind.Reference;
        return v;
      }
      this.reference.set(client, rec, this.lastTaken);
      client = makeFixture(c.fixture, rec);
      const w = this.schedule(client, c, RunKind.Split);
      if (w !== Violation.None) {
        this.failedRun = RunKind.Split;
        return w;
      }
      this.result.set(client, rec, this.lastTaken);
    } catch (e) {
      this.thrown = describe(e);
      return Violation.Threw;
    }
    if (!this.result.same(this.reference)) {
      this.where = -1;
      this.failedRun = RunKind.Split;
      return Violation.DiffersFromReference;
    }
    return Violation.None;
  }

  /**
   * The ideal run: one byte at a time, everything written after each byte (no back-pressure ever). Its end
   * is the expected defined state saved with a regression vector. Returns 0 or a Violation; the end is in `ideal`.
   */
  runIdeal(c: FuzzCase): number {
    try {
      const client = makeFixture(c.fixture, this.rec);
      const v = this.schedule(client, c, RunKind.Ideal);
      this.ideal.set(client, this.rec, this.lastTaken);
      return v;
    } catch (e) {
      this.thrown = describe(e);
      return Violation.Threw;
    }
  }

  readonly ideal = new RunEnd();
  /** Which run found the last violation (a RunKind). */
  failedRun = 0;
  lastTaken = 0;

  /** Feeds the case to a fixture client (see RunKind). */
  schedule(client: MqttClient, c: FuzzCase, kind: number): number {
    const out = this.out;
    const rec = this.rec;
    out.reset();
    const bytewise = kind !== RunKind.Split;
    drain(client, kind === RunKind.Ideal ? -1 : c.drains[0], out);
    if (out.error !== 0) return out.error;
    let off = 0;
    let taken = 0;
    for (let k = 0; k < c.chunkCount; k++) {
      this.where = k;
      const size = c.chunks[k];
      if (bytewise) {
        for (let i = 0; i < size; i++) {
          const t = feed(client, c.bytes, off + i, 1, out);
          if (t < 0) return Violation.Stuck;
          taken += t;
          if (kind === RunKind.Ideal) drain(client, -1, out);
          if (out.error !== 0) return out.error;
        }
      } else {
        const t = feed(client, c.bytes, off, size, out);
        if (t < 0) return Violation.Stuck;
        taken += t;
      }
      if (kind !== RunKind.Ideal) drain(client, c.drains[k + 1], out);
      if (out.error !== 0) return out.error;
      off += size;
      const v = checkInvariants(client);
      if (v !== Violation.None) return v;
    }
    this.where = -1;
    drain(client, -1, out);
    if (out.error !== 0) return out.error;
    // Still connected, everything written: nothing may be left half-sent.
    if ((client.state === ClientState.Connected || client.state === ClientState.Connecting) && !out.atBoundary()) return Violation.OutputFraming;
    const v = checkInvariants(client);
    if (v !== Violation.None) return v;
    this.lastTaken = taken;
    return definedEnd(client, rec, c.fixture);
  }
}

/** The three ways a case is fed to a client. */
export const enum RunKind {
  /** The case's chunks, its drains between them. */
  Split = 0,
  /** Each chunk one byte at a time; the same drains, at the same points. */
  Reference = 1,
  /** One byte at a time, everything written after each byte. */
  Ideal = 2,
}

/** Checks the fields decodePacket filled for the packet at buf[start, end); returns 0 or a Violation. */
function checkDecoded(p: IncomingPacket, frame: FrameReader, start: number, end: number): number {
  const body = frame.bodyOffset;
  if (body <= start || body + frame.remainingLength !== end || p.type !== frame.type) return Violation.DecodedFields;
  switch (p.type) {
    case 2:
      if (p.returnCode > 5 || (p.returnCode !== 0 && p.sessionPresent)) return Violation.DecodedFields;
      return 0;
    case 3: {
      if (p.qos > 2 || (p.qos > 0) !== (p.packetId > 0) || p.packetId > 65535) return Violation.DecodedFields;
      if (p.topicOffset !== body + 2 || p.topicLength < 1) return Violation.DecodedFields;
      if (p.payloadOffset !== p.topicOffset + p.topicLength + (p.qos > 0 ? 2 : 0)) return Violation.DecodedFields;
      if (p.payloadOffset + p.payloadLength !== end || p.payloadLength < 0) return Violation.DecodedFields;
      if (validateTopicName(p.buffer, p.topicOffset, p.topicLength) !== 0) return Violation.DecodedFields;
      return 0;
    }
    case 4:
    case 5:
    case 6:
    case 7:
    case 11:
      return p.packetId >= 1 && p.packetId <= 65535 && frame.remainingLength === 2 ? 0 : Violation.DecodedFields;
    case 9: {
      if (p.packetId < 1 || p.returnCodesOffset !== body + 2 || p.returnCodesOffset + p.returnCodesCount !== end || p.returnCodesCount < 1) return Violation.DecodedFields;
      for (let i = 0; i < p.returnCodesCount; i++) {
        const code = p.buffer[p.returnCodesOffset + i];
        if (code > 2 && code !== 0x80) return Violation.DecodedFields;
      }
      return 0;
    }
    case 13:
      return frame.remainingLength === 0 ? 0 : Violation.DecodedFields;
    default:
      return Violation.DecodedFields; // a type a client never receives was decoded as valid
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.name + ": " + e.message : String(e);
}

// ---- Batches ---------------------------------------------------------------------------------------------

/** Counts over a batch of cases, for coverage figures and the CI assertions. */
export class FuzzStats {
  cases = 0;
  readonly violations = new Int32Array(VIOLATIONS);
  readonly modes = new Int32Array(MODES);
  readonly fixtures = new Int32Array(FIXTURES);
  /** How the schedule runs ended: connected (or still connecting), or the disconnect reason. */
  connected = 0;
  malformed = 0;
  protocolError = 0;
  tooLarge = 0;
  refused = 0;
  /** Packets the decoder runs decoded (whole feeding), and the runs that ended in a DecodeError. */
  decodedPackets = 0;
  decodeErrors = 0;
  /** Cases split into more than one chunk. */
  split = 0;
  /** The first failing case of each violation (its index), -1 if none. */
  readonly firstFailure = new Int32Array(VIOLATIONS).fill(-1);
}

/**
 * Runs cases [from, from + count) of run `seed`, counting into `stats`; calls onFailure (if given) with each
 * failing case, the violation and the runner (for where/thrown). Returns the number of failing cases.
 */
export function runBatch(
  seed: number,
  from: number,
  count: number,
  stats: FuzzStats,
  onFailure?: (c: FuzzCase, index: number, violation: number, runner: FuzzRunner) => void,
): number {
  const generator = new Generator();
  const runner = new FuzzRunner();
  const c = new FuzzCase();
  let failures = 0;
  for (let index = from; index < from + count; index++) {
    generator.generate(c, seed, index);
    runner.thrown = null;
    const v = runner.run(c);
    stats.cases++;
    stats.modes[c.mode]++;
    stats.fixtures[c.fixture]++;
    if (c.chunkCount > 1) stats.split++;
    stats.decodedPackets += runner.decodedPackets;
    if (runner.decodeError !== 0) stats.decodeErrors++;
    if (v !== Violation.None) {
      failures++;
      stats.violations[v]++;
      if (stats.firstFailure[v] < 0) stats.firstFailure[v] = index;
      if (onFailure) onFailure(c, index, v, runner);
      continue;
    }
    const end = runner.result;
    if (end.state === ClientState.Connected || end.state === ClientState.Connecting) stats.connected++;
    else if (end.reason === 0x81) stats.malformed++;
    else if (end.reason === 0x82) stats.protocolError++;
    else if (end.reason === 0x95) stats.tooLarge++;
    else stats.refused++;
  }
  return failures;
}

/** A plain-data copy of a case (for a regression vector file). Allocates. */
export function caseData(c: FuzzCase): { bytes: number[]; chunks: number[]; drains: number[]; fixture: number } {
  return {
    bytes: Array.from(c.bytes.subarray(0, c.length)),
    chunks: Array.from(c.chunks.subarray(0, c.chunkCount)),
    drains: Array.from(c.drains.subarray(0, c.chunkCount + 1)),
    fixture: c.fixture,
  };
}

/** How the reference run ended, in words: the expected defined state of a saved vector. Allocates. */
export function describeEnd(end: RunEnd): string {
  if (end.state === ClientState.Connected) return "connected";
  if (end.state === ClientState.Connecting) return "connecting";
  return "disconnected 0x" + end.reason.toString(16);
}

// ---- Shrinking (Node's long runs; allocates) --------------------------------------------------------------

/** A case as plain data: what a regression vector file holds. */
export interface CaseData {
  bytes: number[];
  chunks: number[];
  drains: number[];
  fixture: number;
}

/** Runs a case given as data; returns its Violation (0: none). */
export function runData(data: CaseData, runner: FuzzRunner = new FuzzRunner(), c: FuzzCase = new FuzzCase()): number {
  c.load(data.bytes, data.chunks, data.drains, data.fixture);
  c.decoderMax = 128;
  runner.thrown = null;
  return runner.run(c);
}

/**
 * Shrinks a failing case while it still fails with the same violation: drops trailing chunks, removes
 * bytes one at a time (and chunks emptied by that), merges chunks, and simplifies drains to -1 or 0.
 */
export function shrink(data: CaseData, violation: number, budget = 20_000): CaseData {
  const runner = new FuzzRunner();
  const c = new FuzzCase();
  let best: CaseData = { bytes: data.bytes.slice(), chunks: data.chunks.slice(), drains: data.drains.slice(), fixture: data.fixture };
  let tries = 0;
  const fails = (d: CaseData) => ++tries <= budget && d.bytes.length > 0 && runData(d, runner, c) === violation;
  let improved = true;
  while (improved && tries < budget) {
    improved = false;
    // Trailing chunks away.
    while (best.chunks.length > 1) {
      const last = best.chunks[best.chunks.length - 1];
      const d = { bytes: best.bytes.slice(0, best.bytes.length - last), chunks: best.chunks.slice(0, -1), drains: best.drains.slice(0, -1), fixture: best.fixture };
      if (!fails(d)) break;
      best = d;
      improved = true;
    }
    // Whole packets away (as far as the bytes frame), last first.
    const starts = packetStarts(best.bytes);
    for (let k = starts.length - 1; k >= 0 && tries < budget; k--) {
      const end = k + 1 < starts.length ? starts[k + 1] : best.bytes.length;
      const d = removeBytes(best, starts[k], end - starts[k]);
      if (d && fails(d)) {
        best = d;
        improved = true;
      }
    }
    // Runs of bytes away, then single bytes.
    for (let size = highestPowerOfTwo(best.bytes.length); size >= 1; size >>= 1) {
      for (let i = best.bytes.length - size; i >= 0 && tries < budget; i -= size === 1 ? 1 : Math.max(1, size >> 1)) {
        const d = removeBytes(best, i, size);
        if (d && fails(d)) {
          best = d;
          improved = true;
          i = Math.min(i, best.bytes.length - size + 1);
        }
      }
    }
    // Neighbouring chunks merged.
    for (let k = best.chunks.length - 2; k >= 0 && tries < budget; k--) {
      const chunks = best.chunks.slice();
      chunks.splice(k, 2, chunks[k] + chunks[k + 1]);
      const drains = best.drains.slice();
      drains.splice(k + 1, 1);
      const d = { bytes: best.bytes, chunks, drains, fixture: best.fixture };
      if (fails(d)) {
        best = d;
        improved = true;
      }
    }
    // Drains simplified.
    for (let k = 0; k < best.drains.length && tries < budget; k++) {
      for (const value of [-1, 0]) {
        if (best.drains[k] === value || (value === 0 && best.drains[k] === -1)) continue;
        const drains = best.drains.slice();
        drains[k] = value;
        const d = { bytes: best.bytes, chunks: best.chunks, drains, fixture: best.fixture };
        if (fails(d)) {
          best = d;
          improved = true;
          break;
        }
      }
    }
  }
  return best;
}

/** Where each packet starts, framing the bytes by their fixed headers (a bad header ends the framing). */
function packetStarts(bytes: number[]): number[] {
  const starts: number[] = [];
  let at = 0;
  while (at < bytes.length) {
    starts.push(at);
    let value = 0;
    let multiplier = 1;
    let i = at + 1;
    for (; i < bytes.length && i - at <= 4; i++) {
      value += (bytes[i] & 0x7f) * multiplier;
      multiplier *= 128;
      if ((bytes[i] & 0x80) === 0) break;
    }
    if (i >= bytes.length || (bytes[i] & 0x80) !== 0) break;
    at = i + 1 + value;
  }
  return starts;
}

function highestPowerOfTwo(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/** The case without bytes [index, index + count); chunks shortened (emptied ones go, with their drains). */
function removeBytes(d: CaseData, index: number, count: number): CaseData | null {
  if (count >= d.bytes.length || index < 0 || index + count > d.bytes.length) return null;
  const bytes = d.bytes.slice();
  bytes.splice(index, count);
  const chunks: number[] = [];
  const drains: number[] = [d.drains[0]];
  let at = 0;
  for (let k = 0; k < d.chunks.length; k++) {
    const from = at;
    const to = at + d.chunks[k];
    at = to;
    const cut = Math.max(0, Math.min(to, index + count) - Math.max(from, index));
    const left = d.chunks[k] - cut;
    if (left > 0) {
      chunks.push(left);
      drains.push(d.drains[k + 1]);
    } else drains[drains.length - 1] = d.drains[k + 1] === -1 || drains[drains.length - 1] === -1 ? -1 : Math.max(drains[drains.length - 1], d.drains[k + 1]);
  }
  return { bytes, chunks, drains, fixture: d.fixture };
}

/** Bytes as "0a 1b ..." (vector files). */
export function toHex(bytes: ArrayLike<number>): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += (i > 0 ? " " : "") + (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return text;
}

export function fromHex(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(/\s+/)) if (part.length > 0) out.push(parseInt(part, 16));
  return out;
}
