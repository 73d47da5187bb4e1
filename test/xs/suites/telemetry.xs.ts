// The telemetry hot path on the XS engine: a sample read, formatted as JSON into the fixed buffer and
// published through a connected client allocates 0 slots and 0 chunk bytes, peaks included, over 10,000
// iterations after warm-up; so do a deadband-suppressed sample, a scheduler tick, a sample that waits in
// the backlog and goes after an ack, and offline samples pushing the oldest out of a full backlog. The sensor is the
// simulated SHT3x (firmware/telemetry/sim/sht3x.ts), whose sample() reuses one object: the SDK's drivers
// allocate a new object per sample(). Also: the payload is valid JSON on XS for negative, NaN and large
// values. Run by test/xs/telemetry.test.ts.
import { ClientState, MqttClient } from "../../../firmware/mqtt/index.js";
import type { TimerModule } from "../../../firmware/net/device.js";
import { Scheduler } from "../../../firmware/telemetry/scheduler.js";
import SHT3x from "../../../firmware/telemetry/sim/sht3x.js";
import type { Sensor } from "../../../firmware/telemetry/task.js";
import { Telemetry } from "../../../firmware/telemetry/telemetry.js";
import { connectedClient, drain } from "./fixture.js";
import { assertEqual, assertNoAllocation, assertTrue, measure, report, run, test } from "./harness.js";

/** XS has TextDecoder as a global (XS-NOTES); the suites' tsconfig has no DOM lib. */
declare class TextDecoder {
  decode(bytes: Uint8Array): string;
}

let now = 1_000_000;
const ts = 1_732_460_000_123;
const clock = () => ts;
const ack = Uint8Array.of(0x40, 2, 0, 0);
let lastId = 0;
let published = 0;
const onPublished = (_sensor: string, id: number) => {
  lastId = id;
  published++;
};

function connected(): MqttClient {
  const client = connectedClient(now, { clientId: "xs-telemetry" });
  assertEqual(client.state, ClientState.Connected, "connected");
  return client;
}

const decoder = new TextDecoder();
const payloadOf = (telemetry: Telemetry): Record<string, unknown> =>
  JSON.parse(decoder.decode(telemetry.json.buffer.subarray(0, telemetry.json.length))) as Record<string, unknown>;

function sht3xTelemetry(client: MqttClient, qos: 0 | 1, deadband?: Record<string, number>): Telemetry {
  return new Telemetry(client, "devices/xs-a1b2c3", [{ name: "sht3x", kind: "SHT3x", sensor: new SHT3x({ seed: 7 }), intervalMs: 1000, qos, deadband }], clock, { onPublished });
}

function publishTest(qos: 0 | 1): void {
  test("format one sample and publish it at QoS " + qos + ": 10,000 times, no allocation", () => {
    const client = connected();
    const telemetry = sht3xTelemetry(client, qos);
    const before = published;
    let bytes = 0;
    const m = measure(() => {
      now += 1000;
      telemetry.run(0, now);
      bytes += drain(client, now);
      if (qos === 1) {
        ack[2] = lastId >> 8;
        ack[3] = lastId & 0xff;
        client.receive(ack, 0, 4, now);
      }
    });
    report("measure", m);
    report("computronsPerSample", m.computronsPerIteration - 22);
    assertEqual(published - before, 10100, "messages published");
    assertEqual(telemetry.tasks[0].seq, 10100, "seq");
    assertEqual(client.queuedCount(), 0, "outbox empty");
    assertTrue(bytes > 10100 * 80, "bytes written: " + bytes);
    const payload = payloadOf(telemetry);
    assertEqual(payload.ts, ts, "ts");
    assertEqual(payload.seq, 10100, "seq in the payload");
    assertTrue(typeof payload.temperature === "number" && typeof payload.humidity === "number", "readings are numbers");
    assertNoAllocation(m, "sample + JSON + publish QoS " + qos);
  });
}
publishTest(0);
publishTest(1);

test("a sample the deadband suppresses allocates nothing", () => {
  const client = connected();
  const telemetry = sht3xTelemetry(client, 0, { temperature: 1000, humidity: 1000 });
  telemetry.run(0, now); // the first sample is always published
  drain(client, now);
  const m = measure(() => {
    now += 1000;
    telemetry.run(0, now);
  });
  report("measure", m);
  assertEqual(telemetry.tasks[0].suppressed, 10100, "suppressed");
  assertEqual(telemetry.tasks[0].seq, 1, "only the first published");
  assertNoAllocation(m, "suppressed sample");
});

test("a scheduler tick that samples and publishes allocates nothing", () => {
  const client = connected();
  const telemetry = sht3xTelemetry(client, 0);
  let sets = 0;
  let schedules = 0;
  const Timer: TimerModule = {
    set: () => {
      sets++;
      return Timer;
    },
    schedule: () => {
      schedules++;
    },
    clear: () => {},
  };
  let flushed = 0;
  const scheduler = new Scheduler(telemetry.tasks, Timer, () => now, {
    runTask: (index, at) => telemetry.run(index, at),
    afterTick: () => {
      flushed += drain(client, now);
    },
  });
  scheduler.start();
  const m = measure(() => {
    now += 1000;
    scheduler.tick();
  });
  report("measure", m);
  assertEqual(sets, 1, "Timer.set calls");
  assertEqual(schedules, 10100, "Timer.schedule calls");
  assertEqual(telemetry.tasks[0].seq, 10100, "samples published");
  assertTrue(flushed > 0, "bytes flushed");
  assertNoAllocation(m, "scheduler tick");
});

