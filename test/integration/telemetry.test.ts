// The whole device app against Debian's mosquitto: firmware/main.ts itself, its device modules
// (embedded:io/socket/tcp, timer, time, mc/config, the sensor drivers...) resolved to host-sim's Node
// implementations and simulated sensors, on a simulated network; MQTT.js subscribes as a user would.
// Without mosquitto: skipped loudly, or failed under CI (as mosquitto.test.ts).
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { VERSION, type Device, type DeviceEvents } from "../../firmware/app.js";
import type { BoardSpec } from "../../firmware/telemetry/board.js";
import type { CommandResult } from "../../firmware/telemetry/commands.js";
import { loadBoard } from "../../host-sim/boards.js";
import { runOnNetwork, SimNetwork } from "../../host-sim/network.js";
import { Mosquitto, mosquittoAvailable } from "./mosquitto.js";
import { sleep, waitFor } from "./sim.js";

/** What mc/config holds for the next main() (the manifest's config plus key=value overrides), and sensor faults. */
const state = vi.hoisted(() => ({ config: {} as Record<string, unknown>, failEvery: 0 }));

vi.mock("mc/config", () => ({ default: state.config }));
vi.mock("embedded:io/socket/tcp", async () => ({ default: (await import("../../host-sim/device/tcp.js")).default }));
vi.mock("embedded:io/socket/tcp/tls", async () => ({ default: (await import("../../host-sim/device/tls.js")).default }));
vi.mock("embedded:io/socket/udp", async () => ({ default: (await import("../../host-sim/device/udp.js")).default }));
vi.mock("embedded:network/dns/resolver/udp", async () => ({ default: (await import("../../host-sim/device/dns.js")).default }));
vi.mock("timer", async () => ({ default: (await import("../../host-sim/device/timer.js")).default }));
vi.mock("time", async () => ({ default: (await import("../../host-sim/device/time.js")).default }));
vi.mock("Resource", async () => ({ default: (await import("../../host-sim/device/resource.js")).default }));
vi.mock("embedded:io/i2c", async () => ({ default: (await import("../../firmware/telemetry/sim/i2c.js")).default }));
// The simulator's sensors, with the drivers' constructor ({sensor: {io, address, ...}}).
vi.mock("embedded:sensor/Humidity-Temperature/SHT3x", async () => {
  const { SimSHT3x } = await import("../../host-sim/sensors.js");
  return { default: class extends SimSHT3x { constructor(o: { sensor: { address: number } }) { super({ seed: o.sensor.address, failEvery: state.failEvery }); } } };
});
vi.mock("embedded:sensor/Barometer-Temperature/BMP280", async () => {
  const { SimBMP280 } = await import("../../host-sim/sensors.js");
  return { default: class extends SimBMP280 { constructor(o: { sensor: { address: number } }) { super({ seed: o.sensor.address }); } } };
});

const { default: main } = await import("../../firmware/main.js");
const available = mosquittoAvailable();

interface Received {
  topic: string;
  text: string;
  retain: boolean;
  at: number;
}

/** An MQTT.js subscriber recording everything on `filters`. */
async function subscriber(url: string, filters: string[]): Promise<{ client: MqttClient; got: Received[] }> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const got: Received[] = [];
  client.on("message", (topic, payload, packet) => got.push({ topic, text: payload.toString(), retain: packet.retain, at: Date.now() }));
  await client.subscribeAsync(filters, { qos: 1 });
  return { client, got };
}

