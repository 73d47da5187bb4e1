/**
 * MQTT 5.0 properties (§2.2.2): the identifiers, their data types, the packets each may appear in;
 * a decoder that checks a property block and records where each value is in the receive buffer (a
 * reused view: nothing is copied, nothing allocated); and writers that put one property at a time
 * into a caller's buffer from plain values.
 */
import { DecodeError } from "./status.js";
import { decodeUtf8, readU16, readVarint, validateUtf8, varintSize, writeU16, writeVarint } from "./wire.js";

/** §2.2.2.2 Table 2-4: the property identifiers. */
export const Property = Object.freeze({
  PayloadFormatIndicator: 0x01,
  MessageExpiryInterval: 0x02,
  ContentType: 0x03,
  ResponseTopic: 0x08,
  CorrelationData: 0x09,
  SubscriptionIdentifier: 0x0b,
  SessionExpiryInterval: 0x11,
  AssignedClientIdentifier: 0x12,
  ServerKeepAlive: 0x13,
  AuthenticationMethod: 0x15,
  AuthenticationData: 0x16,
  RequestProblemInformation: 0x17,
  WillDelayInterval: 0x18,
  RequestResponseInformation: 0x19,
  ResponseInformation: 0x1a,
  ServerReference: 0x1c,
  ReasonString: 0x1f,
  ReceiveMaximum: 0x21,
  TopicAliasMaximum: 0x22,
  TopicAlias: 0x23,
  MaximumQoS: 0x24,
  RetainAvailable: 0x25,
  UserProperty: 0x26,
  MaximumPacketSize: 0x27,
  WildcardSubscriptionAvailable: 0x28,
  SubscriptionIdentifierAvailable: 0x29,
  SharedSubscriptionAvailable: 0x2a,
} as const);
export type Property = (typeof Property)[keyof typeof Property];

/** §1.5 data types of property values. */
const BYTE = 1;
const U16 = 2;
const U32 = 3;
const VARINT = 4;
const UTF8 = 5;
const BINARY = 6;
const PAIR = 7;

/** The will's properties (§3.1.3.2) are checked as if they were a packet of type 0 (reserved, unused). */
export const WILL_PROPERTIES = 0;

const W = 1 << WILL_PROPERTIES;
const CONNECT = 1 << 1;
const CONNACK = 1 << 2;
const PUBLISH = 1 << 3;
const ACKS = (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7);
const SUBSCRIBE = 1 << 8;
const SUBACK = 1 << 9;
const UNSUBSCRIBE = 1 << 10;
const UNSUBACK = 1 << 11;
const DISCONNECT = 1 << 14;
const AUTH = 1 << 15;

/** By identifier: its data type (0: not a property). A typed array: read on every property decoded. */
const TYPE = new Uint8Array([
  0, BYTE, U32, UTF8, 0, 0, 0, 0, UTF8, BINARY, 0, VARINT, 0, 0, 0, 0,
  0, U32, UTF8, U16, 0, UTF8, BINARY, BYTE, U32, BYTE, UTF8, 0, UTF8, 0, 0, UTF8,
  0, U16, U16, U16, BYTE, BYTE, PAIR, U32, BYTE, BYTE, BYTE,
]);

/** By identifier: the packets (bit = packet type; bit 0 = the will) it may appear in (Table 2-4). */
const WHERE = new Uint16Array([
  0, PUBLISH | W, PUBLISH | W, PUBLISH | W, 0, 0, 0, 0, PUBLISH | W, PUBLISH | W, 0, PUBLISH | SUBSCRIBE, 0, 0, 0, 0,
  0, CONNECT | CONNACK | DISCONNECT, CONNACK, CONNACK, 0, CONNECT | CONNACK | AUTH, CONNECT | CONNACK | AUTH, CONNECT, W, CONNECT, CONNACK, 0, CONNACK | DISCONNECT, 0, 0,
  CONNACK | ACKS | SUBACK | UNSUBACK | DISCONNECT | AUTH,
  0, CONNECT | CONNACK, CONNECT | CONNACK, PUBLISH, CONNACK, CONNACK,
  CONNECT | CONNACK | PUBLISH | W | ACKS | SUBSCRIBE | SUBACK | UNSUBSCRIBE | UNSUBACK | DISCONNECT | AUTH,
  CONNECT | CONNACK, CONNACK, CONNACK, CONNACK,
]);

