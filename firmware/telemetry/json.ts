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
/** 10^n for n = 0..15, to count digits. */
const TENS = Object.freeze([1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]);
/** Below this, a number is written in plain digits exactly (2^53). */
const PLAIN_LIMIT = 9_007_199_254_740_992;

export class JsonWriter {
  readonly buffer: Uint8Array;
  /** Bytes written so far; the object is buffer[0, length). */
  length = 0;
  /** Set when a write did not fit: the object is then incomplete and must not be sent. */
  overflow = false;
  private first = true;

  constructor(capacity: number) {
    this.buffer = new Uint8Array(capacity);
  }

  begin(): void {
    this.length = 0;
    this.overflow = false;
    this.first = true;
    this.byte(0x7b); // {
  }

  end(): void {
    this.byte(0x7d); // }
  }

  /** Writes `"key":` from the key's bytes (made once, without quotes). */
  key(name: Uint8Array): void {
    if (!this.first) this.byte(COMMA);
    this.first = false;
    this.byte(QUOTE);
    const length = name.length;
    if (this.length + length > this.buffer.length) {
      this.overflow = true;
      return;
    }
    this.buffer.set(name, this.length);
    this.length += length;
    this.byte(QUOTE);
    this.byte(COLON);
  }

  /** Writes a number rounded to `decimals` (0-6) places, trailing zeros dropped; null if not finite. */
  number(value: number, decimals: number): void {
    if (value !== value || value === Infinity || value === -Infinity) {
      this.byte(0x6e); // null
      this.byte(0x75);
      this.byte(0x6c);
      this.byte(0x6c);
      return;
    }
    if (value < 0) {
      const scaled = Math.round(-value * POWERS[decimals]);
      if (scaled !== 0) this.byte(MINUS); // no "-0"
      value = -value;
    }
    if (value * POWERS[decimals] >= PLAIN_LIMIT) return this.exponent(value);
    let scaled = Math.round(value * POWERS[decimals]);
    let places = decimals;
    while (places > 0 && scaled % 10 === 0) {
      scaled /= 10;
      places--;
    }
    this.digits(scaled, places);
  }

  /** Writes a whole number (e.g. a timestamp in ms or a sequence number) exactly, up to 2^53. */
  integer(value: number): void {
    this.number(Math.floor(value), 0);
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

  /** `scaled` as digits with a decimal point `places` from the right. */
  private digits(scaled: number, places: number): void {
    let count = 1;
    while (count < 16 && scaled >= TENS[count]) count++; // compare, not divide: cheaper on XS
    if (count <= places) count = places + 1; // a leading "0."
    const total = count + (places > 0 ? 1 : 0);
    if (this.length + total > this.buffer.length) {
      this.overflow = true;
      return;
    }
    const buffer = this.buffer;
    let at = this.length + total - 1;
    for (let i = 0; i < count; i++) {
      if (i === places && places > 0) buffer[at--] = DOT;
      const digit = scaled % 10;
      buffer[at--] = ZERO + digit;
      scaled = (scaled - digit) / 10;
    }
    this.length += total;
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
