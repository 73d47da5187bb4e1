/**
 * Broker profiles (firmware/net/profiles.ts) and the client held to their limits (profile-client.ts),
 * without sockets: each profile's options, each missing or malformed setting named at start-up, each
 * limit refused at start-up or at the call with its code and words, and nothing queued or sent when
 * refused. The same profiles over real sockets: test/integration/profiles.test.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientArgumentError, ClientError } from "../../firmware/mqtt/index.js";
import { Backoff } from "../../firmware/mqtt/client/backoff.js";
import type { NetDevice } from "../../firmware/net/device.js";
import { checkPublish, connectProfile, describeRefusal, ProfileMqtt, profileOptions } from "../../firmware/net/profile-client.js";
import { ADAFRUIT_LIMITS, AWS_LIMITS, AZURE_LIMITS } from "../../firmware/net/profile-limits.js";
import { adafruitIo, awsIot, azureIotHub, hivemqCloud, homeAssistant, type Profile } from "../../firmware/net/profiles.js";

/** A device whose sockets count their construction and never connect: a start-up refusal must leave it at 0. */
function countingDevice(): { device: NetDevice; sockets: () => number } {
  let sockets = 0;
  const TCP = function () {
    sockets++;
    throw new Error("no network in this test");
  };
  const device = { TCP, TLS: TCP, Timer: { set: () => ({}), clear: () => undefined, schedule: () => undefined }, ticks: () => 0 } as unknown as NetDevice;
  return { device, sockets: () => sockets };
}

let dir: string;
let cert: Uint8Array;
let key: Uint8Array;
const der = (...args: string[]) => new Uint8Array(execFileSync("openssl", args, { cwd: dir }));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mqtt-xs-profiles-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "d.key", "-out", "d.crt", "-days", "2", "-subj", "/CN=thing-1"], { cwd: dir, stdio: "pipe" });
  cert = der("x509", "-in", "d.crt", "-outform", "DER");
  key = der("pkcs8", "-topk8", "-nocrypt", "-in", "d.key", "-outform", "DER");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ENDPOINT = "a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com";
const SAS = "SharedAccessSignature sr=contoso.azure-devices.net%2Fdevices%2Fdevice-1&sig=c2lnbmF0dXJl%3D&se=1893456000";

describe("each profile fills in what its broker needs", () => {
  it("awsIot on 8883: TLS to the endpoint, SNI the endpoint, the certificate and key, the client ID, no ALPN", () => {
    const p = awsIot({ endpoint: ENDPOINT, clientId: "thing-1", cert, key });
    expect(p.broker).toBe("AWS IoT Core");
    expect(p.options).toEqual({ host: ENDPOINT, port: 8883, tls: true, serverName: ENDPOINT, cert, key, clientId: "thing-1", keepalive: 60, reconnectPeriod: 2000 });
    expect(p.limits).toBe(AWS_LIMITS);
    expect(Object.isFrozen(p) && Object.isFrozen(p.options)).toBe(true);
  });

  it("awsIot on 443: ALPN x-amzn-mqtt-ca beside the certificate", () => {
    const p = awsIot({ endpoint: ENDPOINT, clientId: "thing-1", cert, key, ca: cert, port: 443 });
    expect(p.options.port).toBe(443);
    expect(p.options.ALPNProtocols).toEqual(["x-amzn-mqtt-ca"]);
    expect(p.options.ca).toBe(cert);
  });

  it("azureIotHub: client ID the device ID, user name {host}/{device}/?api-version=2021-04-12, password the SAS token", () => {
    const p = azureIotHub({ hub: "contoso", deviceId: "device-1", sasToken: SAS });
    expect(p.options).toEqual({
      host: "contoso.azure-devices.net",
      port: 8883,
      tls: true,
      serverName: "contoso.azure-devices.net",
      username: "contoso.azure-devices.net/device-1/?api-version=2021-04-12",
      password: SAS,
      clientId: "device-1",
      keepalive: 60,
    });
    expect(azureIotHub({ hub: "contoso.azure-devices.net", deviceId: "device-1", sasToken: SAS }).options.host).toBe("contoso.azure-devices.net");
    expect(p.limits).toBe(AZURE_LIMITS);
  });

  it("azureIotHub with X.509: certificate and key, the same user name, no password", () => {
    const p = azureIotHub({ hub: "contoso", deviceId: "device-1", cert, key });
    expect(p.options.username).toBe("contoso.azure-devices.net/device-1/?api-version=2021-04-12");
    expect(p.options.password).toBeUndefined();
    expect(p.options.cert).toBe(cert);
  });

  it("hivemqCloud: TLS on 8883 with the cluster's name as SNI, and the credentials", () => {
    const p = hivemqCloud({ host: "abc123.s1.eu.hivemq.cloud", username: "device", password: "Secret-1" });
    expect(p.options).toEqual({ host: "abc123.s1.eu.hivemq.cloud", port: 8883, tls: true, serverName: "abc123.s1.eu.hivemq.cloud", username: "device", password: "Secret-1", keepalive: 60 });
  });

  it("adafruitIo: io.adafruit.com, TLS 8883 (1883 without), user name and key, reconnect from 20 s up to 2 min", () => {
    const p = adafruitIo({ username: "maker", key: "aio_0123456789" });
    expect(p.options).toEqual({ host: "io.adafruit.com", port: 8883, tls: true, serverName: "io.adafruit.com", username: "maker", password: "aio_0123456789", keepalive: 60, reconnectPeriod: 20_000, reconnectPeriodMax: 120_000 });
    expect(adafruitIo({ username: "maker", key: "k", tls: false }).options).toMatchObject({ port: 1883, tls: false });
    expect(p.limits).toBe(ADAFRUIT_LIMITS);
  });

  it("homeAssistant: the host, 1883 (8883 with tls, or the port given), a user's credentials", () => {
    expect(homeAssistant({ host: "homeassistant.local", username: "esp", password: "pw" }).options).toEqual({ host: "homeassistant.local", port: 1883, tls: false, username: "esp", password: "pw", keepalive: 60 });
    expect(homeAssistant({ host: "10.0.0.2", username: "esp", password: "pw", tls: true }).options).toMatchObject({ port: 8883, tls: true });
    expect(homeAssistant({ host: "10.0.0.2", username: "esp", password: "pw", port: 11883 }).options.port).toBe(11883);
  });
});

