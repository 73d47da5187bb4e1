/**
 * MQTT 5.0 PUBLISH properties the app gives (§3.3.2.3), MQTT.js's names: sized, checked and written
 * straight into the outbox record, no intermediate bytes. The Message Expiry Interval goes first, so its
 * value sits at a known place in the record and can be counted down while the message waits (§3.3.2.3.3).
 * Without User Properties nothing allocates; User Properties are walked with for...in, which may.
 */
import { Property, writeByteProperty, writeU32Property } from "../codec/properties.js";
import { utf8Length, validateUtf8, writeU16, writeUtf8 } from "../codec/wire.js";
import { ClientError } from "./errors.js";

export interface PublishProperties {
  /** The payload is UTF-8 text (checked here: a message that is not is refused). */
  payloadFormatIndicator?: boolean;
  /** Seconds the message lives; counted down while it waits in the outbox, and dropped there when it runs out. */
  messageExpiryInterval?: number;
  contentType?: string;
  /** Where a request's answer goes: a topic name (no wildcards) [MQTT-3.3.2-14]. */
  responseTopic?: string;
  /** Binary data that ties the answer to the request. */
  correlationData?: Uint8Array;
  userProperties?: Record<string, string>;
}

/** Bytes of a string property, or -1 when it is not a well-formed string. */
function stringSize(text: unknown): number {
  if (typeof text !== "string") return -1;
  const n = utf8Length(text);
  return n < 0 || n > 65_535 ? -1 : 3 + n;
}

/**
 * Bytes the properties take (their length varint not included), or a negative ClientError: a wrong type
 * or range (InvalidArgument), a Response Topic that is not a topic name (InvalidTopic), a payload marked
 * UTF-8 that is not (InvalidPayload; `payload` null: a string payload, UTF-8 already).
 */
export function publishPropertiesSize(p: PublishProperties, payload: Uint8Array | null, payloadOffset: number, payloadLength: number): number {
  if (typeof p !== "object" || p === null) return ClientError.InvalidArgument;
  let size = 0;
  const format = p.payloadFormatIndicator;
  if (format !== undefined) {
    if (format !== true && format !== false) return ClientError.InvalidArgument;
    size += 2;
    if (format && payload !== null) {
      const invalid = validateUtf8(payload, payloadOffset, payloadLength);
      if (invalid !== 0 && invalid !== -8) return ClientError.InvalidPayload; // U+0000 is text too; only the strings of §1.5.4 refuse it
    }
  }
  const expiry = p.messageExpiryInterval;
  if (expiry !== undefined) {
    if (typeof expiry !== "number" || Math.floor(expiry) !== expiry || expiry < 0 || expiry > 0xffff_ffff) return ClientError.InvalidArgument;
    size += 5;
  }
  if (p.contentType !== undefined) {
    const n = stringSize(p.contentType);
    if (n < 0) return ClientError.InvalidArgument;
    size += n;
  }
  if (p.responseTopic !== undefined) {
    const n = stringSize(p.responseTopic);
    if (n <= 3) return ClientError.InvalidTopic;
    const topic = p.responseTopic;
    for (let i = 0; i < topic.length; i++) {
      const c = topic.charCodeAt(i);
      if (c === 0x2b || c === 0x23 || c === 0) return ClientError.InvalidTopic; // [MQTT-3.3.2-14]
    }
    size += n;
  }
  if (p.correlationData !== undefined) {
    if (!(p.correlationData instanceof Uint8Array) || p.correlationData.length > 65_535) return ClientError.InvalidArgument;
    size += 3 + p.correlationData.length;
  }
  const user = p.userProperties;
  if (user !== undefined) {
    if (typeof user !== "object" || user === null) return ClientError.InvalidArgument;
    for (const key in user) {
      const k = stringSize(key);
      const v = stringSize(user[key]);
      if (k < 0 || v < 0) return ClientError.InvalidArgument;
      size += k + v - 1; // one identifier for the pair
    }
  }
  return size;
}

/** Writes the properties publishPropertiesSize() checked, Message Expiry Interval first; returns the next offset. */
export function writePublishProperties(buf: Uint8Array, off: number, p: PublishProperties): number {
  if (p.messageExpiryInterval !== undefined) off = writeU32Property(buf, off, Property.MessageExpiryInterval, p.messageExpiryInterval);
  if (p.payloadFormatIndicator !== undefined) off = writeByteProperty(buf, off, Property.PayloadFormatIndicator, p.payloadFormatIndicator ? 1 : 0);
  if (p.contentType !== undefined) off = writeString(buf, off, Property.ContentType, p.contentType);
  if (p.responseTopic !== undefined) off = writeString(buf, off, Property.ResponseTopic, p.responseTopic);
  if (p.correlationData !== undefined) {
    buf[off] = Property.CorrelationData;
    off = writeU16(buf, off + 1, p.correlationData.length);
    buf.set(p.correlationData, off);
    off += p.correlationData.length;
  }
  const user = p.userProperties;
  if (user !== undefined) {
    for (const key in user) {
      buf[off] = Property.UserProperty;
      off = writeText(buf, off + 1, key);
      off = writeText(buf, off, user[key]);
    }
  }
  return off;
}

function writeString(buf: Uint8Array, off: number, id: Property, text: string): number {
  buf[off] = id;
  return writeText(buf, off + 1, text);
}

/** A UTF-8 string with its two-byte length (§1.5.4). */
function writeText(buf: Uint8Array, off: number, text: string): number {
  const at = writeUtf8(buf, off + 2, text);
  writeU16(buf, off, at - off - 2);
  return at;
}

