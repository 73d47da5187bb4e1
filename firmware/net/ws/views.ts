/**
 * Fixed views for ECMA-419 reads and writes of any length without a new view per call. read(buffer)
 * fills exactly the view given and write(data) sends all of it, so each call needs a view of exactly
 * the bytes at hand, and `new Uint8Array(buffer, offset, length)` allocates (4 slots on XS). A bank holds,
 * all at offset 0 of one region of `size` bytes, views of lengths 1..m-1 and of every multiple of m up to
 * size (m = ceil(sqrt(size))): about 2 * sqrt(size) views, made once. Any length L <= size is then at most
 * two calls: the first floor(L / m) * m bytes through a long view, the rest through a short one after
 * moving them to offset 0 (copyWithin, which allocates nothing).
 */
export class ViewBank {
  /** The region: bytes [0, size) of `bytes`. */
  readonly bytes: Uint8Array;
  readonly size: number;
  readonly step: number;
  private readonly short: Uint8Array[] = [];
  private readonly long: Uint8Array[] = [];

  /** @param bytes - the region's bytes (a Uint8Array starting at the region; its buffer is shared) */
  constructor(bytes: Uint8Array) {
    const size = bytes.length;
    const step = Math.max(1, Math.ceil(Math.sqrt(size)));
    this.bytes = bytes;
    this.size = size;
    this.step = step;
    const buffer = bytes.buffer;
    const base = bytes.byteOffset;
    for (let i = 0; i < step; i++) this.short.push(new Uint8Array(buffer, base, i));
    for (let q = 0; q * step <= size; q++) this.long.push(new Uint8Array(buffer, base, q * step));
  }

  /** The long view for a length L: bytes [0, floor(L / step) * step), or null when L < step. */
  head(length: number): Uint8Array | null {
    const q = Math.floor(length / this.step);
    return q > 0 ? this.long[q] : null;
  }

  /** The short view for what head(length) leaves: L mod step bytes at offset 0, or null when none. */
  tail(length: number): Uint8Array | null {
    const r = length % this.step;
    return r > 0 ? this.short[r] : null;
  }

  /** Where tail(length)'s bytes are before they are moved to offset 0. */
  tailAt(length: number): number {
    return length - (length % this.step);
  }
}