describe("a missing or malformed setting is a TypeError naming it, when the profile is made", () => {
  const cases: [string, () => unknown, string][] = [
    ["AWS without cert", () => awsIot({ endpoint: ENDPOINT, clientId: "t" } as never), "awsIot settings.cert: required: AWS IoT Core authenticates an MQTT device by its X.509 certificate (cert, DER) and key (RSA PKCS#8 DER)"],
    ["AWS without key", () => awsIot({ endpoint: ENDPOINT, clientId: "t", cert } as never), "awsIot settings.key: required"],
    ["AWS without endpoint", () => awsIot({ clientId: "t", cert, key } as never), "awsIot settings.endpoint: required: the account's device data endpoint"],
    ["AWS without client ID", () => awsIot({ endpoint: ENDPOINT, cert, key } as never), "awsIot settings.clientId: required"],
    ["AWS with a long client ID", () => awsIot({ endpoint: ENDPOINT, clientId: "x".repeat(129), cert, key }), "awsIot settings.clientId: 1-128 bytes of UTF-8"],
    ["AWS on another port", () => awsIot({ endpoint: ENDPOINT, clientId: "t", cert, key, port: 1883 as never }), "awsIot settings.port: 8883 or 443, not 1883"],
    ["AWS with a PEM key", () => awsIot({ endpoint: ENDPOINT, clientId: "t", cert, key: new TextEncoder().encode("-----BEGIN PRIVATE KEY-----") }), "awsIot settings.key: not DER (PEM text"],
    ["Azure without a token", () => azureIotHub({ hub: "contoso", deviceId: "d" }), "azureIotHub settings.sasToken: required (or cert and key)"],
    ["Azure with a device key", () => azureIotHub({ hub: "contoso", deviceId: "d", sasToken: "c2VjcmV0a2V5" }), "azureIotHub settings.sasToken: a SAS token, \"SharedAccessSignature sr={resource}&sig={signature}&se={expiry}\""],
    ["Azure with both", () => azureIotHub({ hub: "contoso", deviceId: "d", sasToken: SAS, cert, key }), "azureIotHub settings.sasToken: give a SAS token or cert and key, not both"],
    ["Azure with a slash in the device ID", () => azureIotHub({ hub: "contoso", deviceId: "a/b", sasToken: SAS }), "azureIotHub settings.deviceId: up to 128 ASCII letters"],
    ["Azure with an expired SAS token", () => azureIotHub({ hub: "contoso", deviceId: "d", sasToken: SAS.replace("se=1893456000", "se=1600000000") }), "azureIotHub settings.sasToken: expired at 2020-09-13T12:26:40.000Z (se=1600000000): make a new one"],
    ["Azure without hub", () => azureIotHub({ deviceId: "d", sasToken: SAS } as never), "azureIotHub settings.hub: required"],
    ["HiveMQ without password", () => hivemqCloud({ host: "h.hivemq.cloud", username: "u" } as never), "hivemqCloud settings.password: required: the cluster's password"],
    ["Adafruit without key", () => adafruitIo({ username: "maker" } as never), "adafruitIo settings.key: required: the Adafruit IO password"],
    ["Home Assistant's reserved user", () => homeAssistant({ host: "ha", username: "homeassistant", password: "pw" }), 'homeAssistant settings.username: "homeassistant" is reserved by Home Assistant'],
    ["Home Assistant without user", () => homeAssistant({ host: "ha", password: "pw" } as never), "homeAssistant settings.username: required"],
    ["no settings", () => adafruitIo(undefined as never), "adafruitIo: settings, an object"],
  ];
  for (const [what, make, words] of cases) {
    it(what, () => {
      expect(make).toThrow(TypeError);
      expect(make).toThrow(words);
    });
  }
});