test("a sample that waits in the backlog (the client holds handOff messages) and goes after the ack: 10,000 times, no allocation", () => {
  const client = connected();
  const telemetry = new Telemetry(client, "devices/xs-a1b2c3", [{ name: "sht3x", kind: "SHT3x", sensor: new SHT3x({ seed: 7 }), intervalMs: 1000, qos: 1 }], clock, { onPublished }, 256, { handOff: 1, backlogSize: 1024 });
  const before = published;
  let waited = 0;
  const acked = () => {
    drain(client, now);
    ack[2] = lastId >> 8;
    ack[3] = lastId & 0xff;
    client.receive(ack, 0, 4, now);
  };
  const m = measure(() => {
    now += 1000;
    telemetry.run(0, now); // the client holds none: published at once
    telemetry.run(0, now); // it holds one (handOff): into the backlog
    waited += telemetry.backlog.count;
    acked();
    telemetry.drain(); // room again: the backlog's sample goes, from the backlog's bytes
    acked();
  });
  report("measure", m);
  assertEqual(waited, 10100, "samples that waited in the backlog");
  assertEqual(published - before, 20200, "messages published");
  assertEqual(telemetry.backlog.count, 0, "backlog empty");
  assertEqual(client.queuedCount(), 0, "outbox empty");
  assertNoAllocation(m, "sample through the backlog");
});

test("offline samples fill a small backlog and push out the oldest: 10,000 times, no allocation", () => {
  const client = new MqttClient({ clientId: "xs-offline" }); // never started: offline
  const telemetry = new Telemetry(client, "devices/xs-a1b2c3", [{ name: "sht3x", kind: "SHT3x", sensor: new SHT3x({ seed: 7 }), intervalMs: 1000, qos: 1 }], clock, { onPublished }, 256, { backlogSize: 300 });
  const before = published;
  const m = measure(() => {
    now += 1000;
    telemetry.run(0, now);
  });
  report("measure", m);
  assertEqual(published - before, 0, "nothing handed to an offline client");
  assertTrue(telemetry.backlog.count >= 2 && telemetry.backlog.used <= 300, "backlog holds the newest: " + telemetry.backlog.count);
  assertEqual(telemetry.backlog.count + telemetry.backlog.dropped, 10100, "every sample kept or counted as dropped");
  assertNoAllocation(m, "offline sample into a full backlog");
});

test("on XS, a payload's digits are the same bytes as on Node: a leading 0., trailing zeros dropped, two or three digits a store", () => {
  // The digits are stored two (setUint16) or three (setUint32, its spare byte overwritten) at a time through a
  // DataView: this pins the bytes on the engine the device runs, for every way a number is split.
  const client = connected();
  const readings = [["a", 0.05, 2], ["b", 100, 2], ["c", 101325, 0], ["d", 123456.789, 3], ["e", 7, 0], ["f", 99999999.5, 1], ["g", 1234, 6], ["h", 0.000001, 6]] as const;
  const group: Record<string, number> = {};
  for (const [key, value] of readings) group[key] = value;
  const values = { q: group };
  const sensor: Sensor = { sample: () => values };
  const telemetry = new Telemetry(client, "devices/xs-a1b2c3", [{
    name: "digits",
    sensor,
    intervalMs: 1000,
    readings: readings.map(([key, , decimals]) => ({ key, quantity: "q", property: key, decimals })),
  }], clock);
  telemetry.run(0, now);
  const text = decoder.decode(telemetry.json.buffer.subarray(0, telemetry.json.length));
  // As the writer before issue 16's changes wrote it (on Node).
  assertEqual(text, '{"ts":1732460000123,"seq":1,"a":0.05,"b":100,"c":101325,"d":123456.789,"e":7,"f":99999999.5,"g":1234,"h":0.000001}', "payload");
});

test("payloads are valid JSON on XS for negative, NaN and large values", () => {
  const client = connected();
  const values = { thermometer: { temperature: -40.126 }, hygrometer: { humidity: NaN }, barometer: { pressure: 1.5e21 } };
  const sensor: Sensor = { sample: () => values };
  const telemetry = new Telemetry(client, "devices/xs-a1b2c3", [{
    name: "odd",
    sensor,
    intervalMs: 1000,
    readings: [
      { key: "temperature", quantity: "thermometer", property: "temperature", decimals: 2 },
      { key: "humidity", quantity: "hygrometer", property: "humidity", decimals: 1 },
      { key: "pressure", quantity: "barometer", property: "pressure", decimals: 0 },
      { key: "missing", quantity: "hygrometer", property: "dewpoint", decimals: 1 },
    ],
  }], () => undefined);
  telemetry.run(0, now);
  const text = decoder.decode(telemetry.json.buffer.subarray(0, telemetry.json.length));
  assertEqual(text, '{"seq":1,"temperature":-40.13,"humidity":null,"pressure":1.5e21,"missing":null}', "payload (no ts: clock not set)");
  const parsed = JSON.parse(text) as Record<string, unknown>;
  assertEqual(parsed.temperature, -40.13, "temperature");
  assertEqual(parsed.humidity, null, "NaN is null");
  assertEqual(parsed.pressure, 1.5e21, "large");
});

await run();
