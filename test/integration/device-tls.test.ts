// The device app's TLS from its manifest config: firmware/main.ts itself, with mc/config's tls "true" and
// `ca`, `cert`, `key` naming resources (DER files made by openssl here), loaded through the `Resource`
// module as on a device: host-sim's, reading a resources directory this test sets. Against Debian's
// mosquitto with require_certificate true; an independent MQTT.js subscriber on mosquitto's plain listener
// receives the telemetry. And: the Resource module's SDK semantics (a missing resource throws
// URIError "Resource not found: <name>"), and what main() says for a resource the build lacks.
// Without mosquitto: the broker tests are skipped loudly, or fail under CI (as mosquitto.test.ts).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Device, DeviceEvents } from "../../firmware/app.js";
import { DisconnectReason, TransportCause } from "../../firmware/mqtt/client/errors.js";
import type { BoardSpec } from "../../firmware/telemetry/board.js";
import { loadBoard } from "../../host-sim/boards.js";
import { deviceModules } from "../../host-sim/device/index.js";
import Resource, { resourceDirectory, setResourceDirectory } from "../../host-sim/device/resource.js";
import { runOnNetwork, SimNetwork } from "../../host-sim/network.js";
import { makeCertificates, Mosquitto, mosquittoAvailable, type Certificates } from "./mosquitto.js";
import { sleep, waitFor } from "./sim.js";

/** What mc/config holds for the next main() (the manifest's config plus key=value overrides). */
const state = vi.hoisted(() => ({ config: {} as Record<string, unknown> }));

vi.mock("mc/config", () => ({ default: state.config }));
vi.mock("Resource", async () => ({ default: (await import("../../host-sim/device/resource.js")).default }));
vi.mock("embedded:io/socket/tcp", async () => ({ default: (await import("../../host-sim/device/tcp.js")).default }));
vi.mock("embedded:io/socket/tcp/tls", async () => ({ default: (await import("../../host-sim/device/tls.js")).default }));
vi.mock("embedded:io/socket/udp", async () => ({ default: (await import("../../host-sim/device/udp.js")).default }));
vi.mock("embedded:network/dns/resolver/udp", async () => ({ default: (await import("../../host-sim/device/dns.js")).default }));
vi.mock("timer", async () => ({ default: (await import("../../host-sim/device/timer.js")).default }));
vi.mock("time", async () => ({ default: (await import("../../host-sim/device/time.js")).default }));
vi.mock("embedded:io/i2c", async () => ({ default: (await import("../../firmware/telemetry/sim/i2c.js")).default }));
vi.mock("embedded:sensor/Humidity-Temperature/SHT3x", async () => {
  const { SimSHT3x } = await import("../../host-sim/sensors.js");
  return { default: class extends SimSHT3x { constructor(o: { sensor: { address: number } }) { super({ seed: o.sensor.address }); } } };
});
vi.mock("embedded:sensor/Barometer-Temperature/BMP280", async () => {
  const { SimBMP280 } = await import("../../host-sim/sensors.js");
  return { default: class extends SimBMP280 { constructor(o: { sensor: { address: number } }) { super({ seed: o.sensor.address }); } } };
});

const { default: main } = await import("../../firmware/main.js");
const available = mosquittoAvailable();

