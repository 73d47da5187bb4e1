// topic.ts reads topic names and filters four (or eight) bytes a step through DataViews of their arrays
// when it is given them (the client's receive buffer, its subscriptions' filters), else as before.
// The two ways must give the same answers for every input: checked here on the rules' cases and on random
// names and filters built to hit the word paths' edges (a '/', a wildcard or a non-ASCII byte at each place
// in a word, runs of every length, bytes whose eight make a NaN as a float64, names at a buffer's end).
import { describe, expect, it } from "vitest";
import { DecodeError } from "../../firmware/mqtt/codec/status.js";
import { topicMatches, validateTopicFilter, validateTopicName } from "../../firmware/mqtt/codec/topic.js";

const encoder = new TextEncoder();

/**
 * `bytes` at `before` bytes into an array with `after` bytes after them, itself a span of a larger buffer
 * (so a view must start at its byteOffset), and a DataView of it.
 */
function placed(bytes: Uint8Array, before: number, after: number): [Uint8Array, DataView] {
  const out = new Uint8Array(new ArrayBuffer(3 + before + bytes.length + after + 5), 3, before + bytes.length + after);
  out.fill(0x2f); // '/' around: a scan must stop at the end
  out.set(bytes, before);
  return [out, new DataView(out.buffer, out.byteOffset, out.byteLength)];
}

function bothValidations(bytes: Uint8Array, before: number, after: number): [number, number] {
  const [buf, words] = placed(bytes, before, after);
  return [validateTopicName(buf, before, bytes.length), validateTopicName(buf, before, bytes.length, words)];
}

function bothMatches(filter: Uint8Array, topic: Uint8Array, before: number, after: number): [boolean, boolean] {
  const [f, fw] = placed(filter, before + 1, after);
  const [t, tw] = placed(topic, before, after);
  const plain = topicMatches(f, before + 1, filter.length, t, before, topic.length);
  const viewed = topicMatches(f, before + 1, filter.length, t, before, topic.length, fw, tw);
  // The name's view alone (a '+' level skipped in words, the rest byte by byte) answers the same.
  if (topicMatches(f, before + 1, filter.length, t, before, topic.length, undefined, tw) !== plain) return [plain, !plain];
  return [plain, viewed];
}

/** §4.7 matching by levels: the rules as written, for comparison. */
function byLevels(filter: string, topic: string): boolean {
  if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) return false; // [MQTT-4.7.2-1]
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true; // this level and every one below, the parent too (§4.7.1.2)
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** A deterministic generator (a 32-bit xorshift), so a failure replays. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

// Levels: short and long, ASCII and not; "\u007f\u{10000}" is 7F F0 90 80 80: with what follows, a NaN's bytes.
const LEVELS = ["", "a", "ab", "abc", "abcd", "abcde", "devices", "esp32-a1b2c3", "cmd", "x", "$SYS", "é", "€uro", "\u007f\u{10000}\u007f", "temperature", "0123456789abcdef"];

function name(next: () => number): string {
  const count = 1 + Math.floor(next() * 6);
  const levels: string[] = [];
  for (let i = 0; i < count; i++) levels.push(LEVELS[Math.floor(next() * LEVELS.length)]);
  const text = levels.join("/");
  return text === "" ? "a" : text;
}

/** A filter that often matches `topic`: its levels, some replaced by '+', maybe cut short with '#', maybe one changed. */
function filterFor(topic: string, next: () => number): string {
  const levels = topic.split("/");
  const out: string[] = [];
  for (let i = 0; i < levels.length; i++) {
    const r = next();
    if (r < 0.1) {
      out.push("#");
      return out.join("/");
    }
    if (r < 0.35) out.push("+");
    else if (r < 0.4) out.push(LEVELS[Math.floor(next() * LEVELS.length)]);
    else out.push(levels[i]);
  }
  const r = next();
  if (r < 0.1) out.push("#");
  else if (r < 0.15) out.push("+");
  else if (r < 0.2) out.pop();
  const text = out.join("/");
  return text === "" ? "#" : text;
}

