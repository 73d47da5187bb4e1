/**
 * A JSON object writer into a fixed byte buffer, with its own number formatting: no strings, no
 * allocation. Every value it writes is valid JSON: NaN and infinities become null, and numbers too large
 * for plain digits take an exponent.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const POWERS = Object.freeze([1, 10, 100, 1000, 10000, 100000, 1000000]);
/**
 * "00" to "99" as 16-bit words, the tens digit in the high byte: a DataView's setUint16 (big-endian) writes
 * both digits in one store (8 computrons on XS, where two byte stores from a table cost about 20).
 */
const PAIRS = new Uint16Array(100);
for (let n = 0; n < 100; n++) PAIRS[n] = ((ZERO + ((n / 10) | 0)) << 8) | (ZERO + (n % 10));
/**
 * "000" to "999" in the low three bytes of 32-bit words: setUint32 writes three digits in one store, and its
 * high byte lands on the next digit to the left, which the next store overwrites. integer() of a 13-digit
 * timestamp costs 328 computrons on XS this way, 392 two digits a store. 4 KB, in flash when preloaded.
 */
const TRIPLES = new Uint32Array(1000);
for (let n = 0; n < 1000; n++) TRIPLES[n] = ((ZERO + ((n / 100) | 0)) << 16) | PAIRS[n % 100];

/** Digits of a whole number below 10^16, by comparisons (cheaper on XS than dividing or a loop). */
function digitCount(n: number): number {
  if (n < 1e8) {
    if (n < 1e4) return n < 100 ? (n < 10 ? 1 : 2) : n < 1e3 ? 3 : 4;
    return n < 1e6 ? (n < 1e5 ? 5 : 6) : n < 1e7 ? 7 : 8;
  }
  if (n < 1e12) return n < 1e10 ? (n < 1e9 ? 9 : 10) : n < 1e11 ? 11 : 12;
  return n < 1e14 ? (n < 1e13 ? 13 : 14) : n < 1e15 ? 15 : 16;
}
/** Below this, a number is written in plain digits exactly (2^53). */
const PLAIN_LIMIT = 9_007_199_254_740_992;

type Resizable = ArrayBuffer & { resize(length: number): void };

export class JsonWriter {
  /**
   * The bytes, capacity long while writing. Where ArrayBuffers resize (XS, Node 20), a length-tracking view
   * of a resizable ArrayBuffer: trim() makes it exactly the object's bytes, so a publish takes it whole,
   * copied with one set() (XS meters 2 computrons a byte) instead of a range copied in script (about 32).
   */
  readonly buffer: Uint8Array;
  /** The same bytes (length-tracking too), for writing two or three digits in one store. */
  private readonly view: DataView;
  /** Bytes written so far; the object is buffer[0, length). */
  length = 0;
  /** Set when a write did not fit: the object is then incomplete and must not be sent. */
  overflow = false;
  private first = true;
  private readonly capacity: number;
  private readonly memory: Resizable | null;