describe("start-up: the app's options checked against the profile, before any socket", () => {
  const aws = (): Profile => awsIot({ endpoint: ENDPOINT, clientId: "thing-1", cert, key });
  const refusals: [string, () => Profile, Record<string, unknown>, ErrorConstructor, string][] = [
    ["AWS: keepalive 20 s", aws, { keepalive: 20 }, RangeError, "options.keepalive: AWS IoT Core accepts 30 to 1200 s, not 20 (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits)"],
    ["AWS: keepalive 0 (none)", aws, { keepalive: 0 }, RangeError, "accepts 30 to 1200 s, not 0"],
    ["AWS: keepalive 1800 s", aws, { keepalive: 1800 }, RangeError, "accepts 30 to 1200 s, not 1800"],
    ["AWS: a QoS 2 will", aws, { will: { topic: "t", payload: "gone", qos: 2 } }, RangeError, "options.will.qos: AWS IoT Core takes QoS 0 to 1 only (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html), not 2"],
    ["AWS: another client ID", aws, { clientId: "other" }, TypeError, "options.clientId: set by the awsIot profile: give it in the profile's settings"],
    ["AWS: another host", aws, { host: "127.0.0.1" }, TypeError, "options.host: set by the awsIot profile"],
    ["AWS: a password", aws, { password: "x" }, TypeError, "options.password: not used with the awsIot profile"],
    ["AWS: reconnect every second", aws, { reconnectPeriod: 1000 }, RangeError, "options.reconnectPeriod: at least 2000 ms with AWS IoT Core, not 1000"],
    ["Azure: MQTT 5.0", () => azureIotHub({ hub: "contoso", deviceId: "d", sasToken: SAS }), { protocolVersion: 5 }, RangeError, "options.protocolVersion: Azure IoT Hub serves MQTT 3.1.1 (4) only (https://learn.microsoft.com/en-us/azure/iot/iot-mqtt-connect-to-iot-hub)"],
    ["Azure: a will over 256 KB", () => azureIotHub({ hub: "contoso", deviceId: "d", sasToken: SAS }), { will: { topic: "t", payload: new Uint8Array(256 * 1024 + 1), qos: 1 } }, RangeError, "options.will.payload: Azure IoT Hub takes payloads of at most 262144 bytes"],
    ["Adafruit: reconnect every second", () => adafruitIo({ username: "maker", key: "k" }), { reconnectPeriod: 1000 }, RangeError, "options.reconnectPeriod: at least 6500 ms with Adafruit IO, not 1000: the client may wait as little as half of it before a retry, and Adafruit IO limits how often a client connects (https://io.adafruit.com/api/docs/mqtt.html#mqtt-api-rate-limiting)"],
    ["Adafruit: a backoff cap of 5 s", () => adafruitIo({ username: "maker", key: "k" }), { reconnectPeriodMax: 5000 }, RangeError, "options.reconnectPeriodMax: at least 6500 ms with Adafruit IO, not 5000"],
    ["HiveMQ: a port", () => hivemqCloud({ host: "h.hivemq.cloud", username: "u", password: "p" }), { port: 1883 }, TypeError, "options.port: set by the hivemqCloud profile"],
  ];
  for (const [what, profile, options, Kind, words] of refusals) {
    it(what, () => {
      const { device, sockets } = countingDevice();
      const make = () => connectProfile(profile(), { device, ...options } as never);
      expect(make).toThrow(Kind);
      expect(make).toThrow(words);
      expect(sockets()).toBe(0);
    });
  }

  it("within the limits the app's own keepalive and backoff are taken; reconnectPeriod 0 (never) is always allowed", () => {
    const { device } = countingDevice();
    expect(profileOptions(aws(), { device, keepalive: 1200, reconnectPeriod: 5000 })).toMatchObject({ keepalive: 1200, reconnectPeriod: 5000, clientId: "thing-1", host: ENDPOINT });
    expect(profileOptions(adafruitIo({ username: "maker", key: "k" }), { device, reconnectPeriod: 0 }).reconnectPeriod).toBe(0);
    const mqtt = new ProfileMqtt(hivemqCloud({ host: "h.hivemq.cloud", username: "u", password: "p" }), { device, clientId: "mine" });
    expect(mqtt.client.options.keepalive).toBe(60);
  });
});

