/** UNSUBSCRIBE (§3.10), sent by the client, and UNSUBACK (§3.11), its answer. */
import { ProtocolVersion, type IncomingPacket } from "../packet.js";
import { DecodeError } from "../status.js";
import { varintSize, writeField, writeU16, writeVarint } from "../wire.js";
import { decodeAck } from "./acks.js";

function unsubscribeRemainingLength(filters: ArrayLike<Uint8Array>, count: number): number {
  let length = 2; // packet identifier
  for (let i = 0; i < count; i++) length += 2 + filters[i].length;
  return length;
}

/** Bytes the whole UNSUBSCRIBE takes, or DecodeError.UnsupportedProtocolVersion. */
export function unsubscribeSize(filters: ArrayLike<Uint8Array>, count: number, version: ProtocolVersion): number {
  if (version !== ProtocolVersion.V311) return DecodeError.UnsupportedProtocolVersion; // 5.0 adds properties
  const remaining = unsubscribeRemainingLength(filters, count);
  return 1 + varintSize(remaining) + remaining;
}

/**
 * Writes an UNSUBSCRIBE for `filters[0..count)`; returns the next offset.
 * [MQTT-3.10.1-1] flags 0b0010; [MQTT-3.10.3-2] at least one filter (the caller's check).
 */
export function encodeUnsubscribe(buf: Uint8Array, off: number, packetId: number, filters: ArrayLike<Uint8Array>, count: number): number {
  buf[off++] = 0xa2;
  off = writeVarint(buf, off, unsubscribeRemainingLength(filters, count));
  off = writeU16(buf, off, packetId);
  for (let i = 0; i < count; i++) off = writeField(buf, off, filters[i]);
  return off;
}

/** Decodes an UNSUBACK body (§3.11: just the packet identifier in 3.1.1); returns 0 or a DecodeError. */
export function decodeUnsuback(buf: Uint8Array, off: number, remainingLength: number, out: IncomingPacket): number {
  return decodeAck(buf, off, remainingLength, out);
}
