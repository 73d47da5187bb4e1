// Commands (interval, sample, config) and their results, on a scheduler with a fake timer.
import { describe, expect, it } from "vitest";
import { MqttClient } from "../../firmware/mqtt/index.js";
import { runCommand } from "../../firmware/telemetry/commands.js";
import { Scheduler } from "../../firmware/telemetry/scheduler.js";
import { Telemetry } from "../../firmware/telemetry/telemetry.js";
import { FakeClock, FakeSensor, sht } from "./telemetry-fakes.js";

function rig() {
  const clock = new FakeClock();
  const client = new MqttClient({ clientId: "unit", queueSlots: 256, transmitBufferSize: 65_536 });
  client.start(0);
  const telemetry = new Telemetry(client, "devices/u", [
    { name: "sht3x", kind: "SHT3x", sensor: new FakeSensor(sht(20, 40)), intervalMs: 10_000, deadband: { temperature: 5, humidity: 5 }, maxIntervalMs: 300_000 },
    { name: "bmp280", kind: "BMP280", sensor: new FakeSensor({ barometer: { pressure: 101_325 }, thermometer: { temperature: 20 } }), intervalMs: 30_000 },
  ], () => undefined);
  const scheduler = new Scheduler(telemetry.tasks, clock.Timer, clock.ticks, { runTask: (i, now) => telemetry.run(i, now), afterTick: () => {} });
  scheduler.start();
  clock.advance(0);
  const target = { telemetry, scheduler, report: () => ({ deviceId: "u" }) };
  return { clock, telemetry, target };
}

describe("commands", () => {
  it("interval: sets one sensor's interval and the sampling rate follows", () => {
    const { clock, telemetry, target } = rig();
    expect(runCommand("interval", '{"sensor":"sht3x","seconds":2,"id":7}', target)).toEqual({ cmd: "interval", ok: true, id: 7, sensors: ["sht3x"], seconds: 2 });
    clock.advance(10_000);
    expect(telemetry.tasks[0].samples).toBe(6); // 0, then every 2 s
    expect(telemetry.tasks[1].samples).toBe(1);
  });

  it("interval without a sensor sets them all; maxSeconds sets the report-by-exception ceiling", () => {
    const { telemetry, target } = rig();
    expect(runCommand("interval", '{"seconds":0.5,"maxSeconds":60}', target)).toMatchObject({ ok: true, sensors: ["sht3x", "bmp280"] });
    expect(telemetry.tasks.map((t) => [t.intervalMs, t.maxIntervalMs])).toEqual([[500, 60_000], [500, 60_000]]);
  });

  it("interval refuses a bad payload, an unknown sensor and an out-of-range interval, changing nothing", () => {
    const { telemetry, target } = rig();
    expect(runCommand("interval", "{nope", target)).toEqual({ cmd: "interval", ok: false, error: "payload is not valid JSON" });
    expect(runCommand("interval", "[1]", target)).toMatchObject({ ok: false, error: "payload must be a JSON object" });
    expect(runCommand("interval", '{"sensor":"dht22","seconds":5}', target)).toMatchObject({ ok: false, error: 'unknown sensor "dht22": one of sht3x, bmp280' });
    expect(runCommand("interval", '{"seconds":0}', target)).toMatchObject({ ok: false, error: "seconds must be a number from 0.01 to 86400" });
    expect(runCommand("interval", '{"seconds":"5"}', target)).toMatchObject({ ok: false });
    expect(runCommand("interval", '{"seconds":5,"maxSeconds":-1}', target)).toMatchObject({ ok: false });
    expect(telemetry.tasks.map((t) => t.intervalMs)).toEqual([10_000, 30_000]);
  });

  it("sample: samples now and publishes whatever the deadband says", () => {
    const { clock, telemetry, target } = rig();
    clock.advance(1000);
    expect(runCommand("sample", '{"sensor":"sht3x"}', target)).toEqual({ cmd: "sample", ok: true, sensors: ["sht3x"] });
    expect(telemetry.tasks[0].samples).toBe(1); // not inside the command: at the next timer callback
    clock.advance(0);
    expect(telemetry.tasks[0].samples).toBe(2);
    expect(telemetry.tasks[0].seq).toBe(2); // published although nothing moved
    expect(runCommand("sample", "", target)).toMatchObject({ ok: true, sensors: ["sht3x", "bmp280"] });
    clock.advance(0);
    expect(telemetry.tasks.map((t) => t.seq)).toEqual([3, 2]);
  });

  it("config: the report; unknown commands are refused", () => {
    const { target } = rig();
    expect(runCommand("config", "", target)).toEqual({ cmd: "config", ok: true, deviceId: "u" });
    expect(runCommand("reboot", "", target)).toEqual({ cmd: "reboot", ok: false, error: "unknown command: one of interval, sample, config" });
  });
});
