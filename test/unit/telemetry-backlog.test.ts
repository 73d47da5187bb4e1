// The telemetry backlog: samples written while the client cannot take them (offline, before the app's
// birth messages, or the client holding its hand-off share) wait in fixed bytes, oldest first, and go in
// their order once it can; nothing is lost while they fit, the oldest go when they do not.
import { describe, expect, it } from "vitest";
import { MqttClient } from "../../firmware/mqtt/index.js";
import { Backlog } from "../../firmware/telemetry/backlog.js";
import { Telemetry, type TelemetryOptions } from "../../firmware/telemetry/telemetry.js";
import { connectedClient, FakeSensor, publishesIn, sht, takeOutput } from "./telemetry-fakes.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Backlog) => new TextDecoder().decode(b.bytes.subarray(b.offset(), b.offset() + b.length()));

describe("Backlog", () => {
  it("keeps records oldest first, each contiguous with its task", () => {
    const b = new Backlog(64);
    expect(b.push(0, bytes("abc"), 3)).toBe(0);
    expect(b.push(2, bytes("defgh"), 5)).toBe(0);
    expect(b.count).toBe(2);
    expect(b.used).toBe(3 + 3 + 3 + 5);
    expect([b.task(), text(b)]).toEqual([0, "abc"]);
    b.shift();
    expect([b.task(), text(b)]).toEqual([2, "defgh"]);
    b.shift();
    expect(b.count).toBe(0);
    expect(b.used).toBe(0);
  });

  it("moves the records it holds down to make room at the end, keeping their order", () => {
    const b = new Backlog(20);
    b.push(1, bytes("aaaaa"), 5); // 8 bytes
    b.push(2, bytes("bbbbb"), 5); // 16
    b.shift(); // 8 free at the start, 4 at the end
    expect(b.push(3, bytes("ccccc"), 5)).toBe(0); // moved down: nothing dropped
    expect([b.task(), text(b)]).toEqual([2, "bbbbb"]);
    b.shift();
    expect([b.task(), text(b)]).toEqual([3, "ccccc"]);
    expect(b.dropped).toBe(0);
  });

  it("drops the oldest records when full, as few as needed, and counts them", () => {
    const b = new Backlog(24);
    for (const [i, s] of ["one..", "two..", "three"].entries()) b.push(i, bytes(s), 5); // 24 bytes: full
    expect(b.push(3, bytes("four."), 5)).toBe(1);
    expect(b.dropped).toBe(1);
    expect(b.count).toBe(3);
    const left: string[] = [];
    while (b.count > 0) {
      left.push(text(b));
      b.shift();
    }
    expect(left).toEqual(["two..", "three", "four."]);
  });

  it("refuses a record larger than the whole buffer, keeping what it holds", () => {
    const b = new Backlog(16);
    b.push(0, bytes("keep"), 4);
    expect(b.push(1, new Uint8Array(14), 14)).toBe(-1);
    expect([b.count, text(b)]).toEqual([1, "keep"]);
  });

  it("takes `length` bytes of a longer buffer (the JSON writer's)", () => {
    const b = new Backlog(16);
    b.push(0, bytes("abcdef"), 2);
    expect(text(b)).toBe("ab");
  });
});

function telemetryOn(client: MqttClient, options: TelemetryOptions = {}) {
  const sensors = [
    { name: "a", kind: "SHT3x" as const, sensor: new FakeSensor(sht(20, 40)), intervalMs: 1000 },
    { name: "b", kind: "SHT3x" as const, sensor: new FakeSensor(sht(21, 41)), intervalMs: 1000 },
  ];
  const handed: string[] = [];
  const telemetry = new Telemetry(client, "devices/u", sensors, () => undefined, { onPublished: (sensor, id) => handed.push(`${sensor} ${id}`) }, 256, options);
  return { telemetry, handed };
}

/** The (sensor, seq) of every telemetry PUBLISH in the client's output. */
const sent = (client: MqttClient) =>
  publishesIn(takeOutput(client)).map((p) => (p.topic.startsWith("devices/u/telemetry/") ? `${p.topic.slice(20)} ${JSON.parse(p.payload).seq}` : p.topic + " " + p.payload));