  constructor(capacity: number) {
    this.capacity = capacity;
    const resizable = typeof (ArrayBuffer.prototype as { resize?: unknown }).resize === "function";
    this.memory = resizable ? (new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => Resizable)(capacity, { maxByteLength: capacity })) : null;
    this.buffer = this.memory !== null ? new Uint8Array(this.memory) : new Uint8Array(capacity);
    this.view = new DataView(this.buffer.buffer);
  }

  /**
   * buffer becomes exactly the object's bytes (buffer.length === length), when ArrayBuffers resize; call
   * untrim() right after using it (before anything may allocate: XS resizes in place within the ArrayBuffer's
   * maximum, and a collection while it is short could move it). Returns whether it did.
   */
  trim(): boolean {
    const memory = this.memory;
    if (memory === null) return false;
    memory.resize(this.length);
    return true;
  }

  /** buffer is capacity long again (after trim()). */
  untrim(): void {
    const memory = this.memory;
    if (memory !== null) memory.resize(this.capacity);
  }

  begin(): void {
    // A sample written from a callback of the publish that holds this one trimmed (onError, say) gets the whole buffer.
    const buffer = this.buffer;
    if (buffer.length !== this.capacity) this.untrim();
    this.overflow = false;
    this.first = true;
    // The brace stored here, not by byte(): 22 computrons less on XS (end(): 10).
    if (buffer.length > 0) {
      buffer[0] = 0x7b; // {
      this.length = 1;
    } else {
      this.length = 0;
      this.overflow = true;
    }
  }

  /**
   * begin() and the first member's key in one copy: `{"key":` made once by openingBytes() (begin() then
   * key() cost 164 computrons on XS for "ts"; this, 69).
   */
  open(opening: Uint8Array): void {
    const buffer = this.buffer;
    if (buffer.length !== this.capacity) this.untrim();
    this.overflow = false;
    this.first = false;
    const length = opening.length;
    if (length <= buffer.length) {
      buffer.set(opening, 0);
      this.length = length;
    } else {
      this.length = 0;
      this.overflow = true;
    }
  }

  end(): void {
    const at = this.length;
    const buffer = this.buffer;
    if (at < buffer.length) {
      buffer[at] = 0x7d; // }
      this.length = at + 1;
    } else this.overflow = true;
  }

  /** Writes `"key":` from the key's bytes (made once, without quotes). */
  key(name: Uint8Array): void {
    // In place, room checked once (a call per byte costs about 40 computrons on XS).
    const buffer = this.buffer;
    const length = name.length;
    let at = this.length;
    const comma = this.first ? 0 : 1;
    this.first = false;
    if (at + comma + length + 3 > buffer.length) {
      this.overflow = true;
      return;
    }
    if (comma !== 0) buffer[at++] = COMMA;
    buffer[at++] = QUOTE;
    buffer.set(name, at);
    at += length;
    buffer[at++] = QUOTE;
    buffer[at++] = COLON;
    this.length = at;
  }

  /**
   * Writes a member's `,"key":` made once by memberBytes() (after the first member: it starts with the
   * comma): one copy, where key() writes the comma, quotes and colon one by one.
   */
  member(bytes: Uint8Array): void {
    const at = this.length;
    const length = bytes.length;
    this.first = false;
    if (at + length > this.buffer.length) {
      this.overflow = true;
      return;
    }
    this.buffer.set(bytes, at);
    this.length = at + length;
  }

  /**
   * Writes each member's `,"key":` (memberBytes()) and its value, as member() then number() would: one call
   * for all of a sample's readings, the copy and a plain reading's digits done here: an SHT3x sample costs 73
   * computrons less on XS than with member() and number() called per reading.
   */
  members(members: readonly Uint8Array[], values: Float64Array, decimals: Uint8Array): void {
    const buffer = this.buffer;
    this.first = false;
    for (let i = 0; i < members.length; i++) {
      const bytes = members[i];
      const at = this.length;
      const end = at + bytes.length;
      if (end > buffer.length) this.overflow = true;
      else {
        buffer.set(bytes, at);
        this.length = end;
      }
      // A reading from 0 below 1e9 (most are) skips number()'s checks for null, a sign and an exponent, and
      // its call: the digits number() would write, about 30 computrons less a reading on XS.
      const value = values[i];
      if (value >= 0 && value < 1e9) {
        let places = decimals[i];
        let scaled = Math.round(value * POWERS[places]);
        while (places > 0 && scaled % 10 === 0) {
          scaled /= 10;
          places--;
        }
        this.digits(scaled, places);
      } else this.number(value, decimals[i]);
    }
  }

  /** Writes a number rounded to `decimals` (0-6) places, trailing zeros dropped; null if not finite. */
  number(value: number, decimals: number): void {
    if (value - value !== 0) {
      // NaN or an infinity
      this.byte(0x6e); // null
      this.byte(0x75);
      this.byte(0x6c);
      this.byte(0x6c);
      return;
    }
    const negative = value < 0;
    if (negative) value = -value;
    const product = value * POWERS[decimals];
    let scaled = Math.round(product);
    if (negative && scaled !== 0) this.byte(MINUS); // no "-0"
    if (product >= PLAIN_LIMIT) return this.exponent(value);
    let places = decimals;
    while (places > 0 && scaled % 10 === 0) {
      scaled /= 10;
      places--;
    }
    this.digits(scaled, places);
  }

  /** Writes a whole number (e.g. a timestamp in ms or a sequence number) exactly, up to 2^53. */
  integer(value: number): void {
    // A whole number from 0 below 2^53 (a timestamp, a count) goes straight to its digits: no call to number().
    if (value >= 0 && value < PLAIN_LIMIT && value % 1 === 0) this.digits(value, 0);
    else this.number(Math.floor(value), 0);
  }

  /** Writes a JSON string from bytes that need no escaping (the caller's check: no quote, backslash or control byte). */
  rawString(bytes: Uint8Array): void {
    this.byte(QUOTE);
    if (this.length + bytes.length > this.buffer.length) {
      this.overflow = true;
      return;
    }
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    this.byte(QUOTE);
  }

  /** `scaled` (a whole number below 2^53) as digits with a decimal point `places` from the right. */
  private digits(scaled: number, places: number): void {
    // Below 10^4 (a reading's digits, mostly) counted here: digitCount()'s call cost an SHT3x sample 44 computrons on XS.
    const count = scaled < 1e4 ? (scaled < 100 ? (scaled < 10 ? 1 : 2) : scaled < 1e3 ? 3 : 4) : digitCount(scaled);
    const buffer = this.buffer;
    const start = this.length;
    let last = start + count - 1; // the rightmost byte, then the rightmost not written yet
    if (places > 0) {
      if (count <= places) last = start + places; // a leading "0."
      last++; // the point
    }
    if (last >= buffer.length) {
      this.overflow = true;
      return;
    }
    this.length = last + 1;
    // Right to left, a division per two or three digits (not per digit), stored together.
    const view = this.view;
    if (places > 0) {
      let p = places;
      for (; p >= 2; p -= 2) {
        const r = scaled % 100;
        view.setUint16(last - 1, PAIRS[r]);
        last -= 2;
        scaled = (scaled - r) / 100;
      }
      if (p === 1) {
        const d = scaled % 10;
        buffer[last--] = ZERO + d;
        scaled = (scaled - d) / 10;
      }
      buffer[last--] = DOT;
    }
    // Three digits a store while at least four are left (the store's spare byte must land on a digit).
    while (last - start >= 3) {
      const r = scaled % 1000;
      view.setUint32(last - 3, TRIPLES[r]);
      last -= 3;
      scaled = (scaled - r) / 1000;
    }
    if (last > start) {
      const r = scaled % 100;
      view.setUint16(last - 1, PAIRS[r]);
      last -= 2;
      scaled = (scaled - r) / 100;
    }
    if (last === start) buffer[last] = ZERO + (scaled % 10);
  }

  /** d.dddddde<exp>, six significant digits: for magnitudes plain digits cannot hold exactly. */
  private exponent(value: number): void {
    let exp = 0;
    while (value >= 10) {
      value /= 10;
      exp++;
    }
    let mantissa = Math.round(value * 100000);
    if (mantissa >= 1000000) {
      mantissa = Math.round(mantissa / 10);
      exp++;
    }
    let places = 5;
    while (places > 0 && mantissa % 10 === 0) {
      mantissa /= 10;
      places--;
    }
    this.digits(mantissa, places);
    this.byte(0x65); // e
    this.digits(exp, 0);
  }

  private byte(value: number): void {
    if (this.length >= this.buffer.length) {
      this.overflow = true;
      return;
    }
    this.buffer[this.length++] = value;
  }
}

/** `{"key":` from the key's bytes (no quote, backslash or control byte), for JsonWriter.open(). */
export function openingBytes(name: Uint8Array): Uint8Array {
  const bytes = memberBytes(name);
  bytes[0] = 0x7b; // {
  return bytes;
}

/** `,"key":` from the key's bytes (no quote, backslash or control byte), for JsonWriter.member(). */
export function memberBytes(name: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(name.length + 4);
  bytes[0] = COMMA;
  bytes[1] = QUOTE;
  bytes.set(name, 2);
  bytes[name.length + 2] = QUOTE;
  bytes[name.length + 3] = COLON;
  return bytes;
}
