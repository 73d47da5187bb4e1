/**
 * MQTT 5.0 Topic Aliases from us to the broker (§3.3.2.3.4), for topics published through a TopicHandle
 * (what a device publishes again and again; a string topic always goes whole). A fixed table of
 * min(options.topicAliases, the server's Topic Alias Maximum) aliases, each naming a handle; the least
 * recently used one is replaced when it is full. An alias is sent with its topic first (it "sets" it) and
 * only once that PUBLISH went whole is the alias alone used: a message dropped before it went (a queue
 * policy, an expiry) can never leave later ones pointing at an alias the broker does not know, and the
 * outbox sends in age order, so a replaced alias's older messages reach the broker before its new
 * setter; and an alias goes alone only while no older setter of it waits to be written (outbound.ts).
 * No alias carries over a connection [MQTT-3.3.2-7]: an alias-only PUBLISH not yet acknowledged
 * is written again with its topic (Outbox.widen) before the next connection sends it.
 */
import { readU16, readVarint, varintSize, writeU16, writeVarint } from "../codec/wire.js";
import { NONE, RecordState, type Outbox } from "./outbox.js";

/** The table of a client with no aliases (3.1.1, or options.topicAliases 0): choose() is never called, one for all. */
const NO_TOPICS: (Uint8Array | null)[] = Object.freeze([]) as unknown as (Uint8Array | null)[];
const NO_USES = new Float64Array(0);

export class OutgoingAliases {
  /** By alias - 1: the handle's bytes it names (identity), or null. */
  private readonly topics: (Uint8Array | null)[];
  /** By alias - 1: the topic the broker has for it now (the last setter written on this connection), or null. */
  private readonly brokerHas: (Uint8Array | null)[];
  private readonly used: Float64Array;
  private clock = 0;
  /** Aliases usable on this connection: 0 while not connected. */
  private usable = 0;
  /** By outbox record: its alias; > 0 sent alone, < 0 sent with its topic (setting it), 0 none. */
  readonly aliasOf: Int32Array;
  /** By outbox record: its topic's bytes (a handle's), kept to write it whole again. */
  readonly topicOf: (Uint8Array | null)[];

  constructor(
    /** Our table's size (options.topicAliases); 0: no aliases. */
    readonly capacity: number,
    slots: number,
  ) {
    this.topicOf = new Array<Uint8Array | null>(slots).fill(null);
    if (capacity === 0) {
      this.topics = this.brokerHas = NO_TOPICS; // connected() fills them: nothing, as they are empty
      this.used = NO_USES;
      this.aliasOf = new Int32Array(slots);
      return;
    }
    this.topics = new Array<Uint8Array | null>(capacity).fill(null);
    this.brokerHas = new Array<Uint8Array | null>(capacity).fill(null);
    // One ArrayBuffer, two views (4 slots each; an array with its own buffer is 7): the 8-byte one first.
    this.used = new Float64Array(new ArrayBuffer(capacity * 8 + slots * 4), 0, capacity);
    this.aliasOf = new Int32Array(this.used.buffer, capacity * 8, slots);
  }

  /** A connection is up; the server allows `serverMaximum` aliases. The table starts empty [MQTT-3.3.2-7]. */
  connected(serverMaximum: number): void {
    this.usable = serverMaximum < this.capacity ? serverMaximum : this.capacity;
    this.topics.fill(null);
    this.brokerHas.fill(null);
  }

  /** The connection is gone: no alias until the next CONNACK. */
  lost(): void {
    this.usable = 0;
  }

  /**
   * The alias for a PUBLISH of `topic` now: k > 0, established (send the alias alone); -k, assigned now
   * or not yet established (send the topic and the alias); 0, none (not connected, or no aliases).
   */
  choose(topic: Uint8Array): number {
    const usable = this.usable;
    if (usable === 0) return 0;
    let free = -1;
    let oldest = 0;
    for (let k = 0; k < usable; k++) {
      const named = this.topics[k];
      if (named === topic) {
        this.used[k] = ++this.clock;
        return this.brokerHas[k] === topic ? k + 1 : -(k + 1);
      }
      if (named === null) {
        if (free < 0) free = k;
      } else if (this.used[k] < this.used[oldest]) oldest = k;
    }
    const k = free >= 0 ? free : oldest; // the least recently used is replaced
    this.topics[k] = topic;
    this.used[k] = ++this.clock;
    return -(k + 1);
  }

