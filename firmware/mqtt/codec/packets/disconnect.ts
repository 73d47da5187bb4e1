/** DISCONNECT (§3.14): the client's last packet on a clean close; the broker then drops the will. */

export const DISCONNECT_SIZE = 2;

/** Writes a DISCONNECT at `off`; returns the next offset. 5.0 adds a reason code and properties. */
export function encodeDisconnect(buf: Uint8Array, off: number): number {
  buf[off] = 0xe0;
  buf[off + 1] = 0;
  return off + 2;
}
