// The WebSocket frame codec (firmware/net/ws/frame.ts) against RFC 6455 section 5: server frames decoded
// whole, split at every byte and one byte at a time with the same outcome; every protocol error of 5.1-5.5;
// client frames masked as 5.3 says (RFC's own examples), and read back by `ws`'s receiver.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { WebSocketCause } from "../../firmware/net/ws/causes.js";
import { encodeHeader, FrameDecoder, FrameEvent, headerLength, maskInto, Opcode } from "../../firmware/net/ws/frame.js";
import { base64Encode, Sha1 } from "../../firmware/net/ws/sha1.js";

/** A server frame (unmasked unless a key is given). */
export function frame(opcode: number, payload: number[] | Uint8Array, fin = true, options: { len?: "16" | "64"; mask?: number[]; rsv?: number } = {}): number[] {
  const bytes = [...payload];
  const out = [(fin ? 0x80 : 0) | (options.rsv ?? 0) | opcode];
  const m = options.mask ? 0x80 : 0;
  if (options.len === "64" || bytes.length > 0xffff) {
    out.push(m | 127, 0, 0, 0, 0, (bytes.length >>> 24) & 0xff, (bytes.length >>> 16) & 0xff, (bytes.length >>> 8) & 0xff, bytes.length & 0xff);
  } else if (options.len === "16" || bytes.length > 125) out.push(m | 126, bytes.length >> 8, bytes.length & 0xff);
  else out.push(m | bytes.length);
  if (options.mask) {
    out.push(...options.mask);
    return out.concat(bytes.map((b, i) => b ^ options.mask![i & 3]));
  }
  return out.concat(bytes);
}

/** Everything a decoder reports for `input` fed in the given pieces, data of a message joined. */
export function decodeAll(input: Uint8Array, cuts: number[], maxFrame?: number): string[] {
  const decoder = new FrameDecoder(maxFrame);
  const out: string[] = [];
  let data: number[] = [];
  const points = [0, ...cuts, input.length];
  for (let c = 0; c + 1 < points.length; c++) {
    const to = points[c + 1];
    let at = points[c];
    let guard = 0;
    for (;;) {
      if (++guard > 100_000) throw new Error("decoder loops");
      const event = decoder.step(input, at, to);
      expect(decoder.pos).toBeGreaterThanOrEqual(at);
      expect(decoder.pos).toBeLessThanOrEqual(to);
      at = decoder.pos;
      if (event === FrameEvent.NeedMore) {
        expect(at).toBe(to);
        break;
      }
      if (event === FrameEvent.Data) data.push(...input.subarray(decoder.dataFrom, decoder.dataTo));
      else if (event === FrameEvent.MessageEnd) {
        out.push("message " + Buffer.from(data).toString("hex"));
        data = [];
      } else if (event === FrameEvent.Ping) out.push("ping " + Buffer.from(decoder.control.subarray(0, decoder.controlLength)).toString("hex"));
      else if (event === FrameEvent.Pong) out.push("pong " + decoder.controlLength);
      else if (event === FrameEvent.Close) out.push("close " + decoder.closeCode);
      else {
        out.push("error 0x" + event.toString(16));
        return out;
      }
    }
  }
  if (data.length > 0) out.push("partial " + Buffer.from(data).toString("hex"));
  return out;
}

/** The same outcome whole, split in two at every byte, and one byte at a time. */
function decodeEverySplit(bytes: number[], maxFrame?: number): string[] {
  const input = Uint8Array.from(bytes);
  const whole = decodeAll(input, [], maxFrame);
  for (let cut = 1; cut < input.length; cut++) expect(decodeAll(input, [cut], maxFrame), "split at " + cut).toEqual(whole);
  expect(decodeAll(input, Array.from({ length: Math.max(0, input.length - 1) }, (_, i) => i + 1), maxFrame), "byte at a time").toEqual(whole);
  return whole;
}

const hello = [...Buffer.from("Hello")];

