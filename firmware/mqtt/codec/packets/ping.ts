/** PINGREQ (§3.12) and PINGRESP (§3.13): a fixed header and nothing else. */
import { DecodeError } from "../status.js";

export const PINGREQ_SIZE = 2;

/** Writes a PINGREQ at `off`; returns the next offset. */
export function encodePingreq(buf: Uint8Array, off: number): number {
  buf[off] = 0xc0;
  buf[off + 1] = 0;
  return off + 2;
}

/** A PINGRESP has no body (§3.13): returns 0, or LengthMismatch if it claims one. */
export function decodePingresp(remainingLength: number): number {
  return remainingLength === 0 ? 0 : DecodeError.LengthMismatch;
}