/** One past the highest identifier. */
const IDS = 0x2b;

/**
 * The properties of the last packet decoded: where each value is in `buffer`. Reused for every packet;
 * reading a number allocates nothing, and strings are read as offsets (string() allocates, for the app).
 */
export class Properties {
  buffer: Uint8Array = EMPTY;
  /** Where the property bytes start (after their length) and how many there are. */
  offset = 0;
  length = 0;
  /** How many User Properties and Subscription Identifiers there are (the two that may repeat). */
  userPropertyCount = 0;
  subscriptionIdentifierCount = 0;
  /** Set by userProperty(i): where its name and value are in `buffer`. */
  keyOffset = 0;
  keyLength = 0;
  valueOffset = 0;
  valueLength = 0;
  /** By identifier: the offset of its (first) value in `buffer`, or -1. */
  private readonly at = new Int32Array(IDS).fill(-1);
  /** The identifiers `at` holds (their count): clear() forgets only those, not all 43. */
  private readonly recordedIds = new Uint8Array(IDS);
  private recorded = 0;
  /** The last value nth() found: its identifier, its index among them, its offset. */
  private walkId = 0;
  private walkIndex = 0;
  private walkAt = 0;

  /** Forgets the last packet's properties. */
  clear(buffer: Uint8Array): void {
    this.buffer = buffer;
    this.offset = 0;
    this.length = 0;
    this.userPropertyCount = 0;
    this.subscriptionIdentifierCount = 0;
    const at = this.at;
    const ids = this.recordedIds;
    for (let k = 0; k < this.recorded; k++) at[ids[k]] = -1;
    this.recorded = 0;
    this.walkId = 0;
  }

  has(id: Property): boolean {
    return this.at[id] >= 0;
  }

  /**
   * The value of a byte, two-byte, four-byte or variable byte integer property (the first Subscription
   * Identifier), or `absent` when the packet does not carry it.
   */
  number(id: Property, absent: number): number {
    const at = this.at[id];
    if (at < 0) return absent;
    const buf = this.buffer;
    switch (TYPE[id]) {
      case BYTE: return buf[at];
      case U16: return readU16(buf, at);
      case U32: return buf[at] * 0x1000000 + ((buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]);
      default: return readVarint(buf, at, at + 4);
    }
  }

  /** Where a UTF-8 string or binary property's bytes start, or -1; its length is dataLength(id). */
  dataOffset(id: Property): number {
    const at = this.at[id];
    return at < 0 ? -1 : at + 2;
  }

  dataLength(id: Property): number {
    const at = this.at[id];
    return at < 0 ? 0 : readU16(this.buffer, at);
  }

  /** A UTF-8 string property as a string, or undefined. Allocates the string. */
  string(id: Property): string | undefined {
    const at = this.at[id];
    return at < 0 ? undefined : decodeUtf8(this.buffer, at + 2, readU16(this.buffer, at));
  }

  /** Points keyOffset/keyLength/valueOffset/valueLength at the `index`th User Property; false past the last. */
  userProperty(index: number): boolean {
    if (index >= this.userPropertyCount) return false;
    const at = this.nth(Property.UserProperty, index);
    if (at < 0) return false;
    const buf = this.buffer;
    this.keyLength = readU16(buf, at);
    this.keyOffset = at + 2;
    this.valueLength = readU16(buf, this.keyOffset + this.keyLength);
    this.valueOffset = this.keyOffset + this.keyLength + 2;
    return true;
  }

  /** The `index`th Subscription Identifier of a PUBLISH (§3.3.2.3.8), or 0 past the last. */
  subscriptionIdentifier(index: number): number {
    const at = this.nth(Property.SubscriptionIdentifier, index);
    return at < 0 ? 0 : readVarint(this.buffer, at, at + 4);
  }