describe("FrameDecoder: server frames (RFC 6455 section 5), whole and split at every byte", () => {
  it("a binary message, a fragmented one (5.4) with a Ping in its middle (5.5), and the lengths of 5.2", () => {
    const big = Array.from({ length: 256 }, (_, i) => i & 0xff);
    const huge = Array.from({ length: 65_536 }, (_, i) => (i * 7) & 0xff);
    const bytes = [
      ...frame(Opcode.Binary, hello),
      ...frame(Opcode.Binary, [0x48, 0x65, 0x6c], false),
      ...frame(Opcode.Ping, hello),
      ...frame(Opcode.Continuation, [0x6c, 0x6f]),
      ...frame(Opcode.Binary, big),
      ...frame(Opcode.Pong, []),
      ...frame(Opcode.Binary, []),
      ...frame(Opcode.Close, [0x03, 0xe8, 0x62, 0x79, 0x65]),
    ];
    expect(decodeEverySplit(bytes)).toEqual([
      "message 48656c6c6f",
      "ping 48656c6c6f",
      "message 48656c6c6f",
      "message " + Buffer.from(big).toString("hex"),
      "pong 0",
      "message ",
      "close 1000",
    ]);
    expect(decodeAll(Uint8Array.from(frame(Opcode.Binary, huge)), [1, 5, 9, 4000])).toEqual(["message " + Buffer.from(huge).toString("hex")]);
    // A non-minimal length encoding is taken (5.2 binds the sender; a lenient receiver loses nothing).
    expect(decodeEverySplit(frame(Opcode.Binary, hello, true, { len: "64" }))).toEqual(["message 48656c6c6f"]);
  });

  it("a Close without a body is 1005 (7.1.5); with one byte it is malformed", () => {
    expect(decodeEverySplit(frame(Opcode.Close, []))).toEqual(["close 1005"]);
    expect(decodeEverySplit(frame(Opcode.Close, [3]))).toEqual(["error 0x" + WebSocketCause.ProtocolError.toString(16)]);
    // 7.4.1: codes an endpoint may not send are a protocol error; 1000-1003, 1007-1014 and 3000-4999 are taken.
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1100, 2999, 5000, 65535]) {
      expect(decodeAll(Uint8Array.from(frame(Opcode.Close, [code >> 8, code & 0xff])), []), "code " + code).toEqual(["error 0x" + WebSocketCause.ProtocolError.toString(16)]);
    }
    for (const code of [1000, 1003, 1007, 1014, 3000, 4999]) expect(decodeAll(Uint8Array.from(frame(Opcode.Close, [code >> 8, code & 0xff])), [])).toEqual(["close " + code]);
  });

  const err = (cause: number) => "error 0x" + cause.toString(16);
  it.each([
    ["a masked server frame (5.1)", frame(Opcode.Binary, hello, true, { mask: [1, 2, 3, 4] }), WebSocketCause.ProtocolError],
    ["RSV1 without an extension (5.2)", frame(Opcode.Binary, hello, true, { rsv: 0x40 }), WebSocketCause.ProtocolError],
    ["a reserved data opcode (5.2)", frame(3, hello), WebSocketCause.ProtocolError],
    ["a reserved control opcode (5.2)", frame(0xb, []), WebSocketCause.ProtocolError],
    ["a fragmented control frame (5.5)", frame(Opcode.Ping, hello, false), WebSocketCause.ProtocolError],
    ["a control frame over 125 bytes (5.5)", frame(Opcode.Ping, new Uint8Array(126)), WebSocketCause.ProtocolError],
    ["a continuation with nothing to continue (5.4)", frame(Opcode.Continuation, hello), WebSocketCause.ProtocolError],
    ["a new message inside a fragmented one (5.4)", [...frame(Opcode.Binary, hello, false), ...frame(Opcode.Binary, hello)], WebSocketCause.ProtocolError],
    ["a text frame (MQTT section 6)", frame(Opcode.Text, hello), WebSocketCause.NotBinary],
    ["a 64-bit length with its top bit set (5.2)", [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1], WebSocketCause.FrameTooLarge],
    ["a 64-bit length of 2^32", [0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0], WebSocketCause.FrameTooLarge],
    ["a length over maxFrame", frame(Opcode.Binary, new Uint8Array(1025)), WebSocketCause.FrameTooLarge],
  ])("%s fails with its cause", (_name, bytes, cause) => {
    const outcome = decodeEverySplit(bytes as number[], 1024);
    expect(outcome[outcome.length - 1]).toBe(err(cause as number));
    // Data before the bad frame was reported; the decoder then keeps answering the same cause.
    const decoder = new FrameDecoder(1024);
    const input = Uint8Array.from(bytes as number[]);
    let at = 0;
    let event = 0;
    for (let n = 0; n < 10; n++) {
      event = decoder.step(input, at, input.length);
      at = decoder.pos;
      if (event > 0) break;
    }
    expect(event).toBe(cause);
    expect(decoder.step(input, at, input.length)).toBe(cause);
  });

  it("a frame of exactly maxFrame is taken; reset() starts a new stream", () => {
    expect(decodeEverySplit(frame(Opcode.Binary, new Uint8Array(64)), 64)).toEqual(["message " + "00".repeat(64)]);
    const decoder = new FrameDecoder();
    const bad = Uint8Array.from(frame(Opcode.Text, hello));
    expect(decoder.step(bad, 0, bad.length)).toBe(WebSocketCause.NotBinary);
    decoder.reset();
    const good = Uint8Array.from(frame(Opcode.Binary, hello));
    expect(decoder.step(good, 0, good.length)).toBe(FrameEvent.Data);
  });
});

