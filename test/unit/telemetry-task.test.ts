// Telemetry tasks end to end on Node with a fake timer and a client connected by hand (publishes queue in
// its outbox, nothing is written): payload shape, report-by-exception (deadband and max interval), a
// failing sensor counted, reported, retried at its next interval and not stopping the others.
import { describe, expect, it } from "vitest";
import { MqttClient } from "../../firmware/mqtt/index.js";
import { Scheduler } from "../../firmware/telemetry/scheduler.js";
import type { SensorConfig } from "../../firmware/telemetry/task.js";
import { Telemetry } from "../../firmware/telemetry/telemetry.js";
import { connectedClient, FakeClock, FakeSensor, sht } from "./telemetry-fakes.js";

const TS = 1_732_460_000_123;

function rig(sensors: SensorConfig[], clockValue: () => number | undefined = () => TS) {
  const clock = new FakeClock();
  const client = connectedClient({ queueSlots: 256, inflight: 256, transmitBufferSize: 65_536 });
  const payloads: { sensor: string; json: Record<string, unknown> }[] = [];
  const errors: string[] = [];
  const telemetry = new Telemetry(client, "devices/unit-1", sensors, clockValue, {
    onPublished: (sensor, id) => {
      expect(id).toBeGreaterThanOrEqual(0);
      payloads.push({ sensor, json: JSON.parse(new TextDecoder().decode(telemetry.json.buffer.subarray(0, telemetry.json.length))) });
    },
    onSensorError: (sensor, message) => errors.push(`${sensor}: ${message}`),
  });
  const scheduler = new Scheduler(telemetry.tasks, clock.Timer, clock.ticks, { runTask: (i, now) => telemetry.run(i, now), afterTick: () => {} });
  return { clock, client, telemetry, scheduler, payloads, errors };
}

const of = (payloads: { sensor: string; json: Record<string, unknown> }[], sensor: string) => payloads.filter((p) => p.sensor === sensor).map((p) => p.json);