describe("at the call: publish and subscribe above the broker's limits are refused, nothing queued or sent", () => {
  const client = (profile: Profile) => {
    const { device, sockets } = countingDevice();
    const mqtt = new ProfileMqtt(profile, { device, transmitBufferSize: 600_000, receiveBufferSize: 1024 });
    return { mqtt, sockets };
  };

  it("AWS IoT Core: publish QoS 2 is -115 (QoSNotSupported), with the words and the source", () => {
    const { mqtt, sockets } = client(awsIot({ endpoint: ENDPOINT, clientId: "thing-1", cert, key }));
    const code = mqtt.publish("dt/thing-1/t", "21.5", 2);
    expect(code).toBe(ClientError.QoSNotSupported);
    expect(describeRefusal(mqtt.profile, code)).toBe("AWS IoT Core takes QoS 0 to 1 only (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html)");
    expect(mqtt.client.queuedCount()).toBe(0);
    expect(mqtt.publish("dt/thing-1/t", "21.5", 1)).toBeGreaterThan(0); // QoS 1 is queued (sent on connect)
    expect(mqtt.client.queuedCount()).toBe(1);
    expect(sockets()).toBe(0);
  });

  it("AWS IoT Core: a payload over 128 KB is -117, one of exactly 128 KB is taken; a string counts its UTF-8 bytes", () => {
    const { mqtt } = client(awsIot({ endpoint: ENDPOINT, clientId: "thing-1", cert, key }));
    const code = mqtt.publish("t", new Uint8Array(128 * 1024 + 1), 1);
    expect(code).toBe(ClientError.PacketTooLargeForServer);
    expect(describeRefusal(mqtt.profile, code)).toBe("AWS IoT Core takes payloads of at most 131072 bytes (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits)");
    expect(mqtt.publish("t", new Uint8Array(128 * 1024), 1)).toBeGreaterThan(0);
    expect(mqtt.publish("t", "é".repeat(64 * 1024 + 1), 0)).toBe(ClientError.PacketTooLargeForServer); // 131074 bytes
    expect(mqtt.client.queuedCount()).toBe(1);
  });

  it("AWS IoT Core: subscribe at QoS 2 throws ClientArgumentError (QoSNotSupported) naming the filter", () => {
    const { mqtt } = client(awsIot({ endpoint: ENDPOINT, clientId: "thing-1", cert, key }));
    const call = () => mqtt.subscribe("cmd/thing-1/#", 2);
    expect(call).toThrow(ClientArgumentError);
    expect(call).toThrow('subscribe "cmd/thing-1/#" at QoS 2: AWS IoT Core takes QoS 0 to 1 only');
    try {
      call();
    } catch (error) {
      expect((error as ClientArgumentError).code).toBe(ClientError.QoSNotSupported);
    }
    expect(() => mqtt.subscribe("cmd/thing-1/#", 1)).not.toThrow();
  });

  it("Azure IoT Hub: publish QoS 2 refused (IoT Hub would close the connection), over 256 KB refused; subscribe QoS 2 allowed (granted 1)", () => {
    const { mqtt } = client(azureIotHub({ hub: "contoso", deviceId: "device-1", sasToken: SAS }));
    expect(mqtt.publish("devices/device-1/messages/events/", "{}", 2)).toBe(ClientError.QoSNotSupported);
    expect(describeRefusal(mqtt.profile, ClientError.QoSNotSupported)).toBe("Azure IoT Hub takes QoS 0 to 1 only (https://learn.microsoft.com/en-us/azure/iot/iot-mqtt-connect-to-iot-hub)");
    expect(mqtt.publish("devices/device-1/messages/events/", new Uint8Array(256 * 1024 + 1), 1)).toBe(ClientError.PacketTooLargeForServer);
    expect(mqtt.publish("devices/device-1/messages/events/", new Uint8Array(256 * 1024), 1)).toBeGreaterThan(0);
    expect(() => mqtt.subscribe("devices/device-1/messages/devicebound/#", 2)).not.toThrow();
  });

  it("Adafruit IO: publish QoS 2 refused, over 100 KB refused", () => {
    const { mqtt } = client(adafruitIo({ username: "maker", key: "k" }));
    expect(mqtt.publish("maker/feeds/temp", "21", 2)).toBe(ClientError.QoSNotSupported);
    expect(mqtt.publish("maker/feeds/temp", new Uint8Array(100 * 1024 + 1), 1)).toBe(ClientError.PacketTooLargeForServer);
    expect(describeRefusal(mqtt.profile, ClientError.PacketTooLargeForServer)).toMatch(/^Adafruit IO takes payloads of at most 102400 bytes \(100 KB: unverified/);
    expect(mqtt.publish("maker/feeds/temp", "21", 1)).toBeGreaterThan(0);
  });

  it("HiveMQ Cloud and Home Assistant: no limit beyond MQTT's (QoS 2 and large payloads go to the client)", () => {
    for (const profile of [hivemqCloud({ host: "h.hivemq.cloud", username: "u", password: "p" }), homeAssistant({ host: "ha", username: "esp", password: "pw" })]) {
      const { mqtt } = client(profile);
      expect(mqtt.publish("t", new Uint8Array(300_000), 2)).toBeGreaterThan(0);
      expect(checkPublish(profile.limits, new Uint8Array(300_000), 2)).toBe(0);
    }
  });

  it("a payload neither bytes nor a string is left to the client's own check (InvalidPayload)", () => {
    const { mqtt } = client(adafruitIo({ username: "maker", key: "k" }));
    expect(mqtt.publish("t", 42 as never, 1)).toBe(ClientError.InvalidPayload);
  });
});

describe("Adafruit IO's 20 logins a minute: the backoff can never go faster", () => {
  /** The most attempts in any 60 s, for delays of the shortest kind (random 0: half the period). */
  function mostInAMinute(period: number, max: number, random: () => number): number {
    const backoff = new Backoff(period, max, random);
    const times = [0];
    for (let i = 0; i < 200; i++) times.push(times[times.length - 1]! + backoff.next());
    let most = 0;
    for (let i = 0; i < times.length; i++) {
      let n = 0;
      while (i + n < times.length && times[i + n]! - times[i]! <= 60_000) n++;
      if (n > most) most = n;
    }
    return most;
  }

  it("at the least reconnectPeriod allowed (6.5 s), even with a backoff cap as low as allowed: at most 20", () => {
    const { reconnectPeriodMin } = ADAFRUIT_LIMITS;
    expect(mostInAMinute(reconnectPeriodMin, reconnectPeriodMin, () => 0)).toBeLessThanOrEqual(20);
    expect(mostInAMinute(reconnectPeriodMin, 60_000, () => 0)).toBeLessThanOrEqual(20);
    // Below it the limit could be broken: a period of 5 s with a 5 s cap allows 25 in a minute.
    expect(mostInAMinute(5000, 5000, () => 0)).toBeGreaterThan(20);
  });

  it("at the profile's defaults (20 s, cap 2 min): every retry 10 s or more after the one before, as Adafruit advises", () => {
    const { reconnectPeriod, reconnectPeriodMax } = adafruitIo({ username: "maker", key: "k" }).options;
    const backoff = new Backoff(reconnectPeriod!, reconnectPeriodMax!, () => 0);
    for (let i = 0; i < 20; i++) expect(backoff.next()).toBeGreaterThanOrEqual(10_000);
    expect(mostInAMinute(reconnectPeriod!, reconnectPeriodMax!, () => 0)).toBeLessThanOrEqual(7);
  });
});
