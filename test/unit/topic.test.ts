import { describe, expect, it } from "vitest";
import { DecodeError } from "../../firmware/mqtt/codec/status.js";
import { topicMatches, validateTopicFilter, validateTopicName } from "../../firmware/mqtt/codec/topic.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const name = (text: string) => validateTopicName(bytes(text), 0, bytes(text).length);
const filter = (text: string) => validateTopicFilter(bytes(text), 0, bytes(text).length);

function matches(f: string, t: string): boolean {
  // Put both in larger buffers at non-zero offsets, as they are in a receive buffer.
  const fb = Uint8Array.from([0xff, ...bytes(f), 0xff]);
  const tb = Uint8Array.from([0xff, 0xff, ...bytes(t), 0xff]);
  return topicMatches(fb, 1, fb.length - 2, tb, 2, tb.length - 3);
}

describe("topic names (§4.7)", () => {
  it.each([
    ["devices/esp32-a1b2c3/telemetry/temperature", 0],
    ["/", 0],
    ["a//b", 0],
    ["$SYS/broker/uptime", 0],
    ["", DecodeError.EmptyTopic],
    ["a/+", DecodeError.WildcardInTopicName],
    ["#", DecodeError.WildcardInTopicName],
    ["a\u0000b", DecodeError.NullCharacter],
  ])("%j -> %i", (text, status) => expect(name(text)).toBe(status));

  it("refuses a name over 65,535 bytes [MQTT-4.7.3-3]", () => {
    expect(validateTopicName(new Uint8Array(65_536).fill(0x61), 0, 65_536)).toBe(DecodeError.StringTooLong);
    expect(validateTopicName(new Uint8Array(65_535).fill(0x61), 0, 65_535)).toBe(0);
  });
});

describe("topic filters (§4.7.1)", () => {
  it.each([
    ["#", 0],
    ["+", 0],
    ["a/#", 0],
    ["+/+/#", 0],
    ["a/+/b", 0],
    ["/+", 0],
    ["+/", 0],
    ["a#", DecodeError.InvalidTopicFilter],
    ["a/#/b", DecodeError.InvalidTopicFilter],
    ["a/b#", DecodeError.InvalidTopicFilter],
    ["a+", DecodeError.InvalidTopicFilter],
    ["a/+b", DecodeError.InvalidTopicFilter],
    ["++", DecodeError.InvalidTopicFilter],
    ["", DecodeError.EmptyTopic],
    ["a/\u0000", DecodeError.NullCharacter],
  ])("%j -> %i", (text, status) => expect(filter(text)).toBe(status));
});

describe("topic matching (§4.7.1, §4.7.2)", () => {
  it.each([
    ["a/b", "a/b", true],
    ["a/b", "a/c", false],
    ["a/b", "a/b/c", false],
    ["a/b/c", "a/b", false],
    ["#", "a/b/c", true],
    ["a/#", "a", true], // '#' includes the parent level
    ["a/#", "a/", true],
    ["a/#", "a/b/c", true],
    ["a/#", "ab", false],
    ["a/+", "a/b", true],
    ["a/+", "a/", true], // an empty level
    ["a/+", "a", false],
    ["a/+", "a/b/c", false],
    ["+/+", "/finance", true],
    ["/+", "/finance", true],
    ["+", "/finance", false],
    ["+/b/#", "a/b", true],
    ["sport/tennis/+", "sport/tennis/player1", true],
    ["sport/+/player1", "sport/tennis/player1", true],
    ["#", "$SYS/uptime", false], // [MQTT-4.7.2-1]
    ["+/uptime", "$SYS/uptime", false], // [MQTT-4.7.2-1]
    ["$SYS/#", "$SYS/uptime", true],
    ["$SYS/+", "$SYS/uptime", true],
    ["a/$x", "a/$x", true],
    ["é/+", "é/€", true],
  ])("%j matches %j: %s", (f, t, expected) => expect(matches(f, t)).toBe(expected));
});
