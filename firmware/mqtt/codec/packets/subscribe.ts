/**
 * SUBSCRIBE (§3.8), sent by the client, and SUBACK (§3.9), its answer. 5.0 adds properties to both and
 * subscription options to each filter's byte (§3.8.3.1), and reason codes to SUBACK.
 */
import { PacketType, ProtocolVersion, type IncomingPacket } from "../packet.js";
import { decodeProperties } from "../properties.js";
import { DecodeError } from "../status.js";
import { copyBytes, readU16, varintSize, writeField, writeU16, writeVarint } from "../wire.js";

/**
 * §3.8.3.1 the Subscription Options byte of 5.0: QoS in bits 0-1, then these; bits 6-7 are reserved
 * and 0 [MQTT-3.8.3-5]. Retain Handling 3 is a Protocol Error, so options are checked by the caller.
 */
export const SubscriptionOption = Object.freeze({
  NoLocal: 0x04,
  RetainAsPublished: 0x08,
  /** Retain Handling 1: send retained messages only if the subscription is new. */
  RetainHandlingIfNew: 0x10,
  /** Retain Handling 2: do not send retained messages. */
  RetainHandlingNone: 0x20,
} as const);

/** §3.9.3 the SUBACK return code for a refused filter. */
export const SUBACK_FAILURE = 0x80;

/** Remaining Length of a SUBSCRIBE for the first `count` filters (`propertiesLength` < 0: 3.1.1). */
function subscribeRemainingLength(filters: ArrayLike<Uint8Array>, count: number, propertiesLength: number): number {
  let length = 2; // packet identifier
  if (propertiesLength >= 0) length += varintSize(propertiesLength) + propertiesLength;
  for (let i = 0; i < count; i++) length += 2 + filters[i].length + 1; // filter and its options byte
  return length;
}

/** Bytes the whole SUBSCRIBE takes; in 5.0 with `propertiesLength` bytes of properties. */
export function subscribeSize(filters: ArrayLike<Uint8Array>, count: number, version: ProtocolVersion, propertiesLength = 0): number {
  const remaining = subscribeRemainingLength(filters, count, version === ProtocolVersion.V5 ? propertiesLength : -1);
  return 1 + varintSize(remaining) + remaining;
}

/**
 * Writes a SUBSCRIBE for `filters[0..count)` (UTF-8 bytes, validated by topic.ts) each with its
 * `options[i]`; returns the next offset. [MQTT-3.8.1-1] flags 0b0010; [MQTT-3.8.3-3] at least one
 * filter (the caller's check). 3.1.1 (`properties` null): the byte is the requested QoS, its upper six
 * bits 0 [MQTT-3.8.3-4]; 5.0: QoS and SubscriptionOption bits, bits 6-7 0 [MQTT-3.8.3-5], after the
 * properties `properties[0, propertiesLength)`.
 */
export function encodeSubscribe(
  buf: Uint8Array,
  off: number,
  packetId: number,
  filters: ArrayLike<Uint8Array>,
  options: ArrayLike<number>,
  count: number,
  properties: Uint8Array | null = null,
  propertiesLength = 0,
): number {
  const v5 = properties !== null;
  buf[off++] = 0x82;
  off = writeVarint(buf, off, subscribeRemainingLength(filters, count, v5 ? propertiesLength : -1));
  off = writeU16(buf, off, packetId);
  if (v5) {
    off = writeVarint(buf, off, propertiesLength);
    off = copyBytes(buf, off, properties, 0, propertiesLength);
  }
  const mask = v5 ? 0x3f : 0x03;
  for (let i = 0; i < count; i++) {
    off = writeField(buf, off, filters[i]);
    buf[off++] = options[i] & mask;
  }
  return off;
}

/** §3.9.3 Table 3-8: the SUBACK reason codes of 5.0 (0-2 grant a QoS). */
function isSubackReason(code: number): boolean {
  return code <= 2 || code === 0x80 || code === 0x83 || code === 0x87 || code === 0x8f || code === 0x91 || code === 0x97 || code === 0x9e || code === 0xa1 || code === 0xa2;
}

/**
 * Decodes a SUBACK body into `out`: the packet id, (5.0: the properties,) and where its return codes
 * are (one per filter, in order [MQTT-3.9.3-1]). 3.1.1: each is 0, 1, 2 (granted QoS) or 0x80
 * (failure) [MQTT-3.9.3-2]; 5.0: a reason code of Table 3-8.
 */
export function decodeSuback(buf: Uint8Array, off: number, remainingLength: number, out: IncomingPacket, version: ProtocolVersion = ProtocolVersion.V311): number {
  return decodeCodes(buf, off, remainingLength, out, version, PacketType.Suback);
}

/** SUBACK's and 5.0 UNSUBACK's shape: packet id, properties (5.0), one code per filter. */
export function decodeCodes(buf: Uint8Array, off: number, remainingLength: number, out: IncomingPacket, version: ProtocolVersion, type: PacketType): number {
  const end = off + remainingLength;
  if (remainingLength < 3) return DecodeError.LengthMismatch; // a packet id and at least one code
  const packetId = readU16(buf, off);
  if (packetId === 0) return DecodeError.ZeroPacketId; // [MQTT-2.3.1-1]
  let codes = off + 2;
  const v5 = version === ProtocolVersion.V5;
  if (v5) {
    const taken = decodeProperties(buf, codes, end, type, out.properties);
    if (taken < 0) return taken;
    codes += taken;
    if (codes >= end) return DecodeError.LengthMismatch; // at least one code
  }
  const count = end - codes;
  for (let i = 0; i < count; i++) {
    const code = buf[codes + i];
    const valid = !v5 ? code <= 2 || code === SUBACK_FAILURE : type === PacketType.Suback ? isSubackReason(code) : isUnsubackReason(code);
    if (!valid) return DecodeError.InvalidReturnCode; // [MQTT-3.9.3-2], §3.9.3, §3.11.3
  }
  out.packetId = packetId;
  out.returnCodesOffset = codes;
  out.returnCodesCount = count;
  return 0;
}

/** §3.11.3 Table 3-9: the UNSUBACK reason codes of 5.0. */
function isUnsubackReason(code: number): boolean {
  return code === 0x00 || code === 0x11 || code === 0x80 || code === 0x83 || code === 0x87 || code === 0x8f || code === 0x91;
}
