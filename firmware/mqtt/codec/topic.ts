/**
 * Topic names and filters (§4.7), on UTF-8 bytes: validation and matching, neither of which allocates.
 * Given a DataView of the bytes' array (made once by the caller: the client's receive buffer, a
 * subscription's filter), they read four or eight bytes a step: on XS a view's getUint32 costs 8
 * computrons where four indexed reads and their shifts cost 39. Without one, they read as before.
 */
import { DecodeError } from "./status.js";
import { MAX_STRING_LENGTH, utf8Length, validateUtf8 } from "./wire.js";

const SLASH = 0x2f; // '/'
const PLUS = 0x2b; // '+'
const HASH = 0x23; // '#'
const DOLLAR = 0x24; // '$'

/**
 * Checks a topic name: at least one byte [MQTT-4.7.3-1], at most 65,535 [MQTT-4.7.3-3], UTF-8 without
 * U+0000 [MQTT-4.7.3-2] [MQTT-1.5.3-1], and no wildcard [MQTT-4.7.1-1] [MQTT-3.3.2-2]. Returns 0 or a DecodeError.
 * `words`: a DataView of buf's bytes (its 0 at buf[0]), to read them in words.
 */
export function validateTopicName(buf: Uint8Array, off: number, length: number, words?: DataView): number {
  if (length === 0) return DecodeError.EmptyTopic;
  if (length > MAX_STRING_LENGTH) return DecodeError.StringTooLong;
  const end = off + length;
  let i = off;
  // Words while each byte is in 0x2C..0x7F, the usual topic characters (no wildcard, U+0000 or UTF-8
  // byte among them), then byte by byte from the first word that has another. Through `words`: adding
  // 0x54 to such a byte sets its top bit and carries nothing out of it, a byte under 0x2C keeps its top bit
  // clear, and one over 0x7F is caught by ~w (its carry may make the byte above look usual, but the word
  // is looked at anyway). On XS a 26-byte name: 268 computrons eight bytes a step through the view, 502
  // four bytes a step from indexed reads, 863 byte by byte.
  if (words !== undefined) {
    // Eight bytes a step, then four: the test on two words is the AND of the two tests.
    let w = 0; // declared once: XS pays for a loop body's own declarations each time round
    let v = 0;
    for (const last = end - 8; i <= last; i += 8) {
      w = words.getUint32(i);
      v = words.getUint32(i + 4);
      if (((w + 0x54545454) & ~w & (v + 0x54545454) & ~v & 0x80808080) !== ORDINARY) break; // look at these closer
    }
    for (const last = end - 4; i <= last; i += 4) {
      w = words.getUint32(i);
      if (((w + 0x54545454) & ~w & 0x80808080) !== ORDINARY) break; // a byte to look at: byte by byte from here
    }
    // The last one to three bytes (when no word stopped the loops), as the word that ends the name: it
    // overlaps bytes already passed.
    if (i > end - 4 && i < end && length >= 4) {
      w = words.getUint32(end - 4);
      if (((w + 0x54545454) & ~w & 0x80808080) === ORDINARY) return 0;
    }
  } else {
    for (const last = end - 4; i <= last; i += 4) {
      // A byte over 0x7F sets its top bit in w, one under 0x2C borrows it in w - 0x2C2C2C2C (the lowest such
      // byte always does; bytes below it borrow nothing). Not the test above: on Node, w + 0x54545454 would
      // leave the int32 range.
      const w = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
      if (((w | ((w - 0x2c2c2c2c) & ~w)) & 0x80808080) !== 0) break; // a byte to look at: byte by byte from here
    }
  }
  let ascii = true;
  for (; i < end; i++) {
    const c = buf[i];
    if (c > PLUS && c < 0x80) continue; // the usual topic characters, in one comparison pair
    if (c === PLUS || c === HASH) return DecodeError.WildcardInTopicName;
    if (c === 0) return DecodeError.NullCharacter;
    if (c >= 0x80) ascii = false;
  }
  return ascii ? 0 : validateUtf8(buf, off, length);
}
/** A word of four usual topic characters, as the test in validateTopicName leaves it (an int32). */
const ORDINARY = 0x80808080 | 0;

/**
 * Checks a topic filter: the rules of a name, except that `+` fills a whole level [MQTT-4.7.1-3] and
 * `#` is the last character, alone in its level [MQTT-4.7.1-2]. Returns 0 or a DecodeError.
 */
export function validateTopicFilter(buf: Uint8Array, off: number, length: number): number {
  if (length === 0) return DecodeError.EmptyTopic;
  if (length > MAX_STRING_LENGTH) return DecodeError.StringTooLong;
  const end = off + length;
  for (let i = off; i < end; i++) {
    const c = buf[i];
    if (c !== PLUS && c !== HASH) continue;
    const levelStart = i === off || buf[i - 1] === SLASH;
    const levelEnd = i + 1 === end || buf[i + 1] === SLASH;
    if (!levelStart || !levelEnd) return DecodeError.InvalidTopicFilter;
    if (c === HASH && i + 1 !== end) return DecodeError.InvalidTopicFilter;
  }
  return validateUtf8(buf, off, length);
}

