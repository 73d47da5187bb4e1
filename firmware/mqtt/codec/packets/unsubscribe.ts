/** UNSUBSCRIBE (§3.10), sent by the client, and UNSUBACK (§3.11), its answer; 5.0 adds properties and UNSUBACK's reason codes. */
import { PacketType, ProtocolVersion, type IncomingPacket } from "../packet.js";
import { copyBytes, varintSize, writeField, writeU16, writeVarint } from "../wire.js";
import { decodeAck } from "./acks.js";
import { decodeCodes } from "./subscribe.js";

function unsubscribeRemainingLength(filters: ArrayLike<Uint8Array>, count: number, propertiesLength: number): number {
  let length = 2; // packet identifier
  if (propertiesLength >= 0) length += varintSize(propertiesLength) + propertiesLength;
  for (let i = 0; i < count; i++) length += 2 + filters[i].length;
  return length;
}

/** Bytes the whole UNSUBSCRIBE takes; in 5.0 with `propertiesLength` bytes of properties. */
export function unsubscribeSize(filters: ArrayLike<Uint8Array>, count: number, version: ProtocolVersion, propertiesLength = 0): number {
  const remaining = unsubscribeRemainingLength(filters, count, version === ProtocolVersion.V5 ? propertiesLength : -1);
  return 1 + varintSize(remaining) + remaining;
}

/**
 * Writes an UNSUBSCRIBE for `filters[0..count)`; returns the next offset.
 * [MQTT-3.10.1-1] flags 0b0010; [MQTT-3.10.3-2] at least one filter (the caller's check).
 * 5.0: the properties `properties[0, propertiesLength)` (`properties` null is 3.1.1).
 */
export function encodeUnsubscribe(
  buf: Uint8Array,
  off: number,
  packetId: number,
  filters: ArrayLike<Uint8Array>,
  count: number,
  properties: Uint8Array | null = null,
  propertiesLength = 0,
): number {
  buf[off++] = 0xa2;
  off = writeVarint(buf, off, unsubscribeRemainingLength(filters, count, properties !== null ? propertiesLength : -1));
  off = writeU16(buf, off, packetId);
  if (properties !== null) {
    off = writeVarint(buf, off, propertiesLength);
    off = copyBytes(buf, off, properties, 0, propertiesLength);
  }
  for (let i = 0; i < count; i++) off = writeField(buf, off, filters[i]);
  return off;
}

/**
 * Decodes an UNSUBACK body: 3.1.1, just the packet identifier (§3.11); 5.0, the packet identifier,
 * properties and one reason code per filter (§3.11.2-3). Returns 0 or a DecodeError.
 */
export function decodeUnsuback(buf: Uint8Array, off: number, remainingLength: number, out: IncomingPacket, version: ProtocolVersion = ProtocolVersion.V311): number {
  if (version === ProtocolVersion.V5) return decodeCodes(buf, off, remainingLength, out, version, PacketType.Unsuback);
  return decodeAck(buf, off, remainingLength, out);
}