describe("topic names and filters read four bytes a step give the answers read a byte at a time gives", () => {
  it.each([
    ["devices/esp32-a1b2c3/telemetry/temperature", 0],
    ["abc", 0],
    ["abcd", 0],
    ["abcdefgh/", 0],
    ["a/+", DecodeError.WildcardInTopicName],
    ["abcdefg#", DecodeError.WildcardInTopicName],
    ["abcdefgh+abc", DecodeError.WildcardInTopicName],
    ["abcdefgh\u0000", DecodeError.NullCharacter],
    ["abcd\u0000efg", DecodeError.NullCharacter],
    ["abcdéfgh", 0],
    ["abcdefg,", 0], // 0x2C, the lowest byte taken four at a time
    ["abcdefg\u007f", 0], // 0x7F, the highest
    ["abcdefg*", 0], // 0x2A: below, looked at byte by byte
    ["abcdefg ", 0],
  ])("the name %j -> %i", (text, status) => {
    expect(bothValidations(encoder.encode(text), 3, 0)).toEqual([status, status]);
    expect(bothValidations(encoder.encode(text), 0, 5)).toEqual([status, status]);
  });

  it("random bytes, every length to 40, at every offset in a word: the same status either way", () => {
    const next = random(16);
    const alphabet = [0x00, 0x23, 0x2b, 0x2a, 0x2c, 0x2f, 0x41, 0x61, 0x7f, 0x80, 0xbf, 0xc2, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0xf0, 0x90, 0xf4, 0xff];
    for (let run = 0; run < 20_000; run++) {
      const length = Math.floor(next() * 41);
      const bytes = new Uint8Array(length);
      const wild = next() < 0.5; // mostly ordinary characters, then one or two from the alphabet
      for (let i = 0; i < length; i++) {
        bytes[i] = wild || next() < 0.05 ? alphabet[Math.floor(next() * alphabet.length)] : 0x2c + Math.floor(next() * 0x54);
      }
      const before = Math.floor(next() * 8);
      const [plain, viewed] = bothValidations(bytes, before, next() < 0.5 ? 0 : 3);
      if (plain !== viewed) throw new Error(`[${Array.from(bytes).join(",")}] at ${before}: ${plain} a byte at a time, ${viewed} in words`);
    }
  });

  it("the rules' matching cases, filter and name in words", () => {
    const cases: [string, string, boolean][] = [
      ["a/b", "a/b", true],
      ["a/#", "a", true],
      ["a/#", "a/", true],
      ["a/+", "a/", true],
      ["a/+", "a", false],
      ["+/+", "/finance", true],
      ["#", "$SYS/uptime", false],
      ["+/uptime", "$SYS/uptime", false],
      ["$SYS/#", "$SYS/uptime", true],
      ["devices/+/cmd/#", "devices/esp32-a1b2c3/cmd/x", true],
      ["devices/+/cmd/#", "devices/esp32-a1b2c3/cmd", true],
      ["devices/+/cmd/#", "devices/esp32-a1b2c3/cmdx", false],
      ["devices/+/cmd/#", "devices/esp32-a1b2c3", false],
      ["devices/esp32-a1b2c3/cmd/x", "devices/esp32-a1b2c3/cmd/x", true],
      ["devices/esp32-a1b2c3/cmd/x", "devices/esp32-a1b2c3/cmd/y", false],
      ["devices/esp32-a1b2c3/cmd/x", "devices/esp32-a1b2c3/cmd/xy", false],
      ["abcdefgh/+", "abcdefgh/0123456789abcdef", true],
      ["abcdefgh/+/z", "abcdefgh/0123456789abcdef/z", true],
      ["\u007f\u{10000}\u007f/+", "\u007f\u{10000}\u007f/a", true],
      ["\u007f\u{10000}\u007f/b", "\u007f\u{10000}\u007f/a", false],
    ];
    for (const [f, t, expected] of cases) {
      for (const after of [0, 1, 4, 9]) {
        expect(bothMatches(encoder.encode(f), encoder.encode(t), 2, after), `${f} ~ ${t}`).toEqual([expected, expected]);
      }
    }
  });

  it("random names and filters: the same answer either way, and the rules' answer", () => {
    const next = random(4_7);
    for (let run = 0; run < 20_000; run++) {
      const topic = name(next);
      const filter = filterFor(next() < 0.1 ? name(next) : topic, next);
      const f = encoder.encode(filter);
      const t = encoder.encode(topic);
      expect(validateTopicFilter(f, 0, f.length), filter).toBe(0);
      const expected = byLevels(filter, topic);
      const [plain, viewed] = bothMatches(f, t, Math.floor(next() * 8), next() < 0.5 ? 0 : Math.floor(next() * 9));
      if (plain !== expected || viewed !== expected) throw new Error(`${JSON.stringify(filter)} ~ ${JSON.stringify(topic)}: ${expected} by the rules, ${plain} a byte at a time, ${viewed} in words`);
    }
  });
});
