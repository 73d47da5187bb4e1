// MQTT over WebSockets (firmware/net/ws/) on the XS engine: the RFC's handshake example, the Upgrade and
// the 101 over a scripted inner socket, and the allocation proof: a message in (whole, split, with a Ping
// answered, larger than a read stage, through a full receive ring) and a message out (short and long
// frames) allocate nothing in the WebSocket layer, exact counters, peaks included. Then the whole stack
// (MqttClient + MqttConnection over it), which allocates nothing, as over TCP (the client's stage: no view
// per socket call). Run by test/xs/ws.test.ts.
import { ClientState, MqttClient } from "../../../firmware/mqtt/index.js";
import { MqttConnection } from "../../../firmware/net/connection.js";
import type { Socket, SocketOptions, TimerModule } from "../../../firmware/net/device.js";
import { HandshakeRequest } from "../../../firmware/net/ws/handshake.js";
import { base64Encode, Sha1 } from "../../../firmware/net/ws/sha1.js";
import { webSocketOver } from "../../../firmware/net/ws/socket.js";
import { fakeDevice } from "./fake-device.js";
import { assertEqual, assertNoAllocation, assertTrue, measure, report, run, test } from "./harness.js";

/** The inner TCP socket, played by the test with fixed buffers (so it allocates nothing itself). */
class ScriptedInner implements Socket {
  static last: ScriptedInner | null = null;
  readonly input = new Uint8Array(8192);
  head = 0;
  tail = 0;
  readonly output = new Uint8Array(8192);
  outLength = 0;
  writes = 0;
  writable = 1 << 20;
  closed = false;
  constructor(readonly options: SocketOptions) {
    ScriptedInner.last = this;
  }
  read(buffer?: ArrayBuffer | ArrayBufferView | number): number {
    const view = buffer as Uint8Array;
    const n = view.length;
    if (n > this.tail - this.head) throw new Error("invalid");
    for (let i = 0; i < n; i++) view[i] = this.input[this.head + i];
    this.head += n;
    if (this.head === this.tail) this.head = this.tail = 0;
    return n;
  }
  write(data: ArrayBuffer | ArrayBufferView): number {
    const bytes = data as Uint8Array;
    const n = bytes.length;
    if (n > this.writable) throw new Error("would block");
    if (this.outLength + n > this.output.length) this.outLength = 0;
    for (let i = 0; i < n; i++) this.output[this.outLength + i] = bytes[i];
    this.outLength += n;
    this.writes++;
    return this.writable;
  }
  close(): void {
    this.closed = true;
  }
  /** The server sends src[from, from + length): onReadable with everything unread. */
  deliver(src: Uint8Array, from: number, length: number): void {
    for (let i = 0; i < length; i++) this.input[this.tail + i] = src[from + i];
    this.tail += length;
    this.options.onReadable!.call(this, this.tail - this.head);
  }
  drain(count: number): void {
    this.writable = count;
    this.options.onWritable!.call(this, count);
  }
}

/** A timer module whose one timer fires when the test says; allocation-free. */
class StepTimer implements TimerModule {
  callback: ((timer: unknown) => void) | null = null;
  readonly handle = {};
  pending = false;
  set(callback: (timer: unknown) => void): unknown {
    this.callback = callback;
    this.pending = true;
    return this.handle;
  }
  schedule(): void {
    this.pending = true;
  }
  clear(): void {
    this.callback = null;
    this.pending = false;
  }
  fire(): void {
    if (!this.pending || this.callback === null) return;
    this.pending = false;
    this.callback(this.handle);
  }
}

