/**
 * Fuzz of the WebSocket layer (firmware/net/ws/), like the MQTT decoder's: FUZZ_CASES (default 100,000)
 * inputs, seed FUZZ_SEED, half random bytes and half valid server frame streams mutated (bits flipped,
 * bytes inserted, deleted or overwritten, lengths set to edge values, cut short). Each is fed to a
 * FrameDecoder whole, in random pieces and one byte at a time: nothing may throw, each step must move
 * (bytes taken or an event), stay in bounds and end in an event, a need-more or an error that stays;
 * all three feeds must give the same outcome. The 101 response parser gets mutated responses the same
 * way, and the WebSocket socket gets mutated streams after its handshake through a scripted inner socket
 * in random pieces: no exception, and it ends open (every payload byte readable) or with onError's cause.
 */
import { describe, expect, it } from "vitest";
import type { Socket, SocketOptions, TimerModule } from "../../firmware/net/device.js";
import { WebSocketCause } from "../../firmware/net/ws/causes.js";
import { FrameDecoder, FrameEvent } from "../../firmware/net/ws/frame.js";
import { Handshake, HandshakeParser, HandshakeRequest } from "../../firmware/net/ws/handshake.js";
import { webSocketOver } from "../../firmware/net/ws/socket.js";
import { createHash } from "node:crypto";

const CASES = Number(process.env.FUZZ_CASES ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_0419);

/** xorshift32: reproducible from the seed. */
class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
}

/** A valid stream of server frames: binary messages (some fragmented), Pings, Pongs, maybe a Close last. */
function validStream(rng: Rng): number[] {
  const out: number[] = [];
  const frames = 1 + rng.int(5);
  const put = (first: number, payload: number) => {
    out.push(first);
    const big = rng.int(10) === 0;
    if (payload > 0xffff || (big && first & 0x02)) out.push(127, 0, 0, 0, 0, (payload >>> 24) & 0xff, (payload >>> 16) & 0xff, (payload >>> 8) & 0xff, payload & 0xff);
    else if (payload > 125) out.push(126, payload >> 8, payload & 0xff);
    else out.push(payload);
    for (let i = 0; i < payload; i++) out.push(rng.int(256));
  };
  const sizes = [0, 1, 2, 5, 125, 126, 127, 300];
  for (let f = 0; f < frames; f++) {
    const kind = rng.int(6);
    const size = rng.int(3) === 0 ? sizes[rng.int(sizes.length)] : rng.int(40);
    if (kind <= 2) put(0x82, size);
    else if (kind === 3) {
      put(0x02, size);
      if (rng.int(2)) put(0x89, Math.min(size, 125));
      put(0x80, rng.int(20));
    } else if (kind === 4) put(0x89 + rng.int(2), Math.min(size, 125));
    else {
      out.push(0x88, 2, 0x03, 0xe8);
      break;
    }
  }
  return out;
}

function mutate(rng: Rng, bytes: number[]): number[] {
  const out = bytes.slice();
  const n = 1 + rng.int(4);
  for (let k = 0; k < n && out.length > 0; k++) {
    const at = rng.int(out.length);
    switch (rng.int(6)) {
      case 0: out[at] ^= 1 << rng.int(8); break;
      case 1: out.splice(at, 0, rng.int(256)); break;
      case 2: out.splice(at, 1); break;
      case 3: out[at] = [0, 0x7e, 0x7f, 0x80, 0xff, 0x88, 0x81][rng.int(7)]; break;
      case 4: out.length = at; break;
      default: out[at] = rng.int(256);
    }
  }
  return out;
}

function input(rng: Rng, c: number): number[] {
  if (c % 2 === 0) return Array.from({ length: rng.int(64) }, () => rng.int(256));
  return mutate(rng, validStream(rng));
}

