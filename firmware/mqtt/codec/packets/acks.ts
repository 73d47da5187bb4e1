/**
 * The four publish acknowledgements, PUBACK (§3.4), PUBREC (§3.5), PUBREL (§3.6) and PUBCOMP (§3.7):
 * in 3.1.1 a fixed header and a packet identifier, four bytes in all; 5.0 adds a reason code and
 * properties, both left out when the reason is Success and there are no properties [§3.4.2.1].
 */
import { PacketType, ProtocolVersion, type IncomingPacket } from "../packet.js";
import { decodeProperties } from "../properties.js";
import { DecodeError } from "../status.js";
import { copyBytes, readU16, varintSize, writeVarint } from "../wire.js";

/** Bytes each acknowledgement takes in 3.1.1 (and in 5.0 for Success without properties). */
export const ACK_SIZE = 4;

/** Bytes an acknowledgement takes: 5.0 adds the reason code and the properties unless both are empty. */
export function ackSize(version: ProtocolVersion, reasonCode = 0, propertiesLength = 0): number {
  if (version !== ProtocolVersion.V5 || (reasonCode === 0 && propertiesLength === 0)) return ACK_SIZE;
  const remaining = 3 + varintSize(propertiesLength) + propertiesLength;
  return 1 + varintSize(remaining) + remaining;
}

/**
 * Writes PUBACK, PUBREC, PUBREL or PUBCOMP for `packetId` at `off`; returns the next offset.
 * PUBREL carries the flags 0b0010 [MQTT-3.6.1-1]; the others 0. In 5.0, a reason code other than
 * Success or any property (`properties[0, propertiesLength)`) writes the reason code and the property
 * block (its length 0 when there are none).
 */
export function encodeAck(
  buf: Uint8Array,
  off: number,
  type: PacketType,
  packetId: number,
  version: ProtocolVersion,
  reasonCode = 0,
  properties: Uint8Array | null = null,
  propertiesLength = 0,
): number {
  buf[off] = (type << 4) | (type === PacketType.Pubrel ? 0b0010 : 0);
  if (version !== ProtocolVersion.V5 || (reasonCode === 0 && propertiesLength === 0)) {
    buf[off + 1] = 2;
    buf[off + 2] = packetId >>> 8;
    buf[off + 3] = packetId & 0xff;
    return off + 4;
  }
  off = writeVarint(buf, off + 1, 3 + varintSize(propertiesLength) + propertiesLength);
  buf[off] = packetId >>> 8;
  buf[off + 1] = packetId & 0xff;
  buf[off + 2] = reasonCode;
  off = writeVarint(buf, off + 3, propertiesLength);
  return properties === null ? off : copyBytes(buf, off, properties, 0, propertiesLength);
}

/** §3.4.2.1 and §3.5.2.1: the reason codes of PUBACK and PUBREC. */
function isPublishAckReason(code: number): boolean {
  return code === 0x00 || code === 0x10 || code === 0x80 || code === 0x83 || code === 0x87 || code === 0x90 || code === 0x91 || code === 0x97 || code === 0x99;
}

/**
 * Decodes the body of PUBACK, PUBREC, PUBREL, PUBCOMP (or a 3.1.1 UNSUBACK, the same shape): a non-zero
 * packet identifier; in 5.0 then a reason code (Success when the Remaining Length is 2) and properties
 * (none when it is 3) [§3.4.2.1]. Returns 0 or a DecodeError.
 */
export function decodeAck(buf: Uint8Array, off: number, remainingLength: number, out: IncomingPacket, version: ProtocolVersion = ProtocolVersion.V311): number {
  if (version !== ProtocolVersion.V5 ? remainingLength !== 2 : remainingLength < 2) return DecodeError.LengthMismatch; // §3.4.1
  const packetId = readU16(buf, off);
  if (packetId === 0) return DecodeError.ZeroPacketId; // [MQTT-2.3.1-1]
  out.packetId = packetId;
  if (remainingLength === 2) return 0;
  const code = buf[off + 2];
  const type = out.type;
  const valid = type === PacketType.Puback || type === PacketType.Pubrec ? isPublishAckReason(code) : code === 0x00 || code === 0x92; // §3.6.2.1, §3.7.2.1
  if (!valid) return DecodeError.InvalidReasonCode;
  out.reasonCode = code;
  if (remainingLength === 3) return 0;
  const taken = decodeProperties(buf, off + 3, off + remainingLength, type, out.properties);
  if (taken < 0) return taken;
  return 3 + taken === remainingLength ? 0 : DecodeError.LengthMismatch;
}
