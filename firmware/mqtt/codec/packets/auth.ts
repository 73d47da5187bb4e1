/**
 * AUTH (§3.15, 5.0 only): one step of enhanced authentication, in either direction, with a reason code
 * (0x00 Success, 0x18 Continue authentication, 0x19 Re-authenticate) and properties (the method and data).
 */
import { PacketType, type IncomingPacket } from "../packet.js";
import { decodeProperties } from "../properties.js";
import { DecodeError } from "../status.js";
import { copyBytes, varintSize, writeVarint } from "../wire.js";

/** §3.15.2.1 Table 3-11. */
export const AuthReason = Object.freeze({
  Success: 0x00,
  ContinueAuthentication: 0x18,
  ReAuthenticate: 0x19,
} as const);

/** Bytes an AUTH takes: the reason code and the property block are always written. */
export function authSize(propertiesLength: number): number {
  const remaining = 1 + varintSize(propertiesLength) + propertiesLength;
  return 1 + varintSize(remaining) + remaining;
}

/** Writes AUTH with `reasonCode` and the properties `properties[0, propertiesLength)`; returns the next offset. */
export function encodeAuth(buf: Uint8Array, off: number, reasonCode: number, properties: Uint8Array, propertiesLength: number): number {
  buf[off] = 0xf0; // type 15, flags 0 (§3.15.1)
  off = writeVarint(buf, off + 1, 1 + varintSize(propertiesLength) + propertiesLength);
  buf[off] = reasonCode;
  off = writeVarint(buf, off + 1, propertiesLength);
  return copyBytes(buf, off, properties, 0, propertiesLength);
}

/**
 * Decodes an AUTH body: Remaining Length 0 is Success without properties [§3.15.2.1]; else a reason code
 * of Table 3-11, then properties when the length is 2 or more. Returns 0 or a DecodeError.
 */
export function decodeAuth(buf: Uint8Array, off: number, remainingLength: number, out: IncomingPacket): number {
  if (remainingLength === 0) return 0;
  const code = buf[off];
  if (code !== AuthReason.Success && code !== AuthReason.ContinueAuthentication && code !== AuthReason.ReAuthenticate) return DecodeError.InvalidReasonCode;
  out.reasonCode = code;
  if (remainingLength === 1) return 0;
  const taken = decodeProperties(buf, off + 1, off + remainingLength, PacketType.Auth, out.properties);
  if (taken < 0) return taken;
  return 1 + taken === remainingLength ? 0 : DecodeError.LengthMismatch;
}