/** The board with its sensors' deadbands taken out: every sample published, so rates can be measured. */
function everySample(board: BoardSpec): BoardSpec {
  const copy = structuredClone(board);
  for (const s of copy.sensors) delete s.deadband;
  return copy;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spacings = (ms: number[]) => ms.slice(1).map((t, i) => t - ms[i]);

describe.skipIf(!available)("the device app (firmware/main.ts) in the simulator, with mosquitto", () => {
  let broker: Mosquitto;
  const running: Device[] = [];
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    for (const device of running) device.stop();
    await sleep(100);
    await broker?.close();
  });

  /** Boots firmware/main.ts as a board would, with this mc/config, on its own simulated network. */
  function boot(deviceId: string, board: BoardSpec, extra: Record<string, unknown> = {}, events: DeviceEvents = {}): { device: Device; network: SimNetwork } {
    Object.assign(state.config, {
      board, deviceId, broker: "127.0.0.1", port: String(broker.port), tls: "false", mqttUsername: "", mqttPassword: "",
      discovery: "true", discoveryPrefix: "homeassistant", interval: "0", dns: "1.1.1.1", ...extra,
    });
    const network = new SimNetwork({ name: deviceId });
    const device = runOnNetwork(network, () => main(events));
    running.push(device);
    return { device, network };
  }

  it("publishes telemetry an MQTT.js subscriber receives and parses: values in the sensors' range, seq increasing, ts from the clock", async () => {
    const { client, got } = await subscriber(broker.url, ["devices/tele-1/#"]);
    const { device } = boot("tele-1", loadBoard("esp32_devkit") as unknown as BoardSpec, { interval: "0.1" });
    const telemetry = (sensor: string) => got.filter((m) => m.topic === `devices/tele-1/telemetry/${sensor}`).map((m) => JSON.parse(m.text));
    await waitFor(() => telemetry("sht3x").length >= 8 && telemetry("bmp280").length >= 8, 20_000, "8 messages from each sensor");
    device.stop();
    const now = Date.now();
    for (const t of telemetry("sht3x")) {
      expect(Object.keys(t)).toEqual(["ts", "seq", "temperature", "humidity"]);
      expect(t.temperature).toBeGreaterThanOrEqual(15);
      expect(t.temperature).toBeLessThanOrEqual(30);
      expect(t.humidity).toBeGreaterThanOrEqual(20);
      expect(t.humidity).toBeLessThanOrEqual(70);
      expect(Math.abs(now - t.ts)).toBeLessThan(60_000);
    }
    for (const t of telemetry("bmp280")) {
      expect(Object.keys(t)).toEqual(["ts", "seq", "pressure", "temperature"]);
      expect(t.pressure).toBeGreaterThanOrEqual(98_000);
      expect(t.pressure).toBeLessThanOrEqual(104_000);
      expect(Number.isInteger(t.pressure)).toBe(true); // Pa, 0 decimals
    }
    for (const sensor of ["sht3x", "bmp280"]) {
      const seqs = telemetry(sensor).map((t) => t.seq);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i)); // increasing by one: none lost at QoS 1
    }
    for (const sensor of ["sht3x", "bmp280"]) {
      const last = got.filter((m) => m.topic.endsWith("/" + sensor)).at(-1)!;
      console.log("telemetry as MQTT.js received it:", last.topic, last.text);
    }
    await client.endAsync();
  });

  it("the status topic reads online (retained) while it runs, and offline after the device is killed", async () => {
    const { device, network } = boot("tele-kill", loadBoard("pico_w") as unknown as BoardSpec);
    await waitFor(() => device.client.stats.connects === 1, 5000, "connected");
    await sleep(200);
    const { client, got } = await subscriber(broker.url, ["devices/tele-kill/status"]);
    await waitFor(() => got.length === 1, 5000, "the retained status");
    expect(got[0]).toMatchObject({ text: "online", retain: true });
    // Killed: the link goes and never comes back, so mosquitto publishes the will.
    network.wifiDown();
    network.drop();
    await waitFor(() => got.length === 2, 10_000, "the will");
    expect(got[1].text).toBe("offline");
    const late = await subscriber(broker.url, ["devices/tele-kill/status"]);
    await waitFor(() => late.got.length === 1, 5000, "the retained will");
    expect(late.got[0]).toMatchObject({ text: "offline", retain: true });
    await Promise.all([client.endAsync(), late.client.endAsync()]);
  });

  it("a command changes an interval and the rate follows; results come back on cmd-result", async () => {
    const results: CommandResult[] = [];
    const { client, got } = await subscriber(broker.url, ["devices/tele-rate/telemetry/+", "devices/tele-rate/cmd-result"]);
    boot("tele-rate", everySample(loadBoard("esp32_devkit") as unknown as BoardSpec), { interval: "1" }, { onCommand: (r) => results.push(r) });
    const times = (sensor: string, from: number) => got.filter((m) => m.topic.endsWith("/" + sensor) && m.at >= from).map((m) => m.at);
    const start = Date.now();
    await waitFor(() => times("sht3x", start).length >= 5, 10_000, "5 samples at 1 s");
    const before = median(spacings(times("sht3x", start)));
    await client.publishAsync("devices/tele-rate/cmd/interval", JSON.stringify({ sensor: "sht3x", seconds: 0.2, id: "r1" }), { qos: 1 });
    await waitFor(() => got.some((m) => m.topic.endsWith("/cmd-result")), 5000, "the result");
    const result = JSON.parse(got.find((m) => m.topic.endsWith("/cmd-result"))!.text);
    expect(result).toEqual({ cmd: "interval", ok: true, id: "r1", sensors: ["sht3x"], seconds: 0.2 });
    const changed = Date.now() + 300;
    await waitFor(() => times("sht3x", changed).length >= 11, 10_000, "11 samples at 0.2 s");
    const after = median(spacings(times("sht3x", changed)));
    const other = median(spacings(times("bmp280", start)));
    console.log(`interval command: sht3x message spacing ${before} ms before, ${after} ms after; bmp280 ${other} ms throughout`);
    expect(before).toBeGreaterThanOrEqual(900);
    expect(before).toBeLessThanOrEqual(1100);
    expect(after).toBeGreaterThanOrEqual(150);
    expect(after).toBeLessThanOrEqual(260);
    expect(other).toBeGreaterThanOrEqual(900);
    expect(results.map((r) => r.cmd)).toEqual(["interval"]);
    await client.endAsync();
  });

  it("sample and config commands: a sample now; sensor errors counted in the config report, the other sensor unaffected", async () => {
    state.failEvery = 3; // every third SHT3x read throws, as a disconnected sensor does
    const errors: string[] = [];
    const { client, got } = await subscriber(broker.url, ["devices/tele-cmd/#"]);
    boot("tele-cmd", everySample(loadBoard("esp32_devkit") as unknown as BoardSpec), { interval: "0.2" }, { onSensorError: (sensor, message) => errors.push(`${sensor}: ${message}`) });
    await waitFor(() => errors.length >= 2, 10_000, "two sensor errors");
    state.failEvery = 0; // (read when the driver is made: at the first sample)
    await client.publishAsync("devices/tele-cmd/cmd/interval", JSON.stringify({ seconds: 3600 }), { qos: 1 });
    await sleep(300);
    const count = got.filter((m) => m.topic.endsWith("/telemetry/bmp280")).length;
    await client.publishAsync("devices/tele-cmd/cmd/sample", JSON.stringify({ sensor: "bmp280" }), { qos: 1 });
    await waitFor(() => got.filter((m) => m.topic.endsWith("/telemetry/bmp280")).length === count + 1, 5000, "the sample now");
    await client.publishAsync("devices/tele-cmd/cmd/config", "", { qos: 1 });
    await client.publishAsync("devices/tele-cmd/cmd/reboot", "", { qos: 1 });
    await waitFor(() => got.filter((m) => m.topic.endsWith("/cmd-result")).length === 4, 5000, "four results");
    const results = got.filter((m) => m.topic.endsWith("/cmd-result")).map((m) => JSON.parse(m.text));
    expect(results.map((r) => [r.cmd, r.ok])).toEqual([["interval", true], ["sample", true], ["config", true], ["reboot", false]]);
    const report = results[2];
    expect(report).toMatchObject({ deviceId: "tele-cmd", board: "esp32_devkit", discovery: true });
    const [sht3x, bmp280] = report.sensors;
    expect(sht3x).toMatchObject({ name: "sht3x", kind: "SHT3x", interval: 3600, lastError: "I2C read failed (simulated)" });
    expect(sht3x.errors).toBeGreaterThanOrEqual(2);
    expect(sht3x.published).toBeGreaterThan(0); // it kept publishing between failures
    expect(bmp280).toMatchObject({ name: "bmp280", errors: 0, lastError: null });
    expect(errors[0]).toBe("sht3x: I2C read failed (simulated)");
    await client.endAsync();
  });

  it("Home Assistant discovery: one retained config per reading, with every field HA requires, pointing at real telemetry", async () => {
    const { device } = boot("tele-ha", loadBoard("esp32_devkit") as unknown as BoardSpec, { interval: "0.2" });
    await waitFor(() => device.client.stats.connects === 1 && device.client.queuedCount() === 0, 5000, "connected and flushed");
    await sleep(500);
    const { client, got } = await subscriber(broker.url, ["homeassistant/sensor/+/config", "devices/tele-ha/#"]);
    const ours = () => got.filter((m) => m.topic.startsWith("homeassistant/sensor/tele-ha_"));
    await waitFor(() => ours().length === 4 && got.filter((m) => m.topic.includes("/telemetry/")).length >= 4, 10_000, "4 configs and telemetry");
    const configs = ours();
    expect(configs.map((m) => m.topic).sort()).toEqual(
      ["bmp280_pressure", "bmp280_temperature", "sht3x_humidity", "sht3x_temperature"].map((q) => `homeassistant/sensor/tele-ha_${q}/config`),
    );
    for (const message of configs) {
      expect(message.retain).toBe(true);
      const config = JSON.parse(message.text);
      // Required by HA's MQTT sensor (state_topic), its entity registry (unique_id) and device registry (device.identifiers).
      for (const field of ["unique_id", "name", "state_topic", "value_template", "unit_of_measurement", "device_class", "availability", "device"]) expect(config).toHaveProperty(field);
      expect(config.device).toMatchObject({ identifiers: ["tele-ha"], name: "tele-ha", model: "ESP32-DevKitC", manufacturer: "Espressif" });
      expect(config.availability).toEqual([{ topic: "devices/tele-ha/status", payload_available: "online", payload_not_available: "offline" }]);
      // The value template names a key the state topic's JSON really has, and the status it watches is there.
      const key = /^\{\{ value_json\.(\w+) \}\}$/.exec(config.value_template)![1];
      const state = got.find((m) => m.topic === config.state_topic);
      expect(state, config.state_topic).toBeDefined();
      expect(typeof JSON.parse(state!.text)[key]).toBe("number");
    }
    expect(got.find((m) => m.topic === "devices/tele-ha/status")?.text).toBe("online");
    console.log("discovery config as MQTT.js received it:", configs[0].topic, configs[0].text);
    await client.endAsync();
  });

  it("after an outage, the retained online status and every discovery config reach a subscriber before the telemetry sampled offline, and every sample arrives", async () => {
    const id = "tele-birth";
    const { client, got } = await subscriber(broker.url, [`devices/${id}/#`, "homeassistant/sensor/+/config"]);
    const seqAtLoss: Record<string, number> = {};
    let tasks: { name: string; seq: number }[] = [];
    const { device, network } = boot(id, everySample(loadBoard("esp32_devkit") as unknown as BoardSpec), { interval: "0.1" }, {
      // What the tasks had written when the client learnt the link was gone: later seqs were sampled offline.
      onDisconnected: () => {
        for (const task of tasks) seqAtLoss[task.name] ??= task.seq;
      },
    });
    tasks = device.telemetry.tasks;
    const telemetry = (sensor: string) => got.filter((m) => m.topic === `devices/${id}/telemetry/${sensor}`);
    await waitFor(() => telemetry("sht3x").length >= 5 && telemetry("bmp280").length >= 5, 10_000, "telemetry before the outage");
    // The outage: Wi-Fi goes and the connection is reset (mosquitto publishes the will); samples go on.
    network.wifiDown();
    network.drop();
    await waitFor(() => got.some((m) => m.topic === `devices/${id}/status` && m.text === "offline"), 10_000, "the will");
    await waitFor(() => device.telemetry.tasks.every((t) => seqAtLoss[t.name] !== undefined && t.seq >= seqAtLoss[t.name] + 15), 10_000, "15 samples each while offline");
    const willAt = got.findIndex((m) => m.topic === `devices/${id}/status` && m.text === "offline");
    network.wifiUp();
    await waitFor(() => device.client.stats.connects === 2, 20_000, "the reconnect");
    const last = Object.fromEntries(device.telemetry.tasks.map((t) => [t.name, t.seq]));
    const seqs = (sensor: string) => new Set(telemetry(sensor).map((m) => JSON.parse(m.text).seq as number));
    await waitFor(() => ["sht3x", "bmp280"].every((s) => [...seqs(s)].some((q) => q > last[s])), 10_000, "telemetry after the reconnect");
    device.stop();
    await sleep(300);

    const after = got.slice(willAt + 1);
    const order = after.map((m) => (m.topic.endsWith("/status") ? "status " + m.text : m.topic.startsWith(`homeassistant/sensor/${id}_`) ? "config" : m.topic.endsWith("/telemetry/sht3x") || m.topic.endsWith("/telemetry/bmp280") ? "telemetry" : m.topic));
    const online = after.findIndex((m) => m.topic === `devices/${id}/status` && m.text === "online");
    const configs = after.flatMap((m, i) => (m.topic.startsWith(`homeassistant/sensor/${id}_`) ? [i] : []));
    const sampledOffline = after.findIndex((m) => {
      const sensor = m.topic.split("/").at(-1)!;
      return m.topic.includes("/telemetry/") && JSON.parse(m.text).seq > seqAtLoss[sensor];
    });
    console.log(`after the will: ${order.slice(0, 12).join(", ")}, ... (${after.length} messages; offline samples from seq ${JSON.stringify(seqAtLoss)} to ${JSON.stringify(last)})`);
    expect(online, "online after the outage").toBeGreaterThanOrEqual(0);
    expect(configs, "4 discovery configs after the outage").toHaveLength(4);
    expect(sampledOffline, "telemetry sampled offline").toBeGreaterThanOrEqual(0);
    expect(online).toBeLessThan(sampledOffline);
    for (const at of configs) expect(at).toBeLessThan(sampledOffline);
    // Nothing lost: every seq from 1 to the last one sent, for each sensor (a message resent with DUP may come twice).
    for (const sensor of ["sht3x", "bmp280"]) {
      const top = device.telemetry.tasks.find((t) => t.name === sensor)!.seq;
      const missing = Array.from({ length: top }, (_, i) => i + 1).filter((q) => !seqs(sensor).has(q));
      expect(missing, `${sensor} seqs missing of 1..${top}`).toEqual([]);
    }
    await client.endAsync();
  });

  it("Home Assistant's birth message (homeassistant/status online) brings the discovery configs again; offline does nothing", async () => {
    const id = "tele-hass";
    const { device } = boot(id, loadBoard("esp32_devkit") as unknown as BoardSpec);
    const { client, got } = await subscriber(broker.url, ["homeassistant/sensor/+/config"]);
    const configs = () => got.filter((m) => m.topic.startsWith(`homeassistant/sensor/${id}_`));
    await waitFor(() => configs().length === 4, 5000, "the 4 configs of the connect");
    await waitFor(() => device.client.queuedCount() === 0, 5000, "the device's outbox empty");
    await sleep(300);
    expect(configs()).toHaveLength(4);
    await client.publishAsync("homeassistant/status", "online", { qos: 0 });
    await waitFor(() => configs().length === 8, 5000, "the 4 configs again");
    await sleep(300);
    expect(configs().slice(4).map((m) => m.topic).sort()).toEqual(configs().slice(0, 4).map((m) => m.topic).sort());
    for (const m of configs()) expect(JSON.parse(m.text).o).toEqual({ name: "mqtt-xs", sw: VERSION });
    await client.publishAsync("homeassistant/status", "offline", { qos: 0 });
    await sleep(1000);
    expect(configs()).toHaveLength(8);
    expect(device.client.stats.connects).toBe(1);
    await client.endAsync();
  });

  it("discovery=false publishes no discovery config", async () => {
    const { device } = boot("tele-noha", loadBoard("pico_w") as unknown as BoardSpec, { discovery: "false" });
    const { client, got } = await subscriber(broker.url, ["homeassistant/sensor/+/config", "devices/tele-noha/status"]);
    await waitFor(() => got.some((m) => m.text === "online"), 5000, "online");
    await sleep(500);
    expect(device.discovery).toBeNull();
    expect(got.filter((m) => m.topic.startsWith("homeassistant/sensor/tele-noha_"))).toEqual([]);
    expect(got.filter((m) => m.topic.startsWith("homeassistant/sensor/tele-1_"))).toHaveLength(4); // the others' are there
    await client.endAsync();
  });
});
