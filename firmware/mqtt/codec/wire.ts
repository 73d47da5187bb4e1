/**
 * The wire primitives of §1.5 and §2.2.3: the Remaining Length varint, two-byte integers, UTF-8 strings
 * with their length prefix, and the spec's hard limits. All work on a Uint8Array at an offset and
 * return the offset after what they wrote; none allocates.
 */
import { DecodeError } from "./status.js";

/** §1.5.3: a UTF-8 string's length prefix is two bytes. */
export const MAX_STRING_LENGTH = 65_535;
/** §2.3.1: packet identifiers are 1..65,535. */
export const MAX_PACKET_ID = 65_535;

/** Bytes the Remaining Length varint takes for `value` (§2.2.3, Table 2.4). */
export function varintSize(value: number): number {
  return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
}

/** Writes `value` (0..268,435,455) as a Remaining Length varint; returns the next offset. */
export function writeVarint(buf: Uint8Array, off: number, value: number): number {
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value > 0) byte |= 0x80;
    buf[off++] = byte;
  } while (value > 0);
  return off;
}

/**
 * Reads a Variable Byte Integer (§1.5.5) at `off`, ending before `end`: its value, or -1 when it is cut
 * short, runs past four bytes, or is not in its shortest form [MQTT-1.5.5-1]. Its size is varintSize(value).
 */
export function readVarint(buf: Uint8Array, off: number, end: number): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 4; i++) {
    if (off + i >= end) return -1;
    const byte = buf[off + i];
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return i > 0 && byte === 0 ? -1 : value;
    multiplier *= 128;
  }
  return -1;
}

/** Writes a big-endian two-byte integer (§1.5.2); returns the next offset. */
export function writeU16(buf: Uint8Array, off: number, value: number): number {
  buf[off] = value >>> 8;
  buf[off + 1] = value & 0xff;
  return off + 2;
}

/** Reads a big-endian two-byte integer (§1.5.2). */
export function readU16(buf: Uint8Array, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

/**
 * Copies `length` bytes of `src` from `srcOffset` to `dst` at `dstOffset`. A whole array goes in one
 * native `set`; a part of one is copied byte by byte, because a subarray view would allocate on XS.
 */
export function copyBytes(dst: Uint8Array, dstOffset: number, src: Uint8Array, srcOffset: number, length: number): number {
  if (srcOffset === 0 && length === src.length) {
    dst.set(src, dstOffset);
    return dstOffset + length;
  }
  const end = srcOffset + length;
  while (srcOffset < end) dst[dstOffset++] = src[srcOffset++];
  return dstOffset;
}

/** Writes a length-prefixed byte field (§1.5.3 string or §3.1.3 binary data); returns the next offset. */
export function writeField(buf: Uint8Array, off: number, bytes: Uint8Array): number {
  const length = bytes.length;
  buf[off] = length >>> 8;
  buf[off + 1] = length & 0xff;
  buf.set(bytes, off + 2);
  return off + 2 + length;
}

const charCodeAt = String.prototype.charCodeAt;

/**
 * Bytes `text` takes in UTF-8, or DecodeError.MalformedUtf8 for a lone surrogate, which has no UTF-8
 * form [MQTT-1.5.3-1]. Walks the string with a cached charCodeAt, which allocates nothing on XS.
 */
export function utf8Length(text: string): number {
  let size = 0;
  for (let i = 0; ; i++) {
    const c = charCodeAt.call(text, i);
    if (c !== c) return size; // NaN: past the end (reading text.length would allocate on XS)
    if (c < 0x80) size += 1;
    else if (c < 0x800) size += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = charCodeAt.call(text, i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return DecodeError.MalformedUtf8;
      size += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return DecodeError.MalformedUtf8;
    else size += 3;
  }
}

/** A string's UTF-8 bytes in a new array, or null if it has a lone surrogate [MQTT-1.5.3-1]. Allocates: for set-up. */
export function utf8Bytes(text: string): Uint8Array | null {
  const length = utf8Length(text);
  if (length < 0) return null;
  const bytes = new Uint8Array(length);
  writeUtf8(bytes, 0, text);
  return bytes;
}

/** Writes `text` as UTF-8 without a length prefix; the caller checked it with utf8Length. */
export function writeUtf8(buf: Uint8Array, off: number, text: string): number {
  for (let i = 0; ; i++) {
    let c = charCodeAt.call(text, i);
    if (c !== c) return off;
    if (c < 0x80) buf[off++] = c;
    else if (c < 0x800) {
      buf[off++] = 0xc0 | (c >> 6);
      buf[off++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (charCodeAt.call(text, ++i) - 0xdc00);
      buf[off++] = 0xf0 | (c >> 18);
      buf[off++] = 0x80 | ((c >> 12) & 0x3f);
      buf[off++] = 0x80 | ((c >> 6) & 0x3f);
      buf[off++] = 0x80 | (c & 0x3f);
    } else {
      buf[off++] = 0xe0 | (c >> 12);
      buf[off++] = 0x80 | ((c >> 6) & 0x3f);
      buf[off++] = 0x80 | (c & 0x3f);
    }
  }
}

/**
 * Checks `length` bytes at `off` are well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF) [MQTT-1.5.3-1] with no U+0000 [MQTT-1.5.3-2]. Returns 0 or a DecodeError.
 */
export function validateUtf8(buf: Uint8Array, off: number, length: number): number {
  const end = off + length;
  while (off < end) {
    const b = buf[off++];
    if (b < 0x80) {
      if (b === 0) return DecodeError.NullCharacter;
      continue;
    }
    let need: number;
    let min: number; // the lowest second byte allowed, which excludes overlong forms and surrogates
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = b === 0xe0 ? 0xa0 : 0x80;
      if (b === 0xed) max = 0x9f; // U+D800..U+DFFF would start 0xED 0xA0..0xBF
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = b === 0xf0 ? 0x90 : 0x80;
      if (b === 0xf4) max = 0x8f; // nothing above U+10FFFF
    } else return DecodeError.MalformedUtf8;
    if (off + need > end) return DecodeError.MalformedUtf8;
    const second = buf[off++];
    if (second < min || second > max) return DecodeError.MalformedUtf8;
    while (--need > 0) {
      const next = buf[off++];
      if (next < 0x80 || next > 0xbf) return DecodeError.MalformedUtf8;
    }
  }
  return 0;
}

const fromCharCode = String.fromCharCode;

/** Decodes UTF-8 to a string (malformed bytes become U+FFFD). Allocates. */
export function decodeUtf8(buf: Uint8Array, off: number, length: number): string {
  let text = "";
  const end = off + length;
  while (off < end) {
    const b = buf[off++];
    let c: number;
    if (b < 0x80) c = b;
    else if (b >= 0xc2 && b < 0xe0 && off < end) c = ((b & 0x1f) << 6) | (buf[off++] & 0x3f);
    else if (b >= 0xe0 && b < 0xf0 && off + 1 < end) {
      c = ((b & 0x0f) << 12) | ((buf[off] & 0x3f) << 6) | (buf[off + 1] & 0x3f);
      off += 2;
    } else if (b >= 0xf0 && b < 0xf5 && off + 2 < end) {
      c = ((b & 0x07) << 18) | ((buf[off] & 0x3f) << 12) | ((buf[off + 1] & 0x3f) << 6) | (buf[off + 2] & 0x3f);
      off += 3;
      c -= 0x10000;
      text += fromCharCode(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
      continue;
    } else c = 0xfffd;
    text += fromCharCode(c);
  }
  return text;
}
