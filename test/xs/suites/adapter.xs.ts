// What a message costs through the network adapter on XS, exact counters: MqttClient + MqttConnection over
// a socket with the Moddable SDK's TCP semantics (modules/io/socket/lin/tcp.c, lwip/tcp.c):
// - read(buffer) fills exactly buffer's bytes, and throws "invalid" when it asks for more than is readable;
// - write(buffer) sends all of buffer's bytes, throws "would block" when they exceed what onWritable(count)
//   allowed, and returns what is still writable.
// The fake copies with native calls only (set), as the SDK's C does, so the computrons are the stack's.
// Each path must allocate nothing at all (slots, chunks, peaks): a QoS 0 publish, a QoS 1 round trip, an
// inbound QoS 1 message with its PUBACK, a keepalive exchange, a telemetry sample, and a publish larger
// than the socket takes at once (written in pieces as onWritable allows). Run by test/xs/adapter.test.ts.
import { ClientState, MqttClient } from "../../../firmware/mqtt/index.js";
import { MqttConnection } from "../../../firmware/net/connection.js";
import type { BrokerAddress } from "../../../firmware/net/broker.js";
import type { Socket, SocketConstructor, SocketOptions } from "../../../firmware/net/device.js";
import SHT3x from "../../../firmware/telemetry/sim/sht3x.js";
import { Telemetry } from "../../../firmware/telemetry/telemetry.js";
import { FakeTimers, fakeDevice } from "./fake-device.js";
import { assertEqual, assertNoAllocation, assertTrue, measure, report, run, test, type Measure } from "./harness.js";

/** ECMA-419 TCP as the SDK implements it, with fixed buffers. */
class SdkTCP implements Socket {
  static last: SdkTCP | null = null;
  /** What the peer sent and is not read yet: one packet at a time, `incoming[at, length)`. */
  private incoming: Uint8Array = new Uint8Array(0);
  private at = 0;
  /** Bytes the socket can take (onWritable's count, less what was written since). */
  writable = 0;
  /** Writes, bytes written, and the first byte of the last write (a packet's type). */
  writes = 0;
  bytesWritten = 0;
  lastFirst = 0;
  constructor(readonly options: SocketOptions) {
    SdkTCP.last = this;
  }
  read(buffer?: ArrayBuffer | ArrayBufferView | number): number | undefined {
    const readable = this.incoming.length - this.at;
    if (readable === 0) return undefined;
    const out = buffer as Uint8Array;
    const n = out.length;
    if (n <= 0 || n > readable) throw new Error("invalid");
    if (this.at === 0 && n === readable) out.set(this.incoming);
    else for (let i = 0; i < n; i++) out[i] = this.incoming[this.at + i];
    this.at += n;
    return n;
  }
  write(data: ArrayBuffer | ArrayBufferView): number {
    const bytes = data as Uint8Array;
    const n = bytes.length;
    if (n > this.writable) throw new Error("would block");
    this.writable -= n;
    this.writes++;
    this.bytesWritten += n;
    this.lastFirst = bytes[0];
    return this.writable;
  }
  close(): void {}
  /** The peer sends one packet: onReadable. */
  deliver(packet: Uint8Array): void {
    this.incoming = packet;
    this.at = 0;
    this.options.onReadable!.call(this, packet.length);
  }
  /** The socket can take `count` bytes: onWritable. */
  drain(count: number): void {
    this.writable = count;
    this.options.onWritable!.call(this, count);
  }
}

interface Stack {
  client: MqttClient;
  connection: MqttConnection;
  socket: SdkTCP;
  timers: FakeTimers;
  clock: { now: number };
  received: () => number;
}

/** MqttClient + MqttConnection over SdkTCP, connected, with a subscription for inbound messages. */
function stack(keepalive = 0): Stack {
  const clock = { now: 1000 };
  const timers = new FakeTimers();
  const device = fakeDevice(clock, timers);
  device.TCP = SdkTCP as unknown as SocketConstructor;
  let received = 0;
  const client = new MqttClient({ clientId: "xs-adapter", keepalive, onMessage: (m) => (received += m.payloadLength) });
  const broker: BrokerAddress = { host: "10.0.0.1", port: 1883 };
  const connection = new MqttConnection(client, broker, device);
  connection.start();
  const socket = SdkTCP.last!;
  socket.drain(1536);
  assertEqual(socket.lastFirst, 0x10, "CONNECT went out");
  socket.deliver(Uint8Array.of(0x20, 2, 0, 0));
  assertEqual(client.state, ClientState.Connected, "connected");
  client.subscribe([{ topic: "devices/+/cmd/#", qos: 1 }]);
  connection.service();
  socket.deliver(Uint8Array.of(0x90, 3, 0, 1, 1));
  return { client, connection, socket, timers, clock, received: () => received };
}

function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The bench's packet: 48-byte payload on a 31-byte topic (bench/telemetry-packet.ts's sizes). */
const TOPIC = "devices/esp32-a1b2c3/telemetry/x";
const PAYLOAD = ascii('{"t":21.5,"h":40.25,"p":101325,"seq":1234567890}');

