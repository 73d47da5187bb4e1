// The network adapter against a scripted fake of the device modules: what it writes, reads and schedules.
import { describe, expect, it } from "vitest";
import { ClientState, MqttClient } from "../../firmware/mqtt/index.js";
import { MqttConnection } from "../../firmware/net/connection.js";
import type { NetDevice, Socket, SocketOptions, TimerModule } from "../../firmware/net/device.js";

class FakeSocket implements Socket {
  static last: FakeSocket | null = null;
  written: number[] = [];
  incoming: number[] = [];
  writable = 0;
  closed = false;
  constructor(readonly options: SocketOptions) {
    FakeSocket.last = this;
  }
  read(buffer?: ArrayBuffer | ArrayBufferView | number): ArrayBuffer | number | undefined {
    const view = buffer as Uint8Array;
    if (view.length > this.incoming.length) throw new Error("invalid: more than readable");
    for (let i = 0; i < view.length; i++) view[i] = this.incoming.shift()!;
    return view.length;
  }
  write(data: ArrayBuffer | ArrayBufferView): number {
    const bytes = data as Uint8Array;
    if (bytes.length > this.writable) throw new Error("would block");
    this.written.push(...bytes);
    this.writable -= bytes.length;
    return this.writable;
  }
  close(): void {
    this.closed = true;
  }
  /** The peer sends bytes: onReadable. */
  deliver(bytes: number[]): void {
    this.incoming.push(...bytes);
    this.options.onReadable!.call(this, this.incoming.length);
  }
  /** The socket can take `count` more bytes: onWritable. */
  drain(count: number): void {
    this.writable = count;
    this.options.onWritable!.call(this, count);
  }
}

function fakeDevice() {
  let ticks = 0;
  const timers: { callback: () => void; due: number; repeat: number }[] = [];
  let sets = 0;
  const Timer: TimerModule = {
    set(callback, interval = 0, repeat = 0) {
      sets++;
      const timer = { callback: callback as () => void, due: ticks + interval, repeat };
      timers.push(timer);
      return timer;
    },
    schedule(timer, interval, repeat = 0) {
      const t = timer as (typeof timers)[number];
      t.due = ticks + interval;
      t.repeat = repeat;
    },
    clear(timer) {
      timers.splice(timers.indexOf(timer as (typeof timers)[number]), 1);
    },
  };
  const device: NetDevice = {
    TCP: FakeSocket,
    Resolver: class {
      resolve() {}
    },
    UDP: null,
    dnsServers: [],
    Timer,
    ticks: () => ticks | 0,
  };
  return {
    device,
    timerSets: () => sets,
    /** Moves the clock (as Time.ticks: 32-bit, wrapping) and fires due timers. */
    advance(ms: number) {
      ticks = (ticks + ms) | 0;
      for (const t of timers) {
        if (((ticks - t.due) | 0) >= 0) {
          t.due = ticks + (t.repeat || 1e9);
          t.callback();
        }
      }
    },
    setTicks(value: number) {
      ticks = value | 0;
    },
  };
}

const CONNACK = [0x20, 2, 0, 0];