/** The decoder's outcome for input fed in pieces ending at `cuts`; checks every step's contract. */
function outcome(bytes: Uint8Array, cuts: number[]): string {
  const decoder = new FrameDecoder(4096);
  const events: string[] = [];
  let data = 0;
  let steps = 0;
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    let at = from;
    for (;;) {
      if (++steps > 4 * bytes.length + 64) throw new Error("the decoder does not move");
      const event = decoder.step(bytes, at, to);
      if (decoder.pos < at || decoder.pos > to) throw new Error("pos out of bounds");
      if (event === FrameEvent.NeedMore) {
        if (decoder.pos !== to) throw new Error("need-more before the end of the input");
        break;
      }
      if (event > 0) {
        if (decoder.step(bytes, decoder.pos, to) !== event) throw new Error("an error that does not stay");
        return events.join(" ") + " data " + data + " error " + event;
      }
      if (event === FrameEvent.Data) {
        if (decoder.dataFrom < at || decoder.dataTo > decoder.pos || decoder.dataTo <= decoder.dataFrom) throw new Error("data span out of bounds");
        data += decoder.dataTo - decoder.dataFrom;
      } else if (event === FrameEvent.MessageEnd) events.push("m" + data);
      else if (event === FrameEvent.Ping || event === FrameEvent.Pong) events.push(event + ":" + decoder.controlLength);
      else if (event === FrameEvent.Close) events.push("close " + decoder.closeCode);
      else throw new Error("unknown event " + event);
      at = decoder.pos;
    }
    from = to;
  }
  return events.join(" ") + " data " + data + " need-more";
}

