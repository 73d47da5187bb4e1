// Boards and configuration: boards/*.json become sensor tasks with the defaults filled in; mc/config
// (strings from `mcconfig key=value`) becomes the device config; a sensor that fails to construct is
// retried on the next sample.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RetryingSensor, sensorConfigs, TASK_DEFAULTS, type BoardSpec } from "../../firmware/telemetry/board.js";
import { SENSOR_KINDS } from "../../firmware/telemetry/kinds.js";
import { deviceConfigFrom, flag, type McConfig } from "../../firmware/config.js";
import { FakeSensor, sht } from "./telemetry-fakes.js";

const boards = readdirSync("boards").map((f) => JSON.parse(readFileSync("boards/" + f, "utf8")) as BoardSpec);
const make = () => new FakeSensor(sht(1, 2));

describe("boards", () => {
  it("esp32_devkit and pico_w exist, each complete", () => {
    expect(boards.map((b) => b.name).sort()).toEqual(["esp32_devkit", "pico_w"]);
    for (const board of boards) {
      expect(board.platform).toMatch(/^(esp32|pico\/pico_w)$/);
      expect(board).toMatchObject({ manufacturer: expect.any(String), model: expect.any(String), led: expect.anything() });
      expect(board.i2c).toEqual({ port: expect.any(Number), sda: expect.any(Number), scl: expect.any(Number), hz: expect.any(Number) });
      expect(board.sensors.length).toBeGreaterThan(0);
      for (const s of board.sensors) {
        expect(Object.keys(SENSOR_KINDS)).toContain(s.driver);
        expect(s.address).toBeGreaterThan(0x07);
        expect(s.address).toBeLessThan(0x78); // 7-bit, not reserved
        for (const key of Object.keys(s.deadband ?? {})) expect(SENSOR_KINDS[s.driver].readings.map((r) => r.key)).toContain(key);
      }
    }
  });

  it("client buffers fit the board's RAM: the Pico W (264 KB) gets less than the ESP32 (520 KB)", () => {
    const esp32 = boards.find((b) => b.name === "esp32_devkit")!;
    const pico = boards.find((b) => b.name === "pico_w")!;
    const bytes = (b: BoardSpec) => (b.client.receiveBufferSize ?? 0) + (b.client.transmitBufferSize ?? 0) + (b.payloadSize ?? 0);
    expect(bytes(pico)).toBeLessThan(bytes(esp32));
    expect(bytes(pico)).toBeLessThanOrEqual(8 * 1024); // a few % of the RP2040's RAM
    expect(bytes(esp32)).toBeLessThanOrEqual(16 * 1024);
  });

  it("sensor specs become tasks in ms, with the defaults where the board says nothing", () => {
    const board = structuredClone(boards.find((b) => b.name === "esp32_devkit")!);
    board.sensors.push({ name: "bare", driver: "BMP280", address: 0x77 });
    const tasks = sensorConfigs(board, make);
    expect(tasks[0]).toMatchObject({ name: "sht3x", kind: "SHT3x", intervalMs: 10_000, maxIntervalMs: 300_000, deadband: { temperature: 0.05, humidity: 0.2 }, qos: 1, retain: false });
    expect(tasks[2]).toMatchObject({ name: "bare", intervalMs: TASK_DEFAULTS.interval * 1000, maxIntervalMs: 0, deadband: undefined, qos: TASK_DEFAULTS.qos, retain: false });
    expect(sensorConfigs(board, make, 2).map((t) => t.intervalMs)).toEqual([2000, 2000, 2000]);
    board.sensors[0].driver = "DHT22" as never;
    expect(() => sensorConfigs(board, make)).toThrow(/unknown sensor driver "DHT22"/);
  });

  it("a sensor that fails to construct is tried again at each sample until it answers", () => {
    let attempts = 0;
    const sensor = new RetryingSensor(() => {
      if (++attempts < 3) throw new Error("unexpected sensor");
      return make();
    });
    expect(() => sensor.sample()).toThrow("unexpected sensor");
    expect(() => sensor.sample()).toThrow("unexpected sensor");
    expect(sensor.sample()).toEqual(sht(1, 2));
    sensor.sample();
    expect(attempts).toBe(3);
  });
});

describe("mc/config", () => {
  const base: McConfig = {
    board: boards[0], deviceId: "dev-1", broker: "broker.local", port: "1883", tls: "false",
    mqttUsername: "", mqttPassword: "", discovery: "true", discoveryPrefix: "homeassistant", interval: "0", dns: "1.1.1.1",
  };

  it("strings from mcconfig key=value become the device config", () => {
    const config = deviceConfigFrom({ ...base, port: "8884", tls: "true", mqttUsername: "u", mqttPassword: "p", interval: "5" }, make, () => undefined);
    expect(config.broker).toEqual({ host: "broker.local", port: 8884, tls: true });
    expect([config.username, config.password]).toEqual(["u", "p"]);
    expect(config.sensors.every((s) => s.intervalMs === 5000)).toBe(true);
    expect(config.discovery).toEqual({ prefix: "homeassistant" });
    expect(config.client).toBe(base.board.client);
  });

  it("defaults: port from tls, no credentials, discovery on; discovery=false turns it off", () => {
    const config = deviceConfigFrom({ ...base, port: "", tls: true }, make, () => undefined);
    expect(config.broker.port).toBe(8883);
    expect(config.username).toBeUndefined();
    expect(deviceConfigFrom({ ...base, discovery: "false" }, make, () => undefined).discovery).toBe(false);
    expect(deviceConfigFrom({ ...base, discovery: false }, make, () => undefined).discovery).toBe(false);
  });

  it("an empty deviceId or broker fails at boot with the key to set", () => {
    expect(() => deviceConfigFrom({ ...base, deviceId: "" }, make, () => undefined)).toThrow(/deviceId=/);
    expect(() => deviceConfigFrom({ ...base, broker: "" }, make, () => undefined)).toThrow(/broker=/);
  });

  it("flag() reads booleans as mcconfig passes them", () => {
    expect(["true", "1", "yes", true, 1].map((v) => flag(v, false))).toEqual([true, true, true, true, true]);
    expect(["false", "0", "no", "off", false, 0].map((v) => flag(v, true))).toEqual([false, false, false, false, false, false]);
    expect([flag(undefined, true), flag("", false)]).toEqual([true, false]);
  });
});
