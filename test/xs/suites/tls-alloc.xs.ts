// What the TLS path allocates per message on XS, with the exact counters: MqttClient + MqttConnection over
// a fake of the SDK's TLS socket (examples/io/tcp/tlssocket/tlssocket.js: read(n) returns
// `data.slice(position, position + n).buffer`, a new Uint8Array and ArrayBuffer of n bytes; write(buffer)
// takes a view and hands it to the session). The fake holds the decrypted record in a fixed buffer and
// copies what is written into a fixed buffer, so the only thing it allocates is what the SDK's read(n)
// allocates by its API: the sliced copy. The session's own work per record (decrypting into a new buffer,
// encrypting a record, tlssocket.js setting `position` on each record) is not modelled and comes on top on
// a device. Each figure is asserted exactly, so one more allocation fails the suite:
// - the fake socket's read(n) alone (inherent to the SDK's API);
// - mqtts, a message in and a message out: what the stack allocates, and so what MqttConnection adds
//   (the view over read(n)'s ArrayBuffer; nothing per write: the client's SocketMemory stage), beside the
//   same stack over plain TCP (nothing either way);
// - wss (firmware/net/ws/ over the fake TLS socket): what the framing adds over TLS (a view over each
//   inner read's ArrayBuffer, a view per frame written), beside ws over plain TCP (nothing);
// - the SDK's "number" format read byte by byte (what MqttConnection could do instead of read(n)):
//   nothing allocated at all, for a call per byte.
// Run by test/xs/tls-alloc.test.ts.
import { ClientState, MqttClient } from "../../../firmware/mqtt/index.js";
import { MqttConnection } from "../../../firmware/net/connection.js";
import type { BrokerAddress } from "../../../firmware/net/broker.js";
import type { Socket, SocketConstructor, SocketOptions, TLSOptions } from "../../../firmware/net/device.js";
import { base64Encode, Sha1 } from "../../../firmware/net/ws/sha1.js";
import { fakeDevice } from "./fake-device.js";
import { assertEqual, assertTrue, measure, report, run, test, type Measure } from "./harness.js";

/** The fake of the SDK's TLS socket: its read(n), write(buffer) and callbacks, with fixed buffers. */
class FakeTLS implements Socket {
  static last: FakeTLS | null = null;
  /** The decrypted record the session handed over (tlssocket.js's #data), and where reading is in it. */
  readonly record = new Uint8Array(4096);
  position = 0;
  end = 0;
  /** "buffer" (true) or "number" (false), as tlssocket.js's format setter. */
  buffer = true;
  readonly output = new Uint8Array(8192);
  outLength = 0;
  writes = 0;
  /** The inner TCP socket's writable count. */
  tcpWritable = 0;
  constructor(readonly options: TLSOptions) {
    FakeTLS.last = this;
  }
  set format(format: string) {
    this.buffer = format === "buffer";
  }
  /** tlssocket.js's read(count): a slice of the record (a new Uint8Array and ArrayBuffer) and its buffer; or one byte as a number. */
  read(count?: ArrayBuffer | ArrayBufferView | number): ArrayBuffer | number | undefined {
    if (this.position === this.end) return undefined;
    if (!this.buffer) return this.record[this.position++];
    const n = count as number;
    const from = this.position;
    const to = n ? from + n : this.end;
    const result = this.record.slice(from, to);
    this.position = to;
    return result.buffer;
  }
  /** tlssocket.js's write: the session takes the buffer; what is left writable, less 96 bytes for a record's overhead. */
  write(data: ArrayBuffer | ArrayBufferView): number {
    const bytes = data as Uint8Array;
    const n = bytes.length;
    if (this.outLength + n > this.output.length) this.outLength = 0;
    for (let i = 0; i < n; i++) this.output[this.outLength + i] = bytes[i];
    this.outLength += n;
    this.writes++;
    return this.tcpWritable > 96 ? this.tcpWritable - 96 : 0;
  }
  close(): void {}
  /** A record of src[0, length) decrypted: onReadable(length), as #messageHandler does once the last one is read. */
  deliver(src: Uint8Array, length: number): void {
    for (let i = 0; i < length; i++) this.record[i] = src[i];
    this.position = 0;
    this.end = length;
    this.options.onReadable!.call(this, length);
  }
  /** The TCP socket can take `count`: onWritable(count - 96) once the handshake is done. */
  drain(count: number): void {
    this.tcpWritable = count;
    if (count > 96) this.options.onWritable!.call(this, count - 96);
  }
}

