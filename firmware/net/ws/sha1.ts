/**
 * SHA-1 (FIPS 180-4) and base64 (RFC 4648 section 4) over fixed buffers, for one purpose: the WebSocket
 * opening handshake's Sec-WebSocket-Accept (RFC 6455 section 4.1: base64(SHA-1(key + GUID))). XS has no
 * crypto module a device is guaranteed to carry, and this runs once per connection on 60 bytes, so a small
 * implementation is enough. Nothing here allocates after construction: the message schedule and the
 * padded block are preallocated, and state lives in locals and one Int32Array.
 */

/** The base64 alphabet as character codes (RFC 4648 table 1). */
const ALPHABET = /* @__PURE__ */ (() => {
  const codes = new Uint8Array(64);
  for (let i = 0; i < 26; i++) {
    codes[i] = 65 + i; // A-Z
    codes[26 + i] = 97 + i; // a-z
  }
  for (let i = 0; i < 10; i++) codes[52 + i] = 48 + i; // 0-9
  codes[62] = 43; // +
  codes[63] = 47; // /
  return codes;
})();

/**
 * Writes base64 of src[from, from + length) into out at `at` (with "=" padding); returns the characters
 * written (4 per 3 bytes, rounded up).
 */
export function base64Encode(src: Uint8Array, from: number, length: number, out: Uint8Array, at: number): number {
  let o = at;
  const end = from + length;
  let i = from;
  for (; i + 2 < end; i += 3) {
    const n = (src[i] << 16) | (src[i + 1] << 8) | src[i + 2];
    out[o++] = ALPHABET[(n >> 18) & 63];
    out[o++] = ALPHABET[(n >> 12) & 63];
    out[o++] = ALPHABET[(n >> 6) & 63];
    out[o++] = ALPHABET[n & 63];
  }
  const left = end - i;
  if (left > 0) {
    const n = (src[i] << 16) | (left === 2 ? src[i + 1] << 8 : 0);
    out[o++] = ALPHABET[(n >> 18) & 63];
    out[o++] = ALPHABET[(n >> 12) & 63];
    out[o++] = left === 2 ? ALPHABET[(n >> 6) & 63] : 61;
    out[o++] = 61; // "="
  }
  return o - at;
}

/** SHA-1 of short messages, into a caller's 20-byte buffer; reusable, allocation-free once constructed. */
export class Sha1 {
  private readonly w = new Int32Array(80);
  private readonly h = new Int32Array(5);
  /** The largest message digest() takes (the block buffer is sized for it). */
  readonly maxLength: number;
  private readonly block: Uint8Array;

  constructor(maxLength = 119) {
    this.maxLength = maxLength;
    // Room for the message, the 0x80 byte and the 64-bit length, rounded up to 64-byte blocks.
    this.block = new Uint8Array(Math.ceil((maxLength + 9) / 64) * 64);
  }

  /** Writes SHA-1(src[from, from + length)) into out[at, at + 20). */
  digest(src: Uint8Array, from: number, length: number, out: Uint8Array, at: number): void {
    if (length > this.maxLength) throw new RangeError("Sha1: message longer than maxLength");
    const block = this.block;
    const total = Math.ceil((length + 9) / 64) * 64;
    for (let i = 0; i < length; i++) block[i] = src[from + i];
    block[length] = 0x80;
    for (let i = length + 1; i < total; i++) block[i] = 0;
    const bits = length * 8; // messages here are far below 2^32 bits
    block[total - 4] = bits >>> 24;
    block[total - 3] = bits >>> 16;
    block[total - 2] = bits >>> 8;
    block[total - 1] = bits;
    const h = this.h;
    h[0] = 0x67452301;
    h[1] = 0xefcdab89 | 0;
    h[2] = 0x98badcfe | 0;
    h[3] = 0x10325476;
    h[4] = 0xc3d2e1f0 | 0;
    for (let offset = 0; offset < total; offset += 64) this.compress(offset);
    for (let i = 0; i < 5; i++) {
      const v = h[i];
      out[at + i * 4] = v >>> 24;
      out[at + i * 4 + 1] = v >>> 16;
      out[at + i * 4 + 2] = v >>> 8;
      out[at + i * 4 + 3] = v;
    }
  }

  /** One 64-byte block (FIPS 180-4 section 6.1.2). */
  private compress(offset: number): void {
    const w = this.w;
    const block = this.block;
    for (let t = 0; t < 16; t++) {
      const i = offset + t * 4;
      w[t] = (block[i] << 24) | (block[i + 1] << 16) | (block[i + 2] << 8) | block[i + 3];
    }
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
      w[t] = (x << 1) | (x >>> 31);
    }
    const h = this.h;
    let a = h[0];
    let b = h[1];
    let c = h[2];
    let d = h[3];
    let e = h[4];
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc | 0;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6 | 0;
      }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0;
  }
}