function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
function text(bytes: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** The 101 response for the request the inner socket received (its key hashed with our SHA-1, checked below against the RFC). */
function response101(inner: ScriptedInner): Uint8Array {
  const request = text(inner.output, 0, inner.outLength);
  const at = request.indexOf("Sec-WebSocket-Key: ") + 19;
  const keyed = ascii(request.slice(at, at + 24) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  const digest = new Uint8Array(20);
  new Sha1(60).digest(keyed, 0, 60, digest, 0);
  const accept = new Uint8Array(28);
  base64Encode(digest, 0, 20, accept, 0);
  return ascii("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + text(accept, 0, 28) + "\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n");
}

interface Open {
  socket: Socket;
  inner: ScriptedInner;
  timer: StepTimer;
  got: { readable: number; writable: number; error: number };
}

/** A WebSocket socket over a scripted inner socket, through its handshake. */
function open(receiveSize = 1024, stageSize = 1024): Open {
  const timer = new StepTimer();
  const WS = webSocketOver(ScriptedInner as never, { host: "10.0.0.1", port: 8080, path: "/mqtt", Timer: timer, receiveSize, stageSize });
  const got = { readable: 0, writable: 0, error: 0 };
  const socket = new WS({
    address: "10.0.0.1",
    port: 8080,
    format: "buffer",
    onReadable(count: number) {
      got.readable = count;
    },
    onWritable(count: number) {
      got.writable = count;
    },
    onError(cause?: number) {
      got.error = cause ?? -1;
    },
  });
  const inner = ScriptedInner.last!;
  inner.drain(1536);
  assertTrue(text(inner.output, 0, 19) === "GET /mqtt HTTP/1.1\r", "the Upgrade request");
  assertEqual(got.writable, 0, "not open before the 101");
  const reply = response101(inner);
  inner.outLength = 0;
  inner.deliver(reply, 0, reply.length);
  assertTrue(got.writable > 0, "open: the first onWritable");
  return { socket, inner, timer, got };
}

/** A server binary frame of `payload` bytes (values i & 0xff), at `at` in out; returns its length. */
function serverFrame(out: Uint8Array, at: number, opcode: number, length: number): number {
  let o = at;
  out[o++] = 0x80 | opcode;
  if (length <= 125) out[o++] = length;
  else {
    out[o++] = 126;
    out[o++] = length >> 8;
    out[o++] = length & 0xff;
  }
  for (let i = 0; i < length; i++) out[o++] = i & 0xff;
  return o - at;
}

test("SHA-1 and base64 on XS give RFC 6455's example Accept", () => {
  const r = new HandshakeRequest({ host: "h", port: 80, path: "/" });
  r.setKey(ascii("the sample nonce"));
  assertEqual(text(r.accept, 0, 28), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Sec-WebSocket-Accept");
});

test("a message in allocates nothing: frames whole, split, with a Ping answered", () => {
  const { socket, inner, got } = open();
  const frames = new Uint8Array(64);
  const n = serverFrame(frames, 0, 2, 20);
  const ping = serverFrame(frames, n, 9, 4);
  const into = new Uint8Array(20);
  let bytes = 0;
  const whole = measure(() => {
    inner.deliver(frames, 0, n);
    bytes += socket.read(into) as number;
  });
  report("whole", whole);
  assertNoAllocation(whole, "a 20-byte message in one frame");
  assertEqual(into[19], 19, "payload");
  const split = measure(() => {
    inner.deliver(frames, 0, 1);
    inner.deliver(frames, 1, 5);
    inner.deliver(frames, 6, n - 6);
    bytes += socket.read(into) as number;
  });
  report("split", split);
  assertNoAllocation(split, "a message in three pieces");
  inner.outLength = 0;
  const pinged = measure(() => {
    inner.deliver(frames, 0, n + ping);
    bytes += socket.read(into) as number;
  });
  report("pinged", pinged);
  assertNoAllocation(pinged, "a message and a Ping answered with a Pong");
  assertEqual(inner.output[0], 0x8a, "a Pong went out");
  assertEqual(inner.output[1], 0x84, "masked, 4 bytes");
  assertEqual(got.error, 0, "no error");
  assertTrue(bytes > 0, "read");
});

test("a message in larger than the read stage and the receive ring allocates nothing (the timer turn included)", () => {
  const { socket, inner, timer, got } = open(512, 256);
  const frames = new Uint8Array(2048);
  const n = serverFrame(frames, 0, 2, 1500);
  const into = new Uint8Array(512);
  let total = 0;
  const m = measure(() => {
    inner.deliver(frames, 0, n);
    let left = 1500;
    while (left > 0) {
      const k = got.readable;
      const view = k === 512 ? into : null;
      if (view === null) {
        // The last piece: its length is fixed (1500 = 2 * 512 + 476), read into a fixed view made outside.
        total += socket.read(last) as number;
        left -= 476;
      } else {
        total += socket.read(view) as number;
        left -= 512;
      }
      got.readable = 0;
      timer.fire();
    }
  }, 2000, 20);
  report("measure", m);
  assertNoAllocation(m, "1,500 bytes through a 512-byte ring");
  assertEqual(got.error, 0, "no error");
  assertTrue(total === 1500 * (2000 + 20), "every byte read");
});
const last = new Uint8Array(476);

test("a message out allocates nothing: a short frame and a long one (two writes through fixed views)", () => {
  const { socket, inner, got } = open();
  const short = new Uint8Array(20);
  const long = new Uint8Array(300);
  for (let i = 0; i < 300; i++) long[i] = i & 0xff;
  const m = measure(() => {
    inner.outLength = 0;
    socket.write(short);
  });
  report("short", m);
  assertNoAllocation(m, "a 20-byte frame out");
  assertEqual(inner.outLength, 26, "2 + 4 + 20 bytes");
  assertEqual(inner.output[0], 0x82, "FIN, binary");
  assertEqual(inner.output[1], 0x80 | 20, "masked, 20");
  const writes = inner.writes;
  const l = measure(() => {
    inner.outLength = 0;
    socket.write(long);
  });
  report("long", l);
  assertNoAllocation(l, "a 300-byte frame out");
  assertEqual(inner.outLength, 308, "2 + 2 + 4 + 300");
  assertEqual((inner.writes - writes) / (10000 + 100), 2, "two writes per frame");
  // Unmask and compare.
  const key = inner.output.subarray(4, 8);
  let same = true;
  for (let i = 0; i < 300; i++) if ((inner.output[8 + i] ^ key[i & 3]) !== (i & 0xff)) same = false;
  assertTrue(same, "the payload, masked with the frame's key");
  assertEqual(got.error, 0, "no error");
});

/** MqttClient + MqttConnection over `TCP` (plain, or WebSockets over it): the figures per QoS 0 message in and out. */
function stack(ws: boolean): { inbound: ReturnType<typeof measure>; outbound: ReturnType<typeof measure>; messages: number } {
  const clock = { now: 1000 };
  const device = fakeDevice(clock);
  const timer = new StepTimer();
  device.TCP = ws ? webSocketOver(ScriptedInner as never, { host: "10.0.0.1", port: 8080, path: "/mqtt", Timer: timer }) : (ScriptedInner as never);
  let messages = 0;
  const client = new MqttClient({ clientId: "xs-ws", keepalive: 0, onMessage: () => messages++ });
  const connection = new MqttConnection(client, { host: "10.0.0.1", port: 8080 }, device);
  connection.start();
  const inner = ScriptedInner.last!;
  inner.drain(1536);
  if (ws) {
    const reply = response101(inner);
    inner.outLength = 0;
    inner.deliver(reply, 0, reply.length);
    assertEqual(inner.output[0], 0x82, "CONNECT went out in a binary frame");
  }
  // CONNACK, then a QoS 0 PUBLISH "t" "hello", each in one frame (or bare over TCP).
  const connack = ws ? Uint8Array.of(0x82, 4, 0x20, 2, 0, 0) : Uint8Array.of(0x20, 2, 0, 0);
  inner.deliver(connack, 0, connack.length);
  assertEqual(client.state, ClientState.Connected, "connected");
  const publishIn = ws ? Uint8Array.of(0x82, 10, 0x30, 8, 0, 1, 0x74, 0x68, 0x65, 0x6c, 0x6c, 0x6f) : Uint8Array.of(0x30, 8, 0, 1, 0x74, 0x68, 0x65, 0x6c, 0x6c, 0x6f);
  const inbound = measure(() => {
    inner.deliver(publishIn, 0, publishIn.length);
  });
  const handle = client.topic("t");
  const payload = ascii("hello");
  const outbound = measure(() => {
    client.publish(handle, payload, 0);
    connection.service();
  });
  connection.stop();
  return { inbound, outbound, messages };
}

test("the whole stack over WebSockets allocates what it does over plain TCP: nothing", () => {
  const tcp = stack(false);
  const ws = stack(true);
  report("tcp", { in: tcp.inbound, out: tcp.outbound });
  report("ws", { in: ws.inbound, out: ws.outbound });
  assertTrue(ws.messages >= 10000, "messages delivered");
  // MqttConnection reads and writes through the client's stage (README "Memory"), and WebSockets add nothing.
  assertNoAllocation(tcp.inbound, "a message in over TCP");
  assertNoAllocation(tcp.outbound, "a message out over TCP");
  assertEqual(ws.inbound.slotsPeak, tcp.inbound.slotsPeak, "in: slots as over TCP");
  assertEqual(ws.inbound.chunksPeak, tcp.inbound.chunksPeak, "in: chunk bytes as over TCP");
  assertEqual(ws.outbound.slotsPeak, tcp.outbound.slotsPeak, "out: slots as over TCP");
  assertEqual(ws.outbound.chunksPeak, tcp.outbound.chunksPeak, "out: chunk bytes as over TCP");
});

await run();
