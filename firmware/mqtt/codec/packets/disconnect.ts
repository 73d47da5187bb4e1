/**
 * DISCONNECT (§3.14): the client's last packet on a clean close; the broker then drops the will. In 5.0
 * it carries a reason code and properties, and the server may send one too before it closes.
 */
import { PacketType, ProtocolVersion, type IncomingPacket } from "../packet.js";
import { decodeProperties } from "../properties.js";
import { DecodeError } from "../status.js";
import { copyBytes, varintSize, writeVarint } from "../wire.js";

/** Bytes of the 3.1.1 DISCONNECT. */
export const DISCONNECT_SIZE = 2;

/** Bytes a DISCONNECT takes: in 5.0 the reason code and the property block are always written. */
export function disconnectSize(version: ProtocolVersion, propertiesLength = 0): number {
  if (version !== ProtocolVersion.V5) return DISCONNECT_SIZE;
  const remaining = 1 + varintSize(propertiesLength) + propertiesLength;
  return 1 + varintSize(remaining) + remaining;
}

/**
 * Writes a DISCONNECT at `off`; returns the next offset. 5.0 (`version` 5): the reason code (§3.14.2.1,
 * 0x00 Normal disconnection, 0x04 with the will) and the properties `properties[0, propertiesLength)`.
 */
export function encodeDisconnect(
  buf: Uint8Array,
  off: number,
  version: ProtocolVersion = ProtocolVersion.V311,
  reasonCode = 0,
  properties: Uint8Array | null = null,
  propertiesLength = 0,
): number {
  buf[off] = 0xe0;
  if (version !== ProtocolVersion.V5) {
    buf[off + 1] = 0;
    return off + 2;
  }
  off = writeVarint(buf, off + 1, 1 + varintSize(propertiesLength) + propertiesLength);
  buf[off] = reasonCode;
  off = writeVarint(buf, off + 1, propertiesLength);
  return properties === null ? off : copyBytes(buf, off, properties, 0, propertiesLength);
}

/** §3.14.2.1 Table 3-10: the reason codes a server may send in DISCONNECT (0x80-0xA2 but eight). */
function isServerDisconnectReason(code: number): boolean {
  if (code === 0x00) return true;
  if (code < 0x80 || code > 0xa2) return false;
  return code !== 0x84 && code !== 0x85 && code !== 0x86 && code !== 0x88 && code !== 0x8a && code !== 0x8c && code !== 0x91 && code !== 0x92;
}

/**
 * Decodes a server's DISCONNECT (5.0 only, §3.14): a Remaining Length of 0 is Normal disconnection;
 * then a reason code, and properties when it is 2 or more. Returns 0 or a DecodeError.
 */
export function decodeDisconnect(buf: Uint8Array, off: number, remainingLength: number, out: IncomingPacket): number {
  if (remainingLength === 0) return 0;
  const code = buf[off];
  if (!isServerDisconnectReason(code)) return DecodeError.InvalidReasonCode;
  out.reasonCode = code;
  if (remainingLength === 1) return 0;
  const taken = decodeProperties(buf, off + 1, off + remainingLength, PacketType.Disconnect, out.properties);
  if (taken < 0) return taken;
  return 1 + taken === remainingLength ? 0 : DecodeError.LengthMismatch;
}