/**
 * Whether the topic name `topic[topicOff, +topicLength)` matches the (valid) filter
 * `filter[filterOff, +filterLength)` (§4.7.1). A filter that starts with a wildcard does not match a
 * topic that starts with `$` [MQTT-4.7.2-1]. `a/#` also matches `a` (§4.7.1.2). `filterWords` and
 * `topicWords`: DataViews of the two arrays (their byte 0 at the view's 0), to read both in words; on XS
 * `devices/+/cmd/#` against a 26-byte name costs 559 computrons with both, 867 byte by byte.
 */
export function topicMatches(
  filter: Uint8Array,
  filterOff: number,
  filterLength: number,
  topic: Uint8Array,
  topicOff: number,
  topicLength: number,
  filterWords?: DataView,
  topicWords?: DataView,
): boolean {
  const filterEnd = filterOff + filterLength;
  const topicEnd = topicOff + topicLength;
  if (topic[topicOff] === DOLLAR && topicLength > 0 && filterLength > 0) {
    const first = filter[filterOff];
    if (first === PLUS || first === HASH) return false;
  }
  // With both views, equal runs go eight bytes a step, then four: a topic name holds no wildcard, so
  // bytes of the filter equal to the name's hold none either. Eight are compared as one float64: equal
  // doubles have equal bytes but for +0 and -0 (seven or eight zero bytes: never in a topic name, which
  // holds no U+0000), and a NaN is never equal (its bytes are then compared four at a time). In the first four
  // that differ, the leading zero bits of their XOR (big-endian reads) tell how many bytes are equal; the
  // byte after them is a wildcard, or the end of the match.
  let f = filterOff;
  let t = topicOff;
  // Words are compared at the start and after each '+': they end where the filter and the name differ
  // (then a byte decides) or with fewer than four bytes left, which go one by one.
  let words = filterWords !== undefined && topicWords !== undefined;
  // Declared once: XS pays for a block's own declarations each time it is entered.
  let x = 0; // four bytes read as one
  let left = 0; // bytes left in the shorter of the two
  let d = 0; // t - f along an equal run
  let stop = 0;
  for (;;) {
    if (words) {
      words = false;
      left = filterEnd - f < topicEnd - t ? filterEnd - f : topicEnd - t;
      if (left >= 4) {
        stop = f + left - 7;
        d = t - f;
        for (; f < stop; f += 8) if (filterWords!.getFloat64(f) !== topicWords!.getFloat64(f + d)) break;
        stop += 4;
        for (; f < stop; f += 4) {
          x = filterWords!.getUint32(f) ^ topicWords!.getUint32(f + d);
          if (x !== 0) {
            f += clz32(x) >> 3;
            break;
          }
        }
        t = f + d;
      }
    }
    if (f === filterEnd) return t === topicEnd;
    const c = filter[f];
    if (c === HASH) return true; // matches this level and every one below
    if (c === PLUS) {
      // One whole level, possibly empty: to the next '/'. With a view, four bytes a step while none is
      // '/': XORed with 0x2F2F2F2F they have a zero byte where the name has a '/', and x then gets the top
      // bit of each such byte (exact for the lowest, the first in a little-endian read; exact about whether
      // there is one); x & -x is that lowest bit alone. 12 bytes and the '/': about 150 computrons on XS.
      if (topicWords !== undefined) {
        stop = topicEnd - 3;
        while (t < stop) {
          x = topicWords.getUint32(t, true) ^ 0x2f2f2f2f;
          x = (x - 0x01010101) & ~x & 0x80808080;
          if (x !== 0) {
            t += (31 - clz32(x & -x)) >> 3;
            break;
          }
          t += 4;
        }
      }
      while (t < topicEnd && topic[t] !== SLASH) t++;
      f++;
      words = filterWords !== undefined && topicWords !== undefined;
      continue;
    }
    if (t === topicEnd) {
      // The topic ended: only a trailing "/#" still matches (the parent level, §4.7.1.2).
      return c === SLASH && f + 2 === filterEnd && filter[f + 1] === HASH;
    }
    if (topic[t] !== c) return false;
    f++;
    t++;
  }
}

const clz32 = Math.clz32;

/**
 * UTF-8 bytes of a topic name given as a string, or -1 if it is not a valid name: empty [MQTT-4.7.3-1],
 * a wildcard [MQTT-3.3.2-2], U+0000 [MQTT-4.7.3-2], a lone surrogate [MQTT-1.5.3-1], or over 65,535 bytes.
 */
export function topicNameLength(topic: string): number {
  const length = utf8Length(topic);
  if (length <= 0 || length > MAX_STRING_LENGTH) return -1;
  for (let i = 0; ; i++) {
    const c = charCodeAt.call(topic, i);
    if (c !== c) return length; // NaN: the end
    if (c === 0x2b || c === 0x23 || c === 0) return -1;
  }
}

const charCodeAt = String.prototype.charCodeAt;