describe("telemetry tasks", () => {
  it("publishes {ts, seq, readings} with the kind's keys and decimals, seq counting up", () => {
    const sensor = new FakeSensor(sht(21.4321, 40.26));
    const { clock, scheduler, payloads, client } = rig([{ name: "sht3x", kind: "SHT3x", sensor, intervalMs: 1000 }]);
    scheduler.start();
    clock.advance(2000);
    expect(of(payloads, "sht3x")).toEqual([1, 2, 3].map((seq) => ({ ts: TS, seq, temperature: 21.43, humidity: 40.3 })));
    expect(client.queuedCount()).toBe(3);
  });

  it("leaves ts out while the device clock is not set", () => {
    const { clock, scheduler, payloads } = rig([{ name: "s", kind: "SHT3x", sensor: new FakeSensor(sht(1, 2)), intervalMs: 1000 }], () => undefined);
    scheduler.start();
    clock.advance(0);
    expect(payloads[0].json).toEqual({ seq: 1, temperature: 1, humidity: 2 });
  });

  it("report-by-exception: publishes when a reading moves more than its deadband since the last published value", () => {
    const sensor = new FakeSensor(sht(20, 40));
    const { clock, scheduler, payloads, telemetry } = rig([
      { name: "s", kind: "SHT3x", sensor, intervalMs: 1000, maxIntervalMs: 60_000, deadband: { temperature: 0.5, humidity: 2 } },
    ]);
    scheduler.start();
    const temperatures = [20, 20.3, 20.45, 20.51, 20.2, 20.0, 19.9, 20.6, 20.6];
    for (const t of temperatures) {
      sensor.values = sht(t, 40);
      clock.advance(t === 20 && clock.now === 0 ? 0 : 1000);
    }
    // 20 (first), 20.51 (moved 0.51 from 20), 20.0 (0.51 from 20.51), 20.6 (0.6 from 20.0); the rest within 0.5
    expect(of(payloads, "s").map((p) => p.temperature)).toEqual([20, 20.51, 20, 20.6]);
    expect(telemetry.tasks[0].suppressed).toBe(5);
    sensor.values = sht(20.6, 42.5); // humidity moves 2.5 > 2
    clock.advance(1000);
    expect(of(payloads, "s").at(-1)).toMatchObject({ humidity: 42.5, seq: 5 });
  });

  it("report-by-exception: publishes at least every max interval when nothing moves", () => {
    const sensor = new FakeSensor(sht(20, 40));
    const { clock, scheduler, payloads } = rig([{ name: "s", kind: "SHT3x", sensor, intervalMs: 1000, maxIntervalMs: 10_000, deadband: { temperature: 0.5, humidity: 2 } }]);
    scheduler.start();
    clock.advance(35_000);
    expect(payloads.map((p) => p.json.seq)).toEqual([1, 2, 3, 4]); // at 0, 10 s, 20 s, 30 s
  });

  it("a reading that goes missing (null) or comes back is a change, whatever the deadband", () => {
    const sensor = new FakeSensor(sht(20, 40));
    const { clock, scheduler, payloads } = rig([{ name: "s", kind: "SHT3x", sensor, intervalMs: 1000, deadband: { temperature: 5, humidity: 5 } }]);
    scheduler.start();
    clock.advance(0);
    sensor.values = { thermometer: { temperature: 20 }, hygrometer: {} } as never; // the SHT3x driver on a bad CRC
    clock.advance(1000);
    clock.advance(1000); // still missing: no change
    sensor.values = sht(20, 40);
    clock.advance(1000);
    expect(payloads.map((p) => p.json.humidity)).toEqual([40, null, 40]);
  });

  it("a failing sensor is counted, reported with its error, retried at its next interval, and the others go on", () => {
    const bad = new FakeSensor(sht(10, 50));
    bad.failure = new Error("I2C read failed");
    const good = new FakeSensor(sht(20, 40));
    const { clock, scheduler, payloads, errors, telemetry } = rig([
      { name: "bad", kind: "SHT3x", sensor: bad, intervalMs: 1000 },
      { name: "good", kind: "SHT3x", sensor: good, intervalMs: 1000 },
    ]);
    scheduler.start();
    clock.advance(2000);
    expect(bad.reads).toBe(3); // retried at each interval
    expect(errors).toEqual(["bad: I2C read failed", "bad: I2C read failed", "bad: I2C read failed"]);
    expect(of(payloads, "good")).toHaveLength(3);
    expect(telemetry.tasks[0].errors).toBe(3);
    bad.failure = null; // it answers again
    clock.advance(1000);
    expect(of(payloads, "bad")).toEqual([{ ts: TS, seq: 1, temperature: 10, humidity: 50 }]);
    expect(of(payloads, "good")).toHaveLength(4);
  });

  it("a sensor that returns nothing, or none of its readings, fails like one that throws", () => {
    const sensor = new FakeSensor(undefined);
    const { clock, scheduler, errors, payloads } = rig([{ name: "s", kind: "BMP280", sensor, intervalMs: 1000 }]);
    scheduler.start();
    clock.advance(0);
    sensor.values = { hygrometer: { humidity: 3 } };
    clock.advance(1000);
    expect(errors).toEqual(["s: no sample", "s: no readings in the sample"]);
    expect(payloads).toHaveLength(0);
  });

  it("an event handler that throws does not stop the other tasks", () => {
    const clock = new FakeClock();
    const client = new MqttClient({ clientId: "unit" });
    client.start(0);
    const bad = new FakeSensor(undefined);
    const good = new FakeSensor(sht(1, 2));
    const telemetry = new Telemetry(client, "devices/u", [
      { name: "bad", kind: "SHT3x", sensor: bad, intervalMs: 1000 },
      { name: "good", kind: "SHT3x", sensor: good, intervalMs: 1000 },
    ], () => undefined, { onSensorError: () => { throw new Error("handler bug"); } });
    const scheduler = new Scheduler(telemetry.tasks, clock.Timer, clock.ticks, { runTask: (i, now) => telemetry.run(i, now), afterTick: () => {} });
    scheduler.start();
    clock.advance(1000);
    expect(scheduler.failures).toBe(2);
    expect(telemetry.tasks[1].seq).toBe(2);
  });

  it("refuses two sensors with one name, and a sensor with neither a kind nor readings", () => {
    const sensor = new FakeSensor(sht(1, 2));
    const client = new MqttClient({ clientId: "unit" });
    expect(() => new Telemetry(client, "devices/u", [{ name: "a", kind: "SHT3x", sensor, intervalMs: 1 }, { name: "a", kind: "SHT3x", sensor, intervalMs: 1 }], () => 0)).toThrow(/two sensors named a/);
    expect(() => new Telemetry(client, "devices/u", [{ name: "a", sensor, intervalMs: 1 }], () => 0)).toThrow(/kind or its readings/);
  });
});
