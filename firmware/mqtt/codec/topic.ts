/**
 * Topic names and filters (§4.7), on UTF-8 bytes: validation and matching, neither of which allocates.
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
 */
export function validateTopicName(buf: Uint8Array, off: number, length: number): number {
  if (length === 0) return DecodeError.EmptyTopic;
  if (length > MAX_STRING_LENGTH) return DecodeError.StringTooLong;
  const end = off + length;
  let i = off;
  // Four bytes a step while each is in 0x2C..0x7F, the usual topic characters (no wildcard, U+0000 or
  // UTF-8 byte among them): a byte over 0x7F sets its top bit in w, one under 0x2C borrows it in w - 0x2C2C2C2C
  // (the lowest such byte always does; bytes below it borrow nothing). On XS a 26-byte name: 502 computrons, not 863.
  for (const last = end - 4; i <= last; i += 4) {
    const w = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    if (((w | ((w - 0x2c2c2c2c) & ~w)) & 0x80808080) !== 0) break; // a byte to look at: byte by byte from here
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
 * topic that starts with `$` [MQTT-4.7.2-1]. `a/#` also matches `a` (§4.7.1.2).
 */
export function topicMatches(
  filter: Uint8Array,
  filterOff: number,
  filterLength: number,
  topic: Uint8Array,
  topicOff: number,
  topicLength: number,
): boolean {
  const filterEnd = filterOff + filterLength;
  const topicEnd = topicOff + topicLength;
  if (topicLength > 0 && topic[topicOff] === DOLLAR && filterLength > 0) {
    const first = filter[filterOff];
    if (first === PLUS || first === HASH) return false;
  }
  let f = filterOff;
  let t = topicOff;
  while (f < filterEnd) {
    const c = filter[f];
    if (c === HASH) return true; // matches this level and every one below
    if (c === PLUS) {
      while (t < topicEnd && topic[t] !== SLASH) t++; // one whole level, possibly empty
      f++;
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
  return t === topicEnd;
}

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
