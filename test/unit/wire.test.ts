import { describe, expect, it } from "vitest";
import { DecodeError } from "../../firmware/mqtt/codec/status.js";
import { copyBytes, readU16, utf8Length, validateUtf8, varintSize, writeU16, writeUtf8, writeVarint } from "../../firmware/mqtt/codec/wire.js";

function varint(value: number): number[] {
  const buf = new Uint8Array(4);
  return [...buf.subarray(0, writeVarint(buf, 0, value))];
}

describe("wire: Remaining Length varint (§2.2.3, Table 2.4)", () => {
  it.each([
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [16_383, [0xff, 0x7f]],
    [16_384, [0x80, 0x80, 0x01]],
    [2_097_151, [0xff, 0xff, 0x7f]],
    [2_097_152, [0x80, 0x80, 0x80, 0x01]],
    [268_435_455, [0xff, 0xff, 0xff, 0x7f]],
  ])("encodes %i as the spec's bytes", (value, bytes) => {
    expect(varint(value)).toEqual(bytes);
    expect(varintSize(value)).toBe(bytes.length);
  });
});

describe("wire: two-byte integers (§1.5.2)", () => {
  it("writes and reads big-endian", () => {
    const buf = new Uint8Array(3);
    expect(writeU16(buf, 1, 0xabcd)).toBe(3);
    expect([...buf]).toEqual([0, 0xab, 0xcd]);
    expect(readU16(buf, 1)).toBe(0xabcd);
  });
});

describe("wire: UTF-8 (§1.5.3)", () => {
  it("encodes like the platform for 1- to 4-byte characters", () => {
    const text = "a/é/€/😀";
    const bytes = new Uint8Array(utf8Length(text));
    expect(writeUtf8(bytes, 0, text)).toBe(bytes.length);
    expect([...bytes]).toEqual([...new TextEncoder().encode(text)]);
  });
  it("refuses a lone surrogate, which has no UTF-8 form [MQTT-1.5.3-1]", () => {
    expect(utf8Length("a\ud800b")).toBe(DecodeError.MalformedUtf8);
    expect(utf8Length("\udc00")).toBe(DecodeError.MalformedUtf8);
    expect(utf8Length("\ud83d")).toBe(DecodeError.MalformedUtf8);
  });
  it.each([
    ["ASCII", [0x61, 0x62], 0],
    ["2-, 3- and 4-byte characters", [0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], 0],
    ["U+0000 [MQTT-1.5.3-2]", [0x61, 0x00], DecodeError.NullCharacter],
    ["a surrogate U+D800 [MQTT-1.5.3-1]", [0xed, 0xa0, 0x80], DecodeError.MalformedUtf8],
    ["a surrogate U+DFFF [MQTT-1.5.3-1]", [0xed, 0xbf, 0xbf], DecodeError.MalformedUtf8],
    ["U+D7FF, the last code point before the surrogates", [0xed, 0x9f, 0xbf], 0],
    ["an overlong 2-byte form", [0xc1, 0xbf], DecodeError.MalformedUtf8],
    ["an overlong 3-byte form", [0xe0, 0x9f, 0xbf], DecodeError.MalformedUtf8],
    ["an overlong 4-byte form", [0xf0, 0x8f, 0xbf, 0xbf], DecodeError.MalformedUtf8],
    ["U+10FFFF, the last code point", [0xf4, 0x8f, 0xbf, 0xbf], 0],
    ["above U+10FFFF", [0xf4, 0x90, 0x80, 0x80], DecodeError.MalformedUtf8],
    ["a lead byte 0xF5", [0xf5, 0x80, 0x80, 0x80], DecodeError.MalformedUtf8],
    ["a truncated sequence", [0xe2, 0x82], DecodeError.MalformedUtf8],
    ["a bad continuation byte", [0xe2, 0x28, 0xa1], DecodeError.MalformedUtf8],
    ["a stray continuation byte", [0x80], DecodeError.MalformedUtf8],
  ])("validates %s", (_name, bytes, status) => {
    expect(validateUtf8(Uint8Array.from(bytes), 0, bytes.length)).toBe(status);
  });
  it("agrees with a fatal TextDecoder on every 1- and 2-byte input, and U+0000 aside", () => {
    const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    const buf = new Uint8Array(2);
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        buf[0] = a;
        buf[1] = b;
        let valid = true;
        try {
          decoder.decode(buf);
        } catch {
          valid = false;
        }
        const ours = validateUtf8(buf, 0, 2);
        if (a === 0 || b === 0) continue;
        expect(ours === 0, `bytes ${a} ${b}`).toBe(valid);
      }
    }
  });
});

describe("wire: copyBytes", () => {
  it("copies a whole array or a part of one", () => {
    const dst = new Uint8Array(6);
    expect(copyBytes(dst, 1, Uint8Array.of(1, 2, 3), 0, 3)).toBe(4);
    expect(copyBytes(dst, 4, Uint8Array.of(7, 8, 9), 1, 2)).toBe(6);
    expect([...dst]).toEqual([0, 1, 2, 3, 8, 9]);
  });
});
