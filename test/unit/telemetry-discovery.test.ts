// Home Assistant discovery configs: topic, every field HA's MQTT sensor needs, units and device classes
// HA accepts, availability on the status topic, the origin block; and the publisher that resumes when the
// outbox was full.
import { describe, expect, it } from "vitest";
import { MqttClient } from "../../firmware/mqtt/index.js";
import { Discovery, discoveryMessages } from "../../firmware/telemetry/discovery.js";
import { TelemetryTask } from "../../firmware/telemetry/task.js";
import { FakeSensor } from "./telemetry-fakes.js";

const origin = { name: "mqtt-xs", sw: "0.1.0", url: "https://www.npmjs.com/package/mqtt-xs" };
const device = { deviceId: "esp32-devkit-a1b2c3", model: "ESP32-DevKitC", manufacturer: "Espressif", swVersion: "mqtt-xs 0.1.0", origin };
const tasks = [
  new TelemetryTask({ name: "sht3x", kind: "SHT3x", sensor: new FakeSensor(), intervalMs: 1000 }),
  new TelemetryTask({ name: "bmp280", kind: "BMP280", sensor: new FakeSensor(), intervalMs: 1000, qos: 0 }),
];

/** What Home Assistant's MQTT sensor platform needs, and accepts, for each device class. */
const HA_UNITS: Record<string, string[]> = { temperature: ["°C", "°F", "K"], humidity: ["%"], pressure: ["Pa", "hPa", "kPa", "bar", "cbar", "mbar", "mmHg", "inHg", "psi"] };

describe("Home Assistant discovery", () => {
  const messages = discoveryMessages(device, tasks);

  it("one retained config per reading, under homeassistant/sensor/<deviceId>_<sensor>_<quantity>/config", () => {
    expect(messages.map((m) => m.topic)).toEqual([
      "homeassistant/sensor/esp32-devkit-a1b2c3_sht3x_temperature/config",
      "homeassistant/sensor/esp32-devkit-a1b2c3_sht3x_humidity/config",
      "homeassistant/sensor/esp32-devkit-a1b2c3_bmp280_pressure/config",
      "homeassistant/sensor/esp32-devkit-a1b2c3_bmp280_temperature/config",
    ]);
  });

  it("each config has every field HA needs, with units and classes HA accepts", () => {
    for (const { topic, payload } of messages) {
      const config = JSON.parse(payload);
      const id = topic.split("/")[2];
      expect(config.unique_id).toBe(id);
      expect(config.name).toMatch(/^(sht3x|bmp280) (temperature|humidity|pressure)$/);
      expect(config.state_topic).toMatch(/^devices\/esp32-devkit-a1b2c3\/telemetry\/(sht3x|bmp280)$/);
      const key = id.split("_").at(-1);
      expect(config.value_template).toBe(`{{ value_json.${key} }}`);
      expect(config.device_class).toBe(key);
      expect(HA_UNITS[config.device_class]).toContain(config.unit_of_measurement);
      expect(config.state_class).toBe("measurement");
      expect(config.device).toEqual({ identifiers: ["esp32-devkit-a1b2c3"], name: "esp32-devkit-a1b2c3", model: "ESP32-DevKitC", manufacturer: "Espressif", sw_version: "mqtt-xs 0.1.0" });
      expect(config.availability).toEqual([{ topic: "devices/esp32-devkit-a1b2c3/status", payload_available: "online", payload_not_available: "offline" }]);
      expect([0, 1]).toContain(config.qos);
    }
    expect(JSON.parse(messages[1].payload).unit_of_measurement).toBe("%"); // HA's humidity unit, not "%RH"
    expect(JSON.parse(messages[2].payload).unit_of_measurement).toBe("Pa");
  });

  it("every config carries the origin block (HA's `o`: name, sw, url), byte for byte", () => {
    const o = '"o":{"name":"mqtt-xs","sw":"0.1.0","url":"https://www.npmjs.com/package/mqtt-xs"}';
    for (const { payload } of messages) expect(payload).toContain("," + o + ",");
    expect(messages[0].payload).toBe(
      '{"unique_id":"esp32-devkit-a1b2c3_sht3x_temperature","name":"sht3x temperature",' +
        '"device":{"identifiers":["esp32-devkit-a1b2c3"],"name":"esp32-devkit-a1b2c3","model":"ESP32-DevKitC","manufacturer":"Espressif","sw_version":"mqtt-xs 0.1.0"},' +
        o +
        ',"state_topic":"devices/esp32-devkit-a1b2c3/telemetry/sht3x","value_template":"{{ value_json.temperature }}","unit_of_measurement":"°C",' +
        '"device_class":"temperature","state_class":"measurement",' +
        '"availability":[{"topic":"devices/esp32-devkit-a1b2c3/status","payload_available":"online","payload_not_available":"offline"}],"qos":1}',
    );
    // Without a url (or sw) the key is left out, not written empty; without an origin there is no block.
    expect(discoveryMessages({ ...device, origin: { name: "x" } }, tasks)[0].payload).toContain(',"o":{"name":"x"},');
    expect(discoveryMessages({ ...device, origin: undefined }, tasks)[0].payload).not.toContain('"o"');
  });

  it("object ids keep to [a-zA-Z0-9_-]; the prefix is configurable", () => {
    const [first] = discoveryMessages({ ...device, deviceId: "lab.bench 1", prefix: "ha" }, tasks);
    expect(first.topic).toBe("ha/sensor/lab_bench_1_sht3x_temperature/config");
  });

  it("a sensor of another shape gets no unit or class it does not declare", () => {
    const custom = new TelemetryTask({ name: "x", sensor: new FakeSensor(), intervalMs: 1, readings: [{ key: "v", quantity: "q", property: "p", decimals: 0 }] });
    const config = JSON.parse(discoveryMessages(device, [custom])[0].payload);
    expect(config.unit_of_measurement).toBeUndefined();
    expect(config.device_class).toBeUndefined();
    expect(config.value_template).toBe("{{ value_json.v }}");
  });

  it("publishes all of them retained at QoS 1, resuming once acks have made room in a full outbox", () => {
    const client = new MqttClient({ clientId: "d", queueSlots: 2, inflight: 2 });
    client.start(0);
    client.shouldOpen(0);
    client.opened(0);
    const drain = () => {
      for (let n = client.outputLength(); n > 0; n = client.outputLength()) client.written(n, 0);
    };
    drain(); // CONNECT
    client.receive(Uint8Array.of(0x20, 2, 0, 0), 0, 4, 0);
    const discovery = new Discovery(client, () => messages);
    discovery.restart();
    expect(client.stats.queued).toBe(2);
    expect(discovery.flush()).toBe(false); // the outbox is full: waits
    drain();
    client.receive(Uint8Array.of(0x40, 2, 0, 1, 0x40, 2, 0, 2), 0, 8, 0); // PUBACK 1, 2
    expect(discovery.flush()).toBe(true);
    expect(client.stats.queued).toBe(4);
    expect(discovery.flush()).toBe(true); // nothing left until the next connection
    expect(client.stats.queued).toBe(4);
  });

  it("rewind() makes them all due without publishing: the app's birth order decides when flush() sends them", () => {
    const client = new MqttClient({ clientId: "d" });
    const discovery = new Discovery(client, () => messages);
    expect(discovery.due).toBe(false);
    discovery.rewind();
    expect(discovery.due).toBe(true);
    expect(client.stats.queued).toBe(0);
    expect(discovery.flush()).toBe(true);
    expect(client.stats.queued).toBe(4);
    expect(discovery.due).toBe(false);
  });
});