  /**
   * Record `i`'s PUBLISH went whole: if it set an alias, the broker has that alias for its topic now
   * (whatever our table names: a publish the queue refused may have re-assigned it meanwhile); the
   * alias alone is used only while both agree.
   */
  written(i: number): void {
    const alias = this.aliasOf[i];
    if (alias >= 0) return;
    const k = -alias - 1;
    if (k < this.usable) this.brokerHas[k] = this.topicOf[i];
  }

  /** Whether a record that sets alias `alias` (with whatever topic) waits in `outbox` to be written. */
  setterWaiting(outbox: Outbox, alias: number): boolean {
    const aliasOf = this.aliasOf;
    for (let i = outbox.first; i !== NONE; i = outbox.next[i]) {
      if (aliasOf[i] === -alias && (outbox.state[i] === RecordState.Queued || outbox.state[i] === RecordState.Sending)) return true;
    }
    return false;
  }

  /** A new connection: every PUBLISH that will go again and carries an alias is written whole, without it. */
  rewriteAll(outbox: Outbox): void {
    for (let i = outbox.first; i !== NONE; i = outbox.next[i]) {
      if (this.aliasOf[i] === 0) continue;
      if (outbox.state[i] !== RecordState.Released) writeTopicAgain(outbox, i, this.topicOf[i]!);
      this.aliasOf[i] = 0;
    }
  }
}

/**
 * Writes record `i`'s PUBLISH again with its topic whole and without its Topic Alias (the last property,
 * three bytes), in place: the payload and the records after it move by the difference (the record's
 * spare counted for it). For an alias-only PUBLISH or one that set an alias, before a new connection
 * sends it [MQTT-3.3.2-7]. Its flags (DUP, QoS, RETAIN), packet id and other properties stay.
 */
export function writeTopicAgain(outbox: Outbox, i: number, topic: Uint8Array): void {
  const bytes = outbox.bytes;
  let off = outbox.offset[i];
  const qos = (bytes[off] >> 1) & 3;
  const remaining = readVarint(bytes, off + 1, off + 5);
  let at = off + 1 + varintSize(remaining);
  const topicLength = readU16(bytes, at);
  at += 2 + topicLength;
  const packetId = qos > 0 ? readU16(bytes, at) : 0;
  if (qos > 0) at += 2;
  const propertiesLength = readVarint(bytes, at, at + 4);
  const propertiesAt = at + varintSize(propertiesLength) - off; // relative to the record
  const payloadAt = propertiesAt + propertiesLength;
  const payloadLength = outbox.length[i] - payloadAt;
  const kept = propertiesLength - 3; // the alias goes
  const newRemaining = 2 + topic.length + (qos > 0 ? 2 : 0) + varintSize(kept) + kept + payloadLength;
  const newPropertiesAt = 1 + varintSize(newRemaining) + 2 + topic.length + (qos > 0 ? 2 : 0) + varintSize(kept);
  const delta = newPropertiesAt + kept - payloadAt; // where the payload starts, moved
  // The properties kept move to their new place, and the payload with the rest: up, the payload first
  // (the properties' new place ends where the payload now starts); down, the properties first.
  if (delta > 0) {
    outbox.widen(i, payloadAt, delta);
    off = outbox.offset[i]; // widen() may have compacted
    bytes.copyWithin(off + newPropertiesAt, off + propertiesAt, off + propertiesAt + kept);
  } else {
    bytes.copyWithin(off + newPropertiesAt, off + propertiesAt, off + propertiesAt + kept);
    if (delta < 0) outbox.narrow(i, payloadAt, -delta);
  }
  let w = writeVarint(bytes, off + 1, newRemaining); // the first byte (type and flags) stays
  w = writeU16(bytes, w, topic.length);
  bytes.set(topic, w);
  w += topic.length;
  if (qos > 0) w = writeU16(bytes, w, packetId);
  writeVarint(bytes, w, kept);
  if (outbox.expiryAt[i] !== 0) outbox.expiryAt[i] = newPropertiesAt + 1; // written first among the properties
}