describe("client frames (5.2, 5.3)", () => {
  it("RFC 6455 5.7's masked 'Hello' exactly", () => {
    const out = new Uint8Array(11);
    const h = encodeHeader(out, 0, Opcode.Text, 5, 0x37fa213d);
    maskInto(Uint8Array.from(hello), 0, 5, out, h, 0x37fa213d);
    expect([...out]).toEqual([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  });

  it.each([0, 1, 125, 126, 65_535, 65_536, 70_000])("a %i-byte payload: minimal length, masked, unmasked back to itself", (length) => {
    const payload = Uint8Array.from({ length }, (_, i) => (i * 31) & 0xff);
    const out = new Uint8Array(14 + length);
    const key = 0xdeadbeef;
    const h = encodeHeader(out, 0, Opcode.Binary, length, key);
    expect(h).toBe(headerLength(length));
    expect(out[0]).toBe(0x82);
    expect(out[1] & 0x80).toBe(0x80);
    expect(out[1] & 0x7f).toBe(length <= 125 ? length : length <= 0xffff ? 126 : 127);
    maskInto(payload, 0, length, out, h, key);
    const keyBytes = out.subarray(h - 4, h);
    expect([...keyBytes]).toEqual([0xde, 0xad, 0xbe, 0xef]);
    const back = out.subarray(h, h + length).map((b, i) => b ^ keyBytes[i & 3]);
    expect(Buffer.from(back).equals(Buffer.from(payload))).toBe(true);
  });
});

describe("SHA-1 and base64 over fixed buffers", () => {
  it("match node:crypto for every length 0-119", () => {
    const sha = new Sha1(119);
    const out = new Uint8Array(20);
    const text = new Uint8Array(28);
    for (let n = 0; n <= 119; n++) {
      const msg = Uint8Array.from({ length: n }, (_, i) => (i * 13 + n) & 0xff);
      sha.digest(msg, 0, n, out, 0);
      const expected = createHash("sha1").update(msg).digest();
      expect(Buffer.from(out).toString("hex"), "length " + n).toBe(expected.toString("hex"));
      expect(Buffer.from(text.subarray(0, base64Encode(out, 0, 20, text, 0))).toString()).toBe(expected.toString("base64"));
    }
    for (let n = 0; n < 8; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => 250 - i);
      const b64 = new Uint8Array(12);
      const len = base64Encode(bytes, 0, n, b64, 0);
      expect(Buffer.from(b64.subarray(0, len)).toString()).toBe(Buffer.from(bytes).toString("base64"));
    }
  });
});