/** A plain TCP socket with ECMA-419's read(buffer) and write(view), fixed buffers: the baseline. */
class FakeTCP implements Socket {
  static last: FakeTCP | null = null;
  readonly input = new Uint8Array(4096);
  head = 0;
  tail = 0;
  readonly output = new Uint8Array(8192);
  outLength = 0;
  constructor(readonly options: SocketOptions) {
    FakeTCP.last = this;
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
    if (this.outLength + n > this.output.length) this.outLength = 0;
    for (let i = 0; i < n; i++) this.output[this.outLength + i] = bytes[i];
    this.outLength += n;
    return 1 << 20;
  }
  close(): void {}
  deliver(src: Uint8Array, length: number): void {
    for (let i = 0; i < length; i++) this.input[this.tail + i] = src[i];
    this.tail += length;
    this.options.onReadable!.call(this, this.tail - this.head);
  }
  drain(count: number): void {
    this.options.onWritable!.call(this, count);
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

/** The server's 101 for the Upgrade request in output[0, length). */
function response101(output: Uint8Array, length: number): Uint8Array {
  const request = text(output, 0, length);
  const at = request.indexOf("Sec-WebSocket-Key: ") + 19;
  const keyed = ascii(request.slice(at, at + 24) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  const digest = new Uint8Array(20);
  new Sha1(60).digest(keyed, 0, 60, digest, 0);
  const accept = new Uint8Array(28);
  base64Encode(digest, 0, 20, accept, 0);
  return ascii("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + text(accept, 0, 28) + "\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n");
}

/** A QoS 0 PUBLISH "t" "hello" (10 bytes), bare and in a server frame (12). */
const PUBLISH_IN = Uint8Array.of(0x30, 8, 0, 1, 0x74, 0x68, 0x65, 0x6c, 0x6c, 0x6f);
const PUBLISH_IN_FRAMED = Uint8Array.of(0x82, 10, 0x30, 8, 0, 1, 0x74, 0x68, 0x65, 0x6c, 0x6c, 0x6f);

/** The exact figures of one message: fn run once, right after a full GC (measure's probeReset). */
interface Figures {
  slots: number;
  chunks: number;
  /** The same over 100 messages (peaks), to show the figure is per message and left nothing behind. */
  slots100: number;
  chunks100: number;
  computrons: number;
}

function figures(fn: () => void): Figures {
  const one = measure(fn, 1, 100);
  const hundred: Measure = measure(fn, 100, 10);
  const many = measure(fn, 10000, 10);
  return {
    slots: one.slotsPeak,
    chunks: one.chunksPeak,
    slots100: hundred.slotsPeak,
    chunks100: hundred.chunksPeak,
    computrons: Math.round(many.computronsPerIteration - 22),
  };
}

interface Stack {
  client: MqttClient;
  connection: MqttConnection;
  deliver(src: Uint8Array, length: number): void;
  messages: () => number;
}

/** MqttClient + MqttConnection over TCP or TLS, plain or WebSockets, connected (CONNECT out, CONNACK in). */
function stack(tls: boolean, ws: boolean): Stack {
  const device = fakeDevice({ now: 1000 });
  device.TCP = FakeTCP as unknown as SocketConstructor;
  device.TLS = FakeTLS as unknown as SocketConstructor<TLSOptions>;
  let messages = 0;
  const client = new MqttClient({ clientId: "xs-tls", keepalive: 0, onMessage: () => messages++ });
  const broker: BrokerAddress = { host: "10.0.0.1", port: tls ? 8883 : 1883 };
  if (tls) broker.tls = true;
  if (ws) broker.websocket = "/mqtt";
  const connection = new MqttConnection(client, broker, device);
  connection.start();
  const socket = tls ? FakeTLS.last! : FakeTCP.last!;
  const deliver = (src: Uint8Array, length: number) => (tls ? FakeTLS.last!.deliver(src, length) : FakeTCP.last!.deliver(src, length));
  socket.drain(1 << 20);
  if (ws) {
    const reply = response101(socket.output, socket.outLength);
    socket.outLength = 0;
    deliver(reply, reply.length);
    assertEqual(socket.output[0], 0x82, "CONNECT went out in a binary frame");
  } else assertEqual(socket.output[0], 0x10, "CONNECT went out");
  const connack = ws ? Uint8Array.of(0x82, 4, 0x20, 2, 0, 0) : Uint8Array.of(0x20, 2, 0, 0);
  deliver(connack, connack.length);
  assertEqual(client.state, ClientState.Connected, "connected");
  return { client, connection, deliver, messages: () => messages };
}

/** A message in and a message out, each measured exactly. */
function inAndOut(tls: boolean, ws: boolean): { in: Figures; out: Figures } {
  const s = stack(tls, ws);
  const frame = ws ? PUBLISH_IN_FRAMED : PUBLISH_IN;
  const length = frame.length;
  const deliver = s.deliver;
  const inbound = figures(() => deliver(frame, length));
  assertTrue(s.messages() === 101 + 110 + 10010, "every message in delivered");
  const client = s.client;
  const connection = s.connection;
  const handle = client.topic("t");
  const payload = ascii("hello");
  const outbound = figures(() => {
    client.publish(handle, payload, 0);
    connection.service();
  });
  assertEqual(client.queuedCount(), 0, "every message out written");
  connection.stop();
  return { in: inbound, out: outbound };
}

/** Fails unless the figures are exactly these: one message, and 100 messages (100 times one, nothing left behind). */
function assertFigures(f: Figures, slots: number, chunks: number, what: string): void {
  assertEqual(f.slots, slots, what + ": slots per message");
  assertEqual(f.chunks, chunks, what + ": chunk bytes per message");
  assertEqual(f.slots100, 100 * slots, what + ": slots over 100 messages (peak)");
  assertEqual(f.chunks100, 100 * chunks, what + ": chunk bytes over 100 messages (peak)");
}

// XS on this 64-bit host: a view (new Uint8Array(buffer, offset, length)) is 4 slots and no chunk; a
// slice is a new Uint8Array (4 slots) and its ArrayBuffer (its slots, and a chunk of its bytes plus the
// chunk's header). The figures below are those the suite measured; the README states them.

test("the SDK's TLS read(n) alone: a new Uint8Array and ArrayBuffer of n bytes per read (inherent to its API)", () => {
  const tls = new FakeTLS({ address: "10.0.0.1", port: 8883 } as TLSOptions);
  const f = figures(() => {
    tls.position = 0;
    tls.end = 10;
    tls.read(10);
  });
  report("sdk read(10)", f);
  const g = figures(() => {
    tls.position = 0;
    tls.end = 100;
    tls.read(100);
  });
  report("sdk read(100)", g);
  assertFigures(f, SDK_READ_SLOTS, SDK_READ_CHUNKS_10, "read(10)");
  assertFigures(g, SDK_READ_SLOTS, SDK_READ_CHUNKS_100, "read(100)");
});

test("mqtts: a message in allocates the SDK's read(n) and one view of ours; a message out, nothing; over TCP nothing either way", () => {
  const tcp = inAndOut(false, false);
  const tls = inAndOut(true, false);
  report("tcp", tcp);
  report("tls", tls);
  // Over plain TCP: nothing at all (README "Memory"): reads and writes go through the client's stage.
  assertFigures(tcp.in, 0, 0, "TCP in");
  assertFigures(tcp.out, 0, LITERAL_CHUNKS, "TCP out");
  // Over TLS: in, the SDK's slice plus our view over its ArrayBuffer; out, nothing (the stage; the fake's write copies).
  // Out, everywhere: flush's "number" literal too (LITERAL_CHUNKS, below).
  assertFigures(tls.in, SDK_READ_SLOTS + VIEW_SLOTS, SDK_READ_CHUNKS_10, "TLS in");
  assertFigures(tls.out, 0, LITERAL_CHUNKS, "TLS out");
});

test("wss: the framing adds a view over each inner read's ArrayBuffer and a view per frame written (ws over TCP adds nothing)", () => {
  const ws = inAndOut(false, true);
  const wss = inAndOut(true, true);
  report("ws", ws);
  report("wss", wss);
  // ws over TCP: nothing, as over plain TCP (test/xs/suites/ws.xs.ts).
  assertFigures(ws.in, 0, 0, "ws in");
  assertFigures(ws.out, 0, LITERAL_CHUNKS, "ws out");
  // wss: in, the SDK's slice of the 12-byte frame and the framing's view over it; out, the framing's view per frame.
  assertFigures(wss.in, SDK_READ_SLOTS + VIEW_SLOTS, SDK_READ_CHUNKS_12, "wss in");
  assertFigures(wss.out, VIEW_SLOTS, LITERAL_CHUNKS, "wss out");
});

test("the SDK's number format, read byte by byte, allocates nothing (what MqttConnection could do instead of read(n))", () => {
  const tls = new FakeTLS({ address: "10.0.0.1", port: 8883 } as TLSOptions);
  const into = new Uint8Array(100);
  tls.format = "number";
  const f = figures(() => {
    tls.position = 0;
    tls.end = 100;
    for (let i = 0; i < 100; i++) into[i] = tls.read() as number;
  });
  report("number format, 100 bytes", f);
  assertFigures(f, 0, 0, "100 bytes read one at a time");
  tls.format = "buffer";
  const into10 = new Uint8Array(10);
  const copy = figures(() => {
    tls.position = 0;
    tls.end = 10;
    into10.set(new Uint8Array(tls.read(10) as ArrayBuffer), 0);
  });
  report("read(10) and copied through a view", copy);
  assertFigures(copy, SDK_READ_SLOTS + VIEW_SLOTS, SDK_READ_CHUNKS_10, "read(10) copied");
});

test("a string literal evaluated allocates its chunk on XS compiled from source (why MqttConnection.flush compares typeof with a const)", () => {
  let value: unknown = 3;
  let numbers = 0;
  const f = figures(() => {
    if (typeof value === "number") numbers++;
  });
  report("typeof value === \"number\"", f);
  assertFigures(f, 0, 24, "the literal");
  const NUMBER = "number";
  const g = figures(() => {
    if (typeof value === NUMBER) numbers++;
  });
  report("typeof value === NUMBER (a const)", g);
  assertFigures(g, 0, 0, "the const");
  value = numbers;
});

// The measured figures: slots (16 bytes each on a 32-bit device, 32 on this 64-bit host) and chunk bytes
// as XS counts them on this 64-bit host (a chunk's 16-byte header included, its size rounded up to 8).
/** A view, new Uint8Array(buffer, offset, length): MqttConnection's over TLS read(n)'s ArrayBuffer, the framing's over TLS. */
const VIEW_SLOTS = 4;
/** The SDK's read(n): data.slice(...) (a Uint8Array, its ArrayBuffer) and .buffer. */
const SDK_READ_SLOTS = 7;
/** Its chunk: 16 + n rounded up to 8 (10 and 12 bytes: 32; 100 bytes: 120). */
const SDK_READ_CHUNKS_10 = 32;
const SDK_READ_CHUNKS_12 = 32;
const SDK_READ_CHUNKS_100 = 120;
/**
 * Chunk bytes per write from MqttConnection.flush: 24 while it compared `typeof left === "number"` (XS
 * compiled from source makes a literal's string each time it is evaluated); 0 since it compares with a
 * const, as ws/shared.ts's isNumber does.
 */
const LITERAL_CHUNKS = 0;

await run();