describe("MqttConnection over the device modules", () => {
  it("opens on the first onWritable, writes no more than the writable count, and goes on when it grows", () => {
    const fake = fakeDevice();
    const client = new MqttClient({ clientId: "c1" });
    const connection = new MqttConnection(client, { host: "127.0.0.1", port: 1883 }, fake.device);
    connection.start();
    const socket = FakeSocket.last!;
    expect(socket.options.address).toBe("127.0.0.1");
    socket.drain(10); // connected, but only 10 bytes fit
    expect(socket.written).toEqual([0x10, 14, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2]);
    socket.drain(100);
    expect(socket.written.length).toBe(16);
    socket.deliver(CONNACK);
    expect(client.stats.connects).toBe(1);
  });

  it("reads exactly what onReadable reports, packets split anywhere", () => {
    const fake = fakeDevice();
    const got: string[] = [];
    const client = new MqttClient({ clientId: "c1", onMessage: (m) => got.push(m.payloadString()) });
    const connection = new MqttConnection(client, { host: "127.0.0.1", port: 1883 }, fake.device);
    connection.start();
    const socket = FakeSocket.last!;
    socket.drain(1000);
    socket.deliver([...CONNACK, 0x30, 5, 0, 1, 0x74]);
    socket.deliver([0x68]);
    socket.deliver([0x69, 0x30, 4, 0, 1, 0x74, 0x21]);
    expect(got).toEqual(["hi", "!"]);
    expect(socket.incoming).toEqual([]);
  });

  it("a burst larger than the receive buffer whose acks fill the ack queue is read to the end, with no new socket event", () => {
    // 200 QoS 1 PUBLISH in one onReadable (1,800 bytes, 1,024 B receive buffer): processing waits for the
    // 64 PUBACKs to go, the flush frees the buffer, and what the socket still holds must be read then.
    const fake = fakeDevice();
    let got = 0;
    const client = new MqttClient({ clientId: "c1", onMessage: () => got++ });
    const connection = new MqttConnection(client, { host: "127.0.0.1", port: 1883 }, fake.device);
    connection.start();
    const socket = FakeSocket.last!;
    socket.drain(100_000);
    const burst: number[] = [...CONNACK];
    for (let id = 1; id <= 200; id++) burst.push(0x32, 7, 0, 1, 0x74, id >> 8, id & 0xff, 0x78, 0x79);
    socket.deliver(burst);
    expect(got).toBe(200);
    expect(socket.incoming).toEqual([]);
    expect(socket.written.length).toBe(16 + 200 * 4); // CONNECT, then a PUBACK each
  });

  it("keeps one timer, rescheduled, and keeps time across the 32-bit tick wrap", () => {
    const fake = fakeDevice();
    fake.setTicks(2 ** 31 - 30_000); // 30 s before Time.ticks wraps negative
    const client = new MqttClient({ clientId: "c1", keepalive: 60 });
    const connection = new MqttConnection(client, { host: "127.0.0.1", port: 1883 }, fake.device);
    connection.start();
    const socket = FakeSocket.last!;
    socket.drain(1000);
    socket.deliver(CONNACK);
    const sent = socket.written.length;
    for (let s = 0; s < 59; s++) fake.advance(1000); // through the wrap
    expect(socket.written.length).toBe(sent); // no PINGREQ yet: 59 s
    fake.advance(1000);
    expect(socket.written.slice(sent)).toEqual([0xc0, 0]); // PINGREQ at 60 s, after the wrap
    expect(fake.timerSets()).toBe(1);
  });

  it("closes the socket when the client gives up, and reconnects with a new one", () => {
    const fake = fakeDevice();
    const client = new MqttClient({ clientId: "c1", reconnectPeriod: 1000, random: () => 0.5 });
    const connection = new MqttConnection(client, { host: "127.0.0.1", port: 1883 }, fake.device);
    connection.start();
    const first = FakeSocket.last!;
    first.drain(1000);
    first.deliver([0x20, 2, 0, 0, 0x20, 2, 0, 0]); // a second CONNACK: protocol error
    expect(first.closed).toBe(true);
    fake.advance(749);
    expect(FakeSocket.last).toBe(first);
    fake.advance(1);
    expect(FakeSocket.last).not.toBe(first);
  });

  it("stop() under backpressure still stops the client (DISCONNECT could not go), and start() connects again", () => {
    const fake = fakeDevice();
    const events: string[] = [];
    const client = new MqttClient({ clientId: "c1", onDisconnected: (r) => events.push("disconnected 0x" + r.toString(16)) });
    const connection = new MqttConnection(client, { host: "127.0.0.1", port: 1883 }, fake.device);
    connection.start();
    const first = FakeSocket.last!;
    first.drain(16); // CONNECT only: the socket takes nothing more
    first.deliver(CONNACK);
    expect(client.state).toBe(ClientState.Connected);
    connection.stop();
    expect(first.closed).toBe(true);
    expect(first.written.slice(16)).toEqual([]); // no room for DISCONNECT
    expect(client.state).toBe(ClientState.Stopped);
    expect(events).toEqual(["disconnected 0x0"]);
    connection.start();
    expect(FakeSocket.last).not.toBe(first);
  });
});