  /**
   * Walks the block to the value of the `index`th occurrence of `id`, or -1. Reading them in order (0, 1,
   * 2, ...) goes on from the last one found, so a loop over them walks the block once, not once each.
   */
  private nth(id: number, index: number): number {
    const buf = this.buffer;
    const end = this.offset + this.length;
    let off = this.offset;
    let left = index;
    if (id === this.walkId && index === this.walkIndex + 1) {
      off = skipValue(buf, this.walkAt, TYPE[id]); // after the value found last
      left = 0;
    }
    while (off < end) {
      const current = buf[off++]; // every identifier defined fits in one byte of its variable byte integer
      if (current === id && left-- === 0) {
        this.walkId = id;
        this.walkIndex = index;
        this.walkAt = off;
        return off;
      }
      off = skipValue(buf, off, TYPE[current]);
    }
    return -1;
  }

  /** @internal for decodeProperties */
  record(id: number, at: number): void {
    this.at[id] = at;
    this.recordedIds[this.recorded++] = id;
  }
}

const EMPTY = new Uint8Array(0);

/** The offset after a value of `type` at `off` (the block was checked by decodeProperties). */
function skipValue(buf: Uint8Array, off: number, type: number): number {
  switch (type) {
    case BYTE: return off + 1;
    case U16: return off + 2;
    case U32: return off + 4;
    case VARINT: return off + varintSize(readVarint(buf, off, off + 4));
    case PAIR: {
      off += 2 + readU16(buf, off);
      return off + 2 + readU16(buf, off);
    }
    default: return off + 2 + readU16(buf, off);
  }
}

/**
 * Decodes the property block at `off` (its length, then the properties) of a packet of `packetType`
 * (WILL_PROPERTIES for the will's) that ends at `end`, into `out`. Returns the bytes it took, length
 * included, or a DecodeError: an identifier not defined or not allowed in this packet, or a value cut
 * short or not of its type, is a Malformed Packet (§2.2.2.2); a property given twice that may appear
 * once, or a value the spec rules out, is a Protocol Error (the rule is cited at each check).
 */
export function decodeProperties(buf: Uint8Array, off: number, end: number, packetType: number, out: Properties): number {
  out.clear(buf);
  const first = off;
  const length = readVarint(buf, off, end);
  if (length < 0) return DecodeError.MalformedVariableByteInteger;
  const start = off + varintSize(length);
  const stop = start + length;
  if (stop > end) return DecodeError.LengthMismatch;
  out.offset = start;
  out.length = length;
  const allowed = 1 << packetType;
  off = start;
  while (off < stop) {
    const id = buf[off++];
    const type = id < IDS ? TYPE[id] : 0;
    if (type === 0 || (WHERE[id] & allowed) === 0) return DecodeError.InvalidPropertyIdentifier; // §2.2.2.2
    const at = off;
    const checked = checkValue(buf, off, stop, id, type);
    if (checked < 0) return checked;
    off = checked;
    if (id === Property.UserProperty) {
      if (out.userPropertyCount++ === 0) out.record(id, at);
    } else if (id === Property.SubscriptionIdentifier && packetType === 3) {
      if (out.subscriptionIdentifierCount++ === 0) out.record(id, at); // §3.3.2.3.8: one per matching subscription
    } else {
      if (out.has(id as Property)) return DecodeError.DuplicateProperty; // e.g. [MQTT-3.1.2-*]: "more than once ... is a Protocol Error"
      out.record(id, at);
      if (id === Property.SubscriptionIdentifier) out.subscriptionIdentifierCount = 1;
    }
  }
  return stop - first;
}

