/**
 * The four publish acknowledgements, PUBACK (§3.4), PUBREC (§3.5), PUBREL (§3.6) and PUBCOMP (§3.7):
 * in 3.1.1 each is a fixed header and a packet identifier, four bytes in all.
 */
import { PacketType, ProtocolVersion, type IncomingPacket } from "../packet.js";
import { DecodeError } from "../status.js";
import { readU16 } from "../wire.js";

/** Bytes each acknowledgement takes in 3.1.1. */
export const ACK_SIZE = 4;

/**
 * Writes PUBACK, PUBREC, PUBREL or PUBCOMP for `packetId` at `off`; returns the next offset.
 * PUBREL carries the flags 0b0010 [MQTT-3.6.1-1]; the others 0.
 */
export function encodeAck(buf: Uint8Array, off: number, type: PacketType, packetId: number, version: ProtocolVersion): number {
  void version; // 5.0 adds a reason code and properties after the packet id
  buf[off] = (type << 4) | (type === PacketType.Pubrel ? 0b0010 : 0);
  buf[off + 1] = 2;
  buf[off + 2] = packetId >>> 8;
  buf[off + 3] = packetId & 0xff;
  return off + 4;
}

/**
 * Decodes the body of PUBACK, PUBREC, PUBREL, PUBCOMP or UNSUBACK (§3.11, the same shape in 3.1.1):
 * exactly a non-zero packet identifier. Returns 0 or a DecodeError.
 */
export function decodeAck(buf: Uint8Array, off: number, remainingLength: number, out: IncomingPacket): number {
  if (remainingLength !== 2) return DecodeError.LengthMismatch; // §3.4.1: Remaining Length is 2
  const packetId = readU16(buf, off);
  if (packetId === 0) return DecodeError.ZeroPacketId; // [MQTT-2.3.1-1]
  out.packetId = packetId;
  return 0;
}