function figures(m: Measure, what: string): { computrons: number; slots: number; chunks: number } {
  assertNoAllocation(m, what);
  return { computrons: Math.round(m.computronsPerIteration - 22), slots: m.slotsPeak, chunks: m.chunksPeak };
}

test("a QoS 0 publish through the adapter allocates nothing", () => {
  const s = stack();
  const { client, connection, socket } = s;
  const topic = client.topic(TOPIC);
  const before = socket.writes;
  const m = measure(() => {
    client.publish(topic, PAYLOAD, 0);
    connection.service();
    socket.writable = 1536; // the peer keeps up (onWritable's count, without its call)
  });
  assertEqual(socket.writes - before, 10100, "one write per publish");
  assertEqual(socket.lastFirst, 0x30, "a QoS 0 PUBLISH");
  report("qos0", figures(m, "QoS 0 publish through the adapter"));
});

test("a QoS 1 round trip through the adapter (publish, write, PUBACK read) allocates nothing", () => {
  const s = stack();
  const { client, connection, socket } = s;
  const topic = client.topic(TOPIC);
  const puback = Uint8Array.of(0x40, 2, 0, 0);
  let acked = 0;
  const m = measure(() => {
    const id = client.publish(topic, PAYLOAD, 1);
    connection.service();
    socket.writable = 1536;
    puback[2] = id >> 8;
    puback[3] = id & 0xff;
    socket.deliver(puback);
    acked++;
  });
  assertEqual(client.queuedCount(), 0, "every message acknowledged");
  assertEqual(acked, 10100, "round trips");
  report("qos1", figures(m, "QoS 1 round trip through the adapter"));
});

test("an inbound QoS 1 message through the adapter (read, dispatch, PUBACK written) allocates nothing", () => {
  const s = stack();
  const { socket } = s;
  const name = ascii("devices/esp32-a1b2c3/cmd/x");
  const publish = new Uint8Array(4 + name.length + 2 + PAYLOAD.length);
  publish[0] = 0x32;
  publish[1] = publish.length - 2;
  publish[3] = name.length;
  publish.set(name, 4);
  publish[5 + name.length] = 7;
  publish.set(PAYLOAD, 6 + name.length);
  const before = socket.writes;
  const m = measure(() => {
    socket.deliver(publish);
    socket.writable = 1536;
  });
  assertEqual(s.received(), 10100 * PAYLOAD.length, "every message delivered");
  assertEqual(socket.writes - before, 10100, "one PUBACK written per message");
  assertEqual(socket.lastFirst, 0x40, "PUBACK");
  report("inbound", figures(m, "inbound QoS 1 through the adapter"));
});

test("a keepalive exchange through the adapter (PINGREQ written, PINGRESP read) allocates nothing", () => {
  const s = stack(60);
  const { socket, connection, clock } = s;
  const pingresp = Uint8Array.of(0xd0, 0);
  const m = measure(() => {
    clock.now += 60_000;
    connection.service(); // what the timer calls
    socket.writable = 1536;
    socket.deliver(pingresp);
  });
  assertEqual(socket.lastFirst, 0xc0, "PINGREQ");
  assertEqual(s.client.state, ClientState.Connected, "still connected");
  report("keepalive", figures(m, "keepalive through the adapter"));
});

test("a telemetry sample through the adapter (read, JSON, publish QoS 0, written) allocates nothing", () => {
  const s = stack();
  const { client, connection, socket, clock } = s;
  const telemetry = new Telemetry(client, "devices/esp32-a1b2c3", [{ name: "sht3x", kind: "SHT3x", sensor: new SHT3x({ seed: 7 }), intervalMs: 1000, qos: 0 }], () => 1_732_460_000_123);
  const before = socket.writes;
  const m = measure(() => {
    clock.now += 1000;
    telemetry.run(0, clock.now);
    connection.service();
    socket.writable = 1536;
  });
  assertEqual(telemetry.tasks[0].sent, 10100, "every sample published");
  assertEqual(socket.writes - before, 10100, "one write per sample");
  report("telemetry", figures(m, "telemetry sample through the adapter"));
});

test("a publish larger than the socket takes goes in pieces as onWritable allows, allocating nothing", () => {
  const s = stack();
  const { client, connection, socket } = s;
  const topic = client.topic(TOPIC);
  const big = new Uint8Array(3000);
  for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
  const before = socket.bytesWritten;
  let refused = 0;
  const m = measure(
    () => {
      socket.writable = 1536;
      if (client.publish(topic, big, 0) < 0) refused++;
      connection.service(); // 1,536 bytes (the stage's and the socket's size)
      socket.drain(1000); // onWritable(1000): 1,000 more
      socket.drain(1536); // the rest
    },
    100,
    10,
  );
  assertEqual(refused, 0, "publishes refused");
  const packet = 1 + 2 + 2 + TOPIC.length + big.length;
  assertEqual(socket.bytesWritten - before, 110 * packet, "every byte written");
  assertEqual(client.outputLength(), 0, "nothing left");
  assertTrue(socket.writable > 0, "the last piece fitted");
  report("large", figures(m, "a 3,037-byte publish in pieces"));
});

await run();