describe("telemetry and the backlog", () => {
  it("offline: samples wait in the backlog, not in the client's outbox; once connected they go in order, then new ones directly", () => {
    const client = new MqttClient({ clientId: "unit" });
    client.start(0);
    const { telemetry, handed } = telemetryOn(client);
    for (let t = 0; t < 3; t++) {
      telemetry.run(0, t * 1000);
      telemetry.run(1, t * 1000);
    }
    expect(client.queuedCount()).toBe(0);
    expect(telemetry.backlog.count).toBe(6);
    expect(handed).toEqual([]);
    expect(telemetry.tasks.map((t) => t.seq)).toEqual([3, 3]);
    expect(telemetry.tasks.map((t) => t.sent)).toEqual([3, 3]); // the deadband's reference: they will go

    // Connected by hand.
    client.shouldOpen(0);
    client.opened(0);
    takeOutput(client);
    client.receive(Uint8Array.of(0x20, 2, 0, 0), 0, 4, 0);
    telemetry.drain();
    expect(sent(client)).toEqual(["a 1", "b 1", "a 2", "b 2", "a 3", "b 3"]);
    expect(handed).toEqual(["a 1", "b 2", "a 3", "b 4", "a 5", "b 6"]); // sensor and packet id
    expect(telemetry.backlog.count).toBe(0);
    telemetry.run(0, 3000);
    expect(telemetry.backlog.count).toBe(0); // straight to the client
    expect(sent(client)).toEqual(["a 4"]);
  });

  it("awaitRelease: connected is not enough; samples wait for release() on this connection, and again after a reconnect", () => {
    const client = connectedClient({ clean: true });
    const { telemetry } = telemetryOn(client, { awaitRelease: true });
    telemetry.run(0, 0);
    telemetry.drain();
    expect(client.queuedCount()).toBe(0);
    client.publish("devices/u/status", "online", 1, true); // the app's birth
    telemetry.release();
    expect(sent(client)).toEqual(["devices/u/status online", "a 1"]);
    client.receive(Uint8Array.of(0x40, 2, 0, 1, 0x40, 2, 0, 2), 0, 8, 0); // PUBACK 1, 2
    // The link drops and comes back: the release was for the last connection.
    client.closed(0);
    expect(client.shouldOpen(10_000)).toBe(true);
    client.opened(10_000);
    takeOutput(client);
    client.receive(Uint8Array.of(0x20, 2, 0, 0), 0, 4, 10_000);
    telemetry.run(1, 10_000);
    expect(telemetry.backlog.count).toBe(1);
    expect(sent(client)).toEqual([]);
    client.publish("devices/u/status", "online", 1, true);
    telemetry.release();
    expect(sent(client)).toEqual(["devices/u/status online", "b 1"]);
  });

  it("hands the client at most handOff messages; the rest wait in order and follow as acks come", () => {
    const client = connectedClient({ inflight: 8, queueSlots: 32 });
    const { telemetry } = telemetryOn(client, { handOff: 2 });
    for (let t = 0; t < 3; t++) telemetry.run(0, t * 1000);
    expect(client.queuedCount()).toBe(2);
    expect(telemetry.backlog.count).toBe(1);
    expect(sent(client)).toEqual(["a 1", "a 2"]);
    telemetry.run(0, 3000); // joins the backlog behind seq 3
    client.receive(Uint8Array.of(0x40, 2, 0, 1), 0, 4, 0); // PUBACK 1
    telemetry.drain();
    expect(sent(client)).toEqual(["a 3"]);
    client.receive(Uint8Array.of(0x40, 2, 0, 2, 0x40, 2, 0, 3), 0, 8, 0);
    telemetry.drain();
    expect(sent(client)).toEqual(["a 4"]);
  });

  it("by default the hand-off share is the in-flight window, at most half the outbox", () => {
    const seqs = (options: ConstructorParameters<typeof MqttClient>[0]) => {
      const client = connectedClient(options);
      const { telemetry } = telemetryOn(client);
      for (let t = 0; t < 40; t++) telemetry.run(0, t);
      return client.queuedCount();
    };
    expect(seqs({ clientId: "x", inflight: 8, queueSlots: 32 })).toBe(8);
    expect(seqs({ clientId: "x", inflight: 16, queueSlots: 20 })).toBe(10);
  });

  it("a long outage keeps the newest samples: the oldest are dropped (a gap in seq) and counted", () => {
    const client = new MqttClient({ clientId: "unit" });
    client.start(0);
    const { telemetry } = telemetryOn(client, { backlogSize: 200 });
    for (let t = 0; t < 10; t++) telemetry.run(0, t); // {"seq":N,"temperature":20,"humidity":40}: 39-40 bytes + 3
    expect(telemetry.backlog.count).toBe(4);
    expect(telemetry.backlog.dropped).toBe(6);
    client.shouldOpen(0);
    client.opened(0);
    takeOutput(client);
    client.receive(Uint8Array.of(0x20, 2, 0, 0), 0, 4, 0);
    telemetry.drain();
    expect(sent(client)).toEqual(["a 7", "a 8", "a 9", "a 10"]);
  });
});