/** A resources directory: what the manifest's "resources" would put in a build, by file name. */
const dir = mkdtempSync(join(tmpdir(), "mqtt-xs-device-tls-"));
const resources = join(dir, "resources");
mkdirSync(resources);
afterAll(() => {
  setResourceDirectory(undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** The manifest's config, as manifest_common.json declares it, with this test's values. */
function configFor(deviceId: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    board: loadBoard("esp32_devkit") as unknown as BoardSpec, deviceId, broker: "127.0.0.1", port: "1883", tls: "false",
    mqttUsername: "", mqttPassword: "", discovery: "false", discoveryPrefix: "homeassistant", interval: "0.1", dns: "1.1.1.1",
    ca: "", cert: "", key: "", alpn: "", serverName: "", ...extra,
  };
}

/** Replaces mc/config's contents (a module's default export: the same object main.ts reads). */
function setConfig(config: Record<string, unknown>): void {
  for (const k of Object.keys(state.config)) delete state.config[k];
  Object.assign(state.config, config);
}

describe("host-sim's Resource: the SDK's semantics over a resources directory", () => {
  beforeAll(() => {
    writeFileSync(join(resources, "blob.bin"), Uint8Array.from([0x30, 1, 2, 3, 4, 5]));
    setResourceDirectory(resources);
  });

  it("is what host-sim maps the name Resource to", () => {
    expect(deviceModules.Resource).toMatch(/host-sim\/device\/resource\.(ts|js)$/);
    expect(resourceDirectory()).toBe(resources);
  });

  it("new Resource(name) holds the file's bytes; byteLength; a Uint8Array views it; exists()", () => {
    const r = new Resource("blob.bin");
    expect(r.byteLength).toBe(6);
    expect([...new Uint8Array(r)]).toEqual([0x30, 1, 2, 3, 4, 5]);
    expect(r).toBeInstanceOf(ArrayBuffer); // Node has no host buffers: the DER checks and the TLS socket take it as bytes
    expect(Resource.exists("blob.bin")).toBe(true);
    expect(Resource.exists("nope.der")).toBe(false);
  });

  it("slice(begin, end) copies as Resource_slice does: a negative begin is 0, end clamped; copy false views", () => {
    const r = new Resource("blob.bin");
    const part = r.slice(1, 3);
    expect(part.constructor).toBe(ArrayBuffer);
    expect([...new Uint8Array(part)]).toEqual([1, 2]);
    expect([...new Uint8Array(r.slice(-2))]).toEqual([0x30, 1, 2, 3, 4, 5]);
    expect([...new Uint8Array(r.slice(4, 100))]).toEqual([4, 5]);
    expect(r.slice(4, 2).byteLength).toBe(0);
    const view = r.slice(2, 4, false) as Uint8Array;
    expect(view.buffer).toBe(r);
    expect([...view]).toEqual([2, 3]);
  });

  it('a missing resource throws URIError("Resource not found: <name>"); so do names outside the directory, and every name with none set', () => {
    expect(() => new Resource("nope.der")).toThrow(URIError);
    expect(() => new Resource("nope.der")).toThrow("Resource not found: nope.der");
    writeFileSync(join(dir, "outside.bin"), Uint8Array.from([0x30, 0]));
    expect(() => new Resource("../outside.bin")).toThrow("Resource not found: ../outside.bin");
    expect(Resource.exists("../outside.bin")).toBe(false);
    expect(() => new Resource(join(dir, "outside.bin"))).toThrow(/Resource not found/);
    expect(() => new Resource(".")).toThrow("Resource not found: ."); // the directory itself is no resource
    expect(() => new Resource("")).toThrow("Resource not found: ");
    setResourceDirectory(undefined);
    try {
      expect(() => new Resource("blob.bin")).toThrow("Resource not found: blob.bin");
      expect(Resource.exists("blob.bin")).toBe(false);
    } finally {
      setResourceDirectory(resources);
    }
  });
});

describe("firmware/main.ts: a TLS resource the config names and the build lacks", () => {
  beforeAll(() => setResourceDirectory(resources));

  it("main() throws a TypeError naming the key, the resource and the fix (the SDK's URIError inside)", () => {
    setConfig(configFor("missing-1", { tls: "true", port: "8883", cert: "device.der", key: "device-key.der" }));
    let thrown: unknown;
    try {
      main({});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as Error).message).toBe(
      'mc/config: cert names the resource "device.der", which is not in the build (Resource not found: device.der): ' +
        'list its file in the manifest\'s "resources" (e.g. "resources": {"*": ["./certs/device"]}), or give cert=""',
    );
  });

  it("the same for ca, and for any name of a cert chain", () => {
    writeFileSync(join(resources, "present.der"), Uint8Array.from([0x30, 0]));
    setConfig(configFor("missing-2", { tls: "true", ca: "ca-missing.der" }));
    expect(() => main({})).toThrow(/^mc\/config: ca names the resource "ca-missing\.der", which is not in the build \(Resource not found: ca-missing\.der\)/);
    setConfig(configFor("missing-3", { tls: "true", cert: "present.der, inter.der", key: "k.der" }));
    expect(() => main({})).toThrow(/^mc\/config: cert names the resource "inter\.der"/);
  });

  it("without tls the TLS keys are not read: nothing is loaded, nothing thrown", async () => {
    setConfig(configFor("missing-4", { tls: "false", port: "1", ca: "nope.der", cert: "nope.der", key: "nope.der", alpn: "mqtt", serverName: "x" }));
    const device = runOnNetwork(new SimNetwork({ name: "missing-4" }), () => main({}));
    expect(device.connection.broker).toEqual({ host: "127.0.0.1", port: 1, tls: false });
    device.stop();
    await sleep(20);
  });
});

describe.skipIf(!available)("firmware/main.ts over mutual TLS from its config: mosquitto with require_certificate true", () => {
  let certs: Certificates;
  let broker: Mosquitto;
  const running: Device[] = [];

  beforeAll(async () => {
    const certDir = join(dir, "certs");
    mkdirSync(certDir);
    certs = makeCertificates(certDir); // ca.crt/ca.key, other.crt (another CA), a leaf for localhost and 127.0.0.1
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: certDir, stdio: "pipe" });
    const client = (name: string, caName: string) => {
      run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
      run("x509", "-req", "-in", `${name}.csr`, "-CA", `${caName}.crt`, "-CAkey", `${caName}.key`, "-CAcreateserial", "-out", `${name}.crt`, "-days", "2");
      // As the manifest's resources hold them: DER, the key unencrypted PKCS#8.
      run("x509", "-in", `${name}.crt`, "-outform", "DER", "-out", join(resources, `${name}.der`));
      run("pkcs8", "-topk8", "-nocrypt", "-in", `${name}.key`, "-outform", "DER", "-out", join(resources, `${name}-key.der`));
    };
    client("device", "ca");
    client("rogue", "other");
    run("x509", "-in", "ca.crt", "-outform", "DER", "-out", join(resources, "ca.der"));
    run("x509", "-in", "other.crt", "-outform", "DER", "-out", join(resources, "other-ca.der"));
    writeFileSync(join(resources, "device.pem"), readFileSync(join(certDir, "device.crt")));
    setResourceDirectory(resources);
    broker = await Mosquitto.start({ tls: certs, requireCertificate: true });
  });

  afterAll(async () => {
    for (const device of running) device.stop();
    await sleep(100);
    await broker?.close();
  });

  /** Boots firmware/main.ts with this config over TLS to mosquitto's TLS listener, on its own network. */
  function boot(deviceId: string, extra: Record<string, unknown>, events: DeviceEvents = {}): Device {
    setConfig(configFor(deviceId, { tls: "true", port: String(broker.tlsPort), ...extra }));
    const device = runOnNetwork(new SimNetwork({ name: deviceId }), () => main(events));
    running.push(device);
    return device;
  }

  /** An MQTT.js subscriber on mosquitto's plain listener, recording what arrives on `filter`. */
  async function subscriber(filter: string): Promise<{ client: MqttClient; got: { topic: string; text: string }[] }> {
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const got: { topic: string; text: string }[] = [];
    client.on("message", (topic, payload) => got.push({ topic, text: payload.toString() }));
    await client.subscribeAsync(filter, { qos: 1 });
    return { client, got };
  }

  it("ca, cert and key resources (DER): connected over TLS, and the telemetry reaches an MQTT.js subscriber", async () => {
    const { client, got } = await subscriber("devices/mtls-1/telemetry/+");
    const device = boot("mtls-1", { ca: "ca.der", cert: "device.der", key: "device-key.der" });
    // The broker address carries the resources' bytes, and serverName defaults to the host.
    const address = device.connection.broker;
    expect(address.tls).toBe(true);
    expect(address.port).toBe(broker.tlsPort);
    expect(Buffer.from(address.ca as ArrayBuffer).equals(readFileSync(join(resources, "ca.der")))).toBe(true);
    expect(Buffer.from(address.cert as ArrayBuffer).equals(readFileSync(join(resources, "device.der")))).toBe(true);
    expect(Buffer.from(address.key as ArrayBuffer).equals(readFileSync(join(resources, "device-key.der")))).toBe(true);
    expect(address.serverName).toBeUndefined();
    expect(address.ALPNProtocols).toBeUndefined();
    await waitFor(() => got.filter((m) => m.topic.endsWith("/sht3x")).length >= 3 && got.some((m) => m.topic.endsWith("/bmp280")), 20_000, "telemetry from mtls-1");
    expect(device.client.stats.connects).toBe(1);
    const first = JSON.parse(got.find((m) => m.topic === "devices/mtls-1/telemetry/sht3x")!.text);
    expect(Object.keys(first)).toEqual(["ts", "seq", "temperature", "humidity"]);
    device.stop();
    await client.endAsync();
  });

  it("a chain in cert (comma-separated, ours first), serverName and alpn from the config: connected, telemetry arrives", async () => {
    const { client, got } = await subscriber("devices/mtls-2/telemetry/+");
    const device = boot("mtls-2", { ca: "ca.der", cert: "device.der, ca.der", key: "device-key.der", serverName: "localhost", alpn: "mqtt" });
    const address = device.connection.broker;
    expect(Array.isArray(address.cert) && address.cert.length).toBe(2);
    expect(address.serverName).toBe("localhost");
    expect(address.ALPNProtocols).toEqual(["mqtt"]);
    await waitFor(() => got.length >= 3, 20_000, "telemetry from mtls-2");
    expect(device.client.stats.connects).toBe(1);
    device.stop();
    await client.endAsync();
  });

  it("no cert and key in the config: mosquitto refuses, 'requires a client certificate'; nothing arrives", async () => {
    const { client, got } = await subscriber("devices/mtls-none/#");
    const causes: number[] = [];
    const device = boot("mtls-none", { ca: "ca.der" }, { onDisconnected: (_reason, cause) => causes.push(cause) });
    await waitFor(() => causes.length >= 1, 10_000, "the refusal");
    device.stop();
    expect(causes[0]).toBe(TransportCause.TLSClientCertificateRequired);
    expect(device.client.stats.connects).toBe(0);
    await sleep(200);
    expect(got).toEqual([]);
    await client.endAsync();
  });

  it("a certificate from another CA: refused, 'refused our client certificate'; the wrong ca: the broker's is an unknown CA", async () => {
    const causes: number[] = [];
    const rogue = boot("mtls-rogue", { ca: "ca.der", cert: "rogue.der", key: "rogue-key.der" }, { onDisconnected: (_r, cause) => causes.push(cause) });
    await waitFor(() => causes.length >= 1, 10_000, "the refusal");
    rogue.stop();
    expect(causes[0]).toBe(TransportCause.TLSClientCertificateRefused);
    const wrongCa: number[] = [];
    const reasons: number[] = [];
    const other = boot("mtls-other-ca", { ca: "other-ca.der", cert: "device.der", key: "device-key.der" }, {
      onDisconnected: (reason, cause) => (wrongCa.push(cause), reasons.push(reason)),
    });
    await waitFor(() => wrongCa.length >= 1, 10_000, "the failed check");
    other.stop();
    expect(wrongCa[0]).toBe(TransportCause.TLSUnknownCA);
    expect(reasons[0]).toBe(DisconnectReason.ConnectionLost);
  });

  it("a PEM file as the cert resource: main() refuses it at boot (the device's TLS takes DER)", () => {
    setConfig(configFor("mtls-pem", { tls: "true", port: String(broker.tlsPort), ca: "ca.der", cert: "device.pem", key: "device-key.der" }));
    expect(() => main({})).toThrow(/broker\.cert: not DER \(PEM text/);
  });
});