/** Checks one value at `off`; returns the offset after it or a DecodeError. */
function checkValue(buf: Uint8Array, off: number, stop: number, id: number, type: number): number {
  switch (type) {
    case BYTE: {
      if (off + 1 > stop) return DecodeError.LengthMismatch;
      // Each byte property is 0 or 1 (§3.1.2.11.6-7, §3.2.2.3.4-5, 3.2.2.3.11-13, §3.3.2.3.2), except
      // Maximum QoS, 0 or 1 as well: a server that grants QoS 2 leaves it out [MQTT-3.2.2-9].
      if (buf[off] > 1) return DecodeError.InvalidPropertyValue;
      return off + 1;
    }
    case U16: {
      if (off + 2 > stop) return DecodeError.LengthMismatch;
      // Receive Maximum 0 [§3.1.2.11.3, §3.2.2.3.3] and Topic Alias 0 [MQTT-3.3.2-8] are Protocol Errors
      if ((id === Property.ReceiveMaximum || id === Property.TopicAlias) && readU16(buf, off) === 0) return DecodeError.InvalidPropertyValue;
      return off + 2;
    }
    case U32: {
      if (off + 4 > stop) return DecodeError.LengthMismatch;
      // Maximum Packet Size 0 is a Protocol Error [§3.1.2.11.4, §3.2.2.3.6]
      if (id === Property.MaximumPacketSize && (buf[off] | buf[off + 1] | buf[off + 2] | buf[off + 3]) === 0) return DecodeError.InvalidPropertyValue;
      return off + 4;
    }
    case VARINT: {
      const value = readVarint(buf, off, stop);
      if (value < 0) return DecodeError.MalformedVariableByteInteger;
      if (value === 0) return DecodeError.InvalidPropertyValue; // Subscription Identifier 0 [MQTT-3.8.2-... §3.3.2.3.8]
      return off + varintSize(value);
    }
    case PAIR: {
      const key = checkData(buf, off, stop, true);
      return key < 0 ? key : checkData(buf, key, stop, true); // [MQTT-3.3.2-17..18] both UTF-8
    }
    default:
      return checkData(buf, off, stop, type === UTF8);
  }
}

/** Checks a length-prefixed string or binary value; returns the offset after it or a DecodeError. */
function checkData(buf: Uint8Array, off: number, stop: number, utf8: boolean): number {
  if (off + 2 > stop) return DecodeError.LengthMismatch;
  const length = readU16(buf, off);
  off += 2;
  if (off + length > stop) return DecodeError.LengthMismatch;
  if (utf8) {
    // [MQTT-1.5.4-1] [MQTT-1.5.4-2]: ASCII without U+0000 in one pass, the rest by validateUtf8
    const end = off + length;
    let i = off;
    while (i < end) {
      const b = buf[i];
      if (b === 0 || b >= 0x80) break;
      i++;
    }
    if (i < end) {
      const invalid = validateUtf8(buf, i, end - i);
      if (invalid !== 0) return invalid;
    }
  }
  return off + length;
}

// Writers: each puts one property at `off` and returns the next offset; each size function says how many
// bytes it takes, so a caller sizes a block first and writes its length, then the properties.

/** Writes a byte property (the booleans and Maximum QoS). */
export function writeByteProperty(buf: Uint8Array, off: number, id: Property, value: number): number {
  buf[off] = id;
  buf[off + 1] = value;
  return off + 2;
}

export function writeU16Property(buf: Uint8Array, off: number, id: Property, value: number): number {
  buf[off] = id;
  return writeU16(buf, off + 1, value);
}

export function writeU32Property(buf: Uint8Array, off: number, id: Property, value: number): number {
  buf[off] = id;
  buf[off + 1] = (value / 0x1000000) & 0xff;
  buf[off + 2] = (value >>> 16) & 0xff;
  buf[off + 3] = (value >>> 8) & 0xff;
  buf[off + 4] = value & 0xff;
  return off + 5;
}

/** Writes a Subscription Identifier (1..268,435,455). */
export function writeVarintProperty(buf: Uint8Array, off: number, id: Property, value: number): number {
  buf[off] = id;
  return writeVarint(buf, off + 1, value);
}

/** Writes a string or binary property from `bytes` (UTF-8 for a string: the caller checked it). */
export function writeDataProperty(buf: Uint8Array, off: number, id: Property, bytes: Uint8Array): number {
  buf[off] = id;
  writeU16(buf, off + 1, bytes.length);
  buf.set(bytes, off + 3);
  return off + 3 + bytes.length;
}

/** Writes a User Property, name and value as UTF-8 bytes. */
export function writeUserProperty(buf: Uint8Array, off: number, key: Uint8Array, value: Uint8Array): number {
  buf[off] = Property.UserProperty;
  off = writeU16(buf, off + 1, key.length);
  buf.set(key, off);
  off = writeU16(buf, off + key.length, value.length);
  buf.set(value, off);
  return off + value.length;
}

/** Bytes a data property takes; a User Property takes dataPropertySize(key) + 2 + value's length. */
export function dataPropertySize(bytes: Uint8Array): number {
  return 3 + bytes.length;
}

/** Writes a property block's length (the properties follow, written by the caller); returns the next offset. */
export function writePropertiesLength(buf: Uint8Array, off: number, length: number): number {
  return writeVarint(buf, off, length);
}
