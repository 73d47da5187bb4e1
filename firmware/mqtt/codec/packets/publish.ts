/** PUBLISH (§3.3), in both directions; in 5.0 with its properties (§3.3.2.3). */
import { PacketType, ProtocolVersion, type IncomingPacket, type QoS } from "../packet.js";
import { decodeProperties, Property } from "../properties.js";
import { DecodeError } from "../status.js";
import { validateTopicName } from "../topic.js";
import { copyBytes, varintSize, writeVarint } from "../wire.js";

/**
 * Remaining Length of a PUBLISH: topic with its prefix, packet id for QoS 1 and 2 (§3.3.2.2), in 5.0 the
 * property block (`propertiesLength` < 0: none, 3.1.1), payload.
 */
export function publishRemainingLength(topicLength: number, payloadLength: number, qos: QoS, propertiesLength = -1): number {
  const properties = propertiesLength < 0 ? 0 : varintSize(propertiesLength) + propertiesLength;
  return 2 + topicLength + (qos > 0 ? 2 : 0) + properties + payloadLength;
}

/**
 * Bytes the whole PUBLISH takes. In 5.0, `propertiesLength` is the bytes of its properties (0 for
 * none), which encodePublish writes after their length.
 */
export function publishSize(topicLength: number, payloadLength: number, qos: QoS, version: ProtocolVersion, propertiesLength = 0): number {
  const remaining = publishRemainingLength(topicLength, payloadLength, qos, version === ProtocolVersion.V5 ? propertiesLength : -1);
  return 1 + varintSize(remaining) + remaining;
}

/**
 * Writes a PUBLISH at `off` (publishSize bytes must be free there); returns the next offset.
 * `topic` is the topic name's UTF-8 bytes, checked once when the app made them (see topic.ts); in 5.0
 * it may be empty when a Topic Alias property names it (§3.3.2.3.4).
 * The payload is `payload[payloadOffset, payloadOffset + payloadLength)`.
 * [MQTT-3.3.1-2] DUP is 0 for QoS 0; the caller passes dup only on a resend of QoS 1 or 2.
 * 5.0: `properties[0, propertiesLength)` are the properties (written with properties.ts's writers);
 * `properties` null is 3.1.1, which has none.
 */
export function encodePublish(
  buf: Uint8Array,
  off: number,
  topic: Uint8Array,
  payload: Uint8Array,
  payloadOffset: number,
  payloadLength: number,
  qos: QoS,
  retain: boolean,
  dup: boolean,
  packetId: number,
  properties: Uint8Array | null = null,
  propertiesLength = 0,
): number {
  const topicLength = topic.length;
  let remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + payloadLength; // publishRemainingLength, inlined
  if (properties !== null) remaining += varintSize(propertiesLength) + propertiesLength;
  buf[off] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
  if (remaining < 128) {
    buf[off + 1] = remaining; // the common one-byte Remaining Length, without a call
    off += 2;
  } else off = writeVarint(buf, off + 1, remaining);
  buf[off] = topicLength >>> 8;
  buf[off + 1] = topicLength & 0xff;
  buf.set(topic, off + 2);
  off += 2 + topicLength;
  if (qos > 0) {
    buf[off] = packetId >>> 8;
    buf[off + 1] = packetId & 0xff;
    off += 2;
  }
  if (properties !== null) {
    off = writeVarint(buf, off, propertiesLength);
    off = copyBytes(buf, off, properties, 0, propertiesLength);
  }
  if (payloadOffset === 0 && payloadLength === payload.length) {
    buf.set(payload, off);
    return off + payloadLength;
  }
  return copyBytes(buf, off, payload, payloadOffset, payloadLength);
}

/**
 * Writes a PUBLISH's fixed header and the topic's length prefix; returns the offset the topic's
 * `topicLength` bytes go to (then the packet id for QoS 1/2, in 5.0 the properties, `propertiesLength`
 * bytes after their length; then the payload). For callers that write the topic or payload straight from
 * a string.
 */
export function writePublishHeader(
  buf: Uint8Array,
  off: number,
  topicLength: number,
  payloadLength: number,
  qos: QoS,
  retain: boolean,
  dup: boolean,
  propertiesLength = -1,
): number {
  buf[off] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
  off = writeVarint(buf, off + 1, publishRemainingLength(topicLength, payloadLength, qos, propertiesLength));
  buf[off] = topicLength >>> 8;
  buf[off + 1] = topicLength & 0xff;
  return off + 2;
}

/** Sets the DUP flag [MQTT-3.3.1-1] on a PUBLISH already encoded at `off`, for its resend. */
export function markDuplicate(buf: Uint8Array, off: number): void {
  buf[off] |= 0x08;
}

/** Clears the DUP flag of the PUBLISH encoded at `off`: it goes as a new message (a new session). */
export function clearDuplicate(buf: Uint8Array, off: number): void {
  buf[off] &= ~0x08;
}

/**
 * Decodes a PUBLISH body at `off` into `out` (the fixed header's flags are already in `out.flags`);
 * returns 0 or a DecodeError. The topic and payload stay in `buf`: `out` gets their offsets; in 5.0 the
 * properties are in `out.properties`, and an empty topic is allowed when a Topic Alias names it.
 * `words`: a DataView of buf, to check the topic name in words (validateTopicName).
 */
export function decodePublish(buf: Uint8Array, off: number, remainingLength: number, out: IncomingPacket, version: ProtocolVersion = ProtocolVersion.V311, words?: DataView): number {
  const flags = out.flags;
  const qos = (flags >> 1) & 0x03;
  if (qos === 3) return DecodeError.InvalidQoS; // [MQTT-3.3.1-4]
  const end = off + remainingLength;
  if (remainingLength < 2) return DecodeError.LengthMismatch;
  const topicLength = (buf[off] << 8) | buf[off + 1]; // readU16, inlined (a call costs about 20 computrons on XS)
  off += 2;
  if (off + topicLength + (qos > 0 ? 2 : 0) > end) return DecodeError.LengthMismatch;
  const topicOffset = off;
  // [MQTT-4.7.3-1] not empty, [MQTT-3.3.2-2] no wildcard, [MQTT-1.5.3-1] [MQTT-1.5.3-2] UTF-8 without U+0000
  // (5.0: empty with a Topic Alias, checked below once the properties are read)
  if (topicLength > 0 || version !== ProtocolVersion.V5) {
    const invalid = validateTopicName(buf, off, topicLength, words);
    if (invalid !== 0) return invalid;
  }
  off += topicLength;
  let packetId = 0;
  if (qos > 0) {
    packetId = (buf[off] << 8) | buf[off + 1]; // readU16, inlined
    if (packetId === 0) return DecodeError.ZeroPacketId; // [MQTT-2.3.1-1]
    off += 2;
  }
  if (version === ProtocolVersion.V5) {
    const taken = decodeProperties(buf, off, end, PacketType.Publish, out.properties);
    if (taken < 0) return taken;
    off += taken;
    if (topicLength === 0 && !out.properties.has(Property.TopicAlias)) return DecodeError.MissingTopicAlias; // §3.3.2.3.4
  }
  out.qos = qos as QoS;
  out.dup = (flags & 0x08) !== 0;
  out.retain = (flags & 0x01) !== 0;
  out.packetId = packetId;
  out.topicOffset = topicOffset;
  out.topicLength = topicLength;
  out.payloadOffset = off;
  out.payloadLength = end - off;
  return 0;
}