describe(`fuzz of the WebSocket layer: ${CASES.toLocaleString("en")} cases, seed ${SEED}`, () => {
  it("the frame decoder never throws, never stalls, and ends the same whole, in pieces and byte by byte", () => {
    const rng = new Rng(SEED);
    const ends = new Map<string, number>();
    let messages = 0;
    let pings = 0;
    let closes = 0;
    for (let c = 0; c < CASES; c++) {
      const bytes = Uint8Array.from(input(rng, c));
      const whole = outcome(bytes, []);
      const cuts: number[] = [];
      for (let at = 1 + rng.int(8); at < bytes.length; at += 1 + rng.int(8)) cuts.push(at);
      const pieces = outcome(bytes, cuts);
      if (pieces !== whole) throw new Error(`case ${c}: in pieces ${pieces}, whole ${whole}: ${Buffer.from(bytes).toString("hex")}`);
      if (c % 10 === 0) {
        const single = outcome(bytes, Array.from({ length: Math.max(0, bytes.length - 1) }, (_, i) => i + 1));
        if (single !== whole) throw new Error(`case ${c}: byte by byte ${single}, whole ${whole}`);
      }
      const end = whole.slice(whole.lastIndexOf(" data ")).replace(/ data \d+ /, "");
      ends.set(end, (ends.get(end) ?? 0) + 1);
      messages += (whole.match(/\bm\d+/g) ?? []).length;
      pings += (whole.match(/-2:/g) ?? []).length;
      closes += (whole.match(/close/g) ?? []).length;
    }
    console.log("ws frame fuzz ends:", JSON.stringify(Object.fromEntries(ends)), { messages, pings, closes });
    expect(messages).toBeGreaterThan(CASES / 10);
    expect(pings).toBeGreaterThan(0);
    expect(closes).toBeGreaterThan(0);
    // Coverage: every way a stream can end is reached.
    expect(ends.get("need-more")).toBeGreaterThan(CASES / 100);
    for (const cause of [WebSocketCause.ProtocolError, WebSocketCause.NotBinary, WebSocketCause.FrameTooLarge]) {
      expect(ends.get("error " + cause), "error 0x" + cause.toString(16)).toBeGreaterThan(0);
    }
  }, 120_000);

  it("the 101 parser never throws and ends in done, need-more or a cause, whole and byte by byte", () => {
    const rng = new Rng(SEED ^ 0x101);
    const request = new HandshakeRequest({ host: "h", port: 80, path: "/mqtt" });
    request.setKey(Uint8Array.from(Buffer.from("the sample nonce")));
    const good = Buffer.from(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
    );
    const parser = new HandshakeParser();
    const results = new Map<number, number>();
    const cases = Math.max(1, Math.floor(CASES / 10));
    for (let c = 0; c < cases; c++) {
      const bytes = Uint8Array.from(mutate(rng, [...good]));
      parser.reset(request);
      const whole = parser.feed(bytes, 0, bytes.length);
      parser.reset(request);
      let single: number = Handshake.NeedMore;
      for (let i = 0; i < bytes.length && single === Handshake.NeedMore; i++) single = parser.feed(bytes, i, i + 1);
      expect(single).toBe(whole);
      expect(whole === Handshake.NeedMore || whole === Handshake.Done || (whole >= 0x230 && whole <= 0x233)).toBe(true);
      results.set(whole, (results.get(whole) ?? 0) + 1);
    }
    console.log("ws handshake fuzz ends:", JSON.stringify(Object.fromEntries(results)));
    for (const r of [Handshake.Done, Handshake.NeedMore, WebSocketCause.HandshakeRefused, WebSocketCause.HandshakeInvalid]) expect(results.get(r)).toBeGreaterThan(0);
  });

  it("the socket, fed mutated streams in random pieces, never throws and ends open or with a cause", () => {
    const rng = new Rng(SEED ^ 0x50c);
    let inner: Fake | null = null;
    class Fake implements Socket {
      input: number[] = [];
      written = "";
      closed = false;
      constructor(readonly options: SocketOptions) {
        inner = this;
      }
      read(buffer?: unknown): number {
        const view = buffer as Uint8Array;
        if (view.length > this.input.length) throw new Error("invalid");
        view.set(this.input.splice(0, view.length));
        return view.length;
      }
      write(data: unknown): number {
        if (this.written.length < 1024) this.written += Buffer.from(data as Uint8Array).toString("latin1");
        return 4096;
      }
      close(): void {
        this.closed = true;
      }
    }
    let pending: (() => void) | null = null;
    const Timer: TimerModule = {
      set: (cb) => ((pending = () => cb(null)), {}),
      schedule: () => undefined,
      clear: () => {
        pending = null;
      },
    };
    const WS = webSocketOver(Fake as never, { host: "h", port: 80, path: "/mqtt", Timer, maxFrame: 4096, receiveSize: 64 + rng.int(64), stageSize: 64 });
    const ends = new Map<string, number>();
    const cases = Math.max(1, Math.floor(CASES / 20));
    for (let c = 0; c < cases; c++) {
      let error = 0;
      let readable = 0;
      let read = 0;
      const socket = new WS({ address: "1.2.3.4", port: 80, onReadable: (n) => (readable = n), onError: (cause) => (error = cause ?? -1) });
      const fake = inner as unknown as Fake;
      fake.options.onWritable!.call(fake, 4096); // the Upgrade request goes out: answered with its Accept
      const stream = input(rng, c);
      const respond = (bytes: number[]) => {
        let at = 0;
        while (at < bytes.length && error === 0) {
          const n = 1 + rng.int(16);
          fake.input.push(...bytes.slice(at, at + n));
          at += n;
          fake.options.onReadable!.call(fake, fake.input.length);
          for (let guard = 0; guard < 1000 && error === 0 && (readable > 0 || pending); guard++) {
            if (readable > 0) {
              const k = readable;
              readable = 0;
              socket.read(new Uint8Array(k));
              read += k;
            }
            const p = pending as (() => void) | null;
            if (p && readable === 0) p();
          }
        }
      };
      respond([...acceptFor(fake.written), ...stream]);
      // What the decoder alone makes of the stream: the socket hands over the same bytes and the same end.
      const alone = outcome(Uint8Array.from(stream), []);
      const data = Number(/ data (\d+) /.exec(alone)![1]);
      if (alone.includes("close")) {
        expect(error).toBe(WebSocketCause.Closed);
        expect(read).toBeLessThanOrEqual(data);
      } else {
        expect(read, alone).toBe(data);
        expect(error === 0 ? "need-more" : "error " + error, alone).toBe(alone.slice(alone.lastIndexOf(" data ")).replace(/ data \d+ /, ""));
      }
      ends.set(error === 0 ? "open" : "0x" + error.toString(16), (ends.get(error === 0 ? "open" : "0x" + error.toString(16)) ?? 0) + 1);
      socket.close();
    }
    console.log("ws socket fuzz ends:", JSON.stringify(Object.fromEntries(ends)));
    expect(ends.get("open")).toBeGreaterThan(0);
    expect(ends.get("0x" + WebSocketCause.ProtocolError.toString(16))).toBeGreaterThan(0);
  });
});

function acceptFor(request: string): number[] {
  const key = /Sec-WebSocket-Key: (\S+)\r\n/.exec(request)?.[1] ?? "";
  const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  return [...Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)];
}
