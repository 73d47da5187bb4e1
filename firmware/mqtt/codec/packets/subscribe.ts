/** SUBSCRIBE (§3.8), sent by the client, and SUBACK (§3.9), its answer. */
import { ProtocolVersion, type IncomingPacket, type QoS } from "../packet.js";
import { DecodeError } from "../status.js";
import { readU16, varintSize, writeField, writeU16, writeVarint } from "../wire.js";

/** §3.9.3 the SUBACK return code for a refused filter. */
export const SUBACK_FAILURE = 0x80;

/** Remaining Length of a SUBSCRIBE for the first `count` filters. */
function subscribeRemainingLength(filters: ArrayLike<Uint8Array>, count: number): number {
  let length = 2; // packet identifier
  for (let i = 0; i < count; i++) length += 2 + filters[i].length + 1; // filter and its requested QoS
  return length;
}

/** Bytes the whole SUBSCRIBE takes, or DecodeError.UnsupportedProtocolVersion. */
export function subscribeSize(filters: ArrayLike<Uint8Array>, count: number, version: ProtocolVersion): number {
  if (version !== ProtocolVersion.V311) return DecodeError.UnsupportedProtocolVersion; // 5.0 adds properties
  const remaining = subscribeRemainingLength(filters, count);
  return 1 + varintSize(remaining) + remaining;
}

/**
 * Writes a SUBSCRIBE for `filters[0..count)` (UTF-8 bytes, validated by topic.ts) each at its `qos[i]`;
 * returns the next offset. [MQTT-3.8.1-1] flags 0b0010; [MQTT-3.8.3-3] at least one filter (the
 * caller's check); [MQTT-3.8.3-4] the requested QoS byte's upper six bits are 0.
 */
export function encodeSubscribe(
  buf: Uint8Array,
  off: number,
  packetId: number,
  filters: ArrayLike<Uint8Array>,
  qos: ArrayLike<QoS>,
  count: number,
): number {
  buf[off++] = 0x82;
  off = writeVarint(buf, off, subscribeRemainingLength(filters, count));
  off = writeU16(buf, off, packetId);
  for (let i = 0; i < count; i++) {
    off = writeField(buf, off, filters[i]);
    buf[off++] = qos[i] & 0x03;
  }
  return off;
}

/**
 * Decodes a SUBACK body into `out`: the packet id, and where its return codes are (one per filter, in
 * order [MQTT-3.9.3-1]). Each code is 0, 1, 2 (granted QoS) or 0x80 (failure) [MQTT-3.9.3-2].
 */
export function decodeSuback(buf: Uint8Array, off: number, remainingLength: number, out: IncomingPacket): number {
  if (remainingLength < 3) return DecodeError.LengthMismatch; // a packet id and at least one code
  const packetId = readU16(buf, off);
  if (packetId === 0) return DecodeError.ZeroPacketId; // [MQTT-2.3.1-1]
  const codes = off + 2;
  const count = remainingLength - 2;
  for (let i = 0; i < count; i++) {
    const code = buf[codes + i];
    if (code > 2 && code !== SUBACK_FAILURE) return DecodeError.InvalidReturnCode; // [MQTT-3.9.3-2]
  }
  out.packetId = packetId;
  out.returnCodesOffset = codes;
  out.returnCodesCount = count;
  return 0;
}
