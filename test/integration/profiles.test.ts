/**
 * The broker profiles (firmware/net/profiles.ts, profile-client.ts) over real sockets on loopback, each
 * against a local stand-in with its broker's requirements, the profile's options unchanged but for the
 * address (`at()`: the stand-in's host and port; the server name stays the profile's, and the stand-ins'
 * certificate carries those names):
 * - AWS IoT Core on 8883: mosquitto with require_certificate true (mutual TLS, the device's certificate).
 * - AWS IoT Core on 443: a TLS front that wants the endpoint in SNI, ALPN "x-amzn-mqtt-ca" and a client
 *   certificate (as AWS does on 443), piping to mosquitto; the 8883 profile (no ALPN) is refused there.
 * - Azure IoT Hub: mosquitto with a password file whose only entry for the device is the user name
 *   `{hub}/{device}/?api-version=2021-04-12` with the SAS token as password, and log_type all, whose log
 *   shows the user name as it arrived; another device's user name is refused.
 * - HiveMQ Cloud, Adafruit IO (TLS, with the cluster's and io.adafruit.com's names), Home Assistant
 *   (plain and TLS): mosquitto with a password file.
 * For each, a QoS 1 message from our client arrives at an independent MQTT.js subscriber, and a QoS 2
 * publish is refused at the call where the broker refuses QoS 2 (nothing of it reaches the subscriber).
 * Refusals at start-up leave mosquitto's log without a new connection. Adafruit's backoff: with the least
 * reconnectPeriod allowed, no retry within 3.25 s of a refused attempt.
 * Absent mosquitto, this file skips loudly (mosquittoAvailable), and fails under CI=true.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, DisconnectReason } from "../../firmware/mqtt/index.js";
import { TransportCause } from "../../firmware/mqtt/client/errors.js";
import { describeCause } from "../../firmware/net/causes.js";
import { connectProfile, describeRefusal, type ProfileAppOptions } from "../../firmware/net/profile-client.js";
import { adafruitIo, awsIot, azureIotHub, hivemqCloud, homeAssistant, type Profile } from "../../firmware/net/profiles.js";
import { freePort } from "../../host-sim/loopback.js";
import { SimNetwork } from "../../host-sim/network.js";
import { simulatedDevice } from "../../host-sim/simulated-device.js";
import { makeCertificates, Mosquitto, mosquittoAvailable, type Certificates } from "./mosquitto.js";
import { sleep, waitFor } from "./sim.js";
import { tlsFront, type Front } from "./tls-front.js";

const available = mosquittoAvailable();

const AWS_ENDPOINT = "a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com";
const AZURE_HUB = "mqttxs-test.azure-devices.net";
const AZURE_USER = `${AZURE_HUB}/device-1/?api-version=2021-04-12`;
const SAS = `SharedAccessSignature sr=${AZURE_HUB}%2Fdevices%2Fdevice-1&sig=c2lnbmF0dXJl%3D&se=1893456000`;
const HIVEMQ_HOST = "abc123.s1.eu.hivemq.cloud";
const OBSERVER = { username: "observer", password: "observer-pw" };

/** The profile, addressed to a stand-in: everything else (server name, ALPN, credentials, limits) as the profile made it. */
function at(profile: Profile, host: string, port: number): Profile {
  return Object.freeze({ ...profile, options: Object.freeze({ ...profile.options, host, port }) });
}

interface Outcome {
  connected: boolean;
  /** What publish() returned for the QoS 1 message and for the QoS 2 one. */
  qos1: number;
  qos2: number;
  acked: boolean;
  reason: number;
  words: string;
}

/**
 * Our client through connectProfile() on a simulated board: once connected, publishes `payload` at QoS 1
 * (and the same at QoS 2, to see whether the profile refuses it) to `topic`; resolves when the QoS 1 is
 * acknowledged, or at the first disconnect.
 */
async function publishThrough(name: string, profile: Profile, topic: string, options: Partial<ProfileAppOptions> = {}): Promise<Outcome> {
  const outcome: Outcome = { connected: false, qos1: 0, qos2: 0, acked: false, reason: -1, words: "" };
  const client = connectProfile(profile, {
    device: simulatedDevice(new SimNetwork({ name })),
    connectTimeout: 5000,
    reconnectPeriod: 0,
    ...options,
    onConnected() {
      outcome.connected = true;
      outcome.qos2 = this.publish(topic, `qos 2 from ${name}`, 2);
      outcome.qos1 = this.publish(topic, `qos 1 from ${name}`, 1);
    },
    onAcked() {
      outcome.acked = true;
    },
    onDisconnected(reason, cause) {
      if (outcome.reason !== -1) return;
      outcome.reason = reason;
      outcome.words = cause ? describeCause(cause, this.connection) : String(reason);
    },
  });
  try {
    await waitFor(() => outcome.acked || outcome.reason !== -1, 15_000, `${name}: the QoS 1 acknowledged, or a disconnect`);
    return { ...outcome };
  } finally {
    client.end(true);
  }
}

/** An MQTT.js subscriber on the broker's plain port: the independent peer that sees what arrived. */
async function subscriber(port: number, topic: string, credentials?: { username: string; password: string }) {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000, ...credentials });
  const received: { payload: string; qos: number }[] = [];
  client.on("message", (_topic, payload, packet) => received.push({ payload: payload.toString(), qos: packet.qos }));
  await client.subscribeAsync(topic, { qos: 1 });
  return { received, close: () => client.endAsync(true) };
}



/**
 * AWS IoT Core's 443, as a stand-in: refuses a ClientHello without `serverName` (alert unrecognized_name)
 * or without ALPN `protocol` (alert no_application_protocol); node:tls then takes the handshake, asking
 * for a client certificate signed by `ca` (no certificate, or another CA's: refused), and pipes to the broker.
 */
function awsFront(serverName: string, protocol: string, tls: { key: Buffer; cert: Buffer; ca: Buffer }, brokerPort: number): Promise<Front> {
  return tlsFront(serverName, protocol, { ...tls, requestCert: true }, brokerPort);
}

describe.skipIf(!available)("broker profiles over real sockets, against local stand-ins", () => {
  let dir: string;
  let certs: Certificates;
  /** Mutual TLS (AWS IoT Core's stand-in), anonymous on its plain port for the subscriber. */
  let mtls: Mosquitto;
  /** Password file (Azure's user name, HiveMQ's, Adafruit's and Home Assistant's users, the observer), log_type all. */
  let users: Mosquitto;
  let front: Front;
  let cert: Uint8Array;
  let key: Uint8Array;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mqtt-xs-profiles-"));
    certs = makeCertificates(dir);
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    const der = (...args: string[]) => new Uint8Array(execFileSync("openssl", args, { cwd: dir }));
    // One server certificate for every stand-in, carrying the names the profiles check (SNI and the certificate's name).
    const names = ["localhost", AWS_ENDPOINT, AZURE_HUB, HIVEMQ_HOST, "io.adafruit.com"];
    writeFileSync(join(dir, "names.ext"), `subjectAltName=${names.map((n) => "DNS:" + n).join(",")},IP:127.0.0.1\n`);
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "names.crt", "-days", "2", "-extfile", "names.ext");
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "thing.key", "-out", "thing.csr", "-subj", "/CN=thing-1");
    run("x509", "-req", "-in", "thing.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "thing.crt", "-days", "2");
    cert = der("x509", "-in", "thing.crt", "-outform", "DER");
    key = der("pkcs8", "-topk8", "-nocrypt", "-in", "thing.key", "-outform", "DER");
    const named: Certificates = { ...certs, certFile: join(dir, "names.crt") };
    mtls = await Mosquitto.start({ tls: named, requireCertificate: true });
    users = await Mosquitto.start({
      tls: named,
      logAll: true,
      users: { [AZURE_USER]: SAS, "hive-device": "hive-pw", maker: "aio_testkey", esp: "ha-pw", [OBSERVER.username]: OBSERVER.password },
    });
    front = await awsFront(AWS_ENDPOINT, "x-amzn-mqtt-ca", { key: readFileSync(certs.keyFile), cert: readFileSync(join(dir, "names.crt")), ca: readFileSync(certs.caFile) }, mtls.port);
  });

  afterAll(async () => {
    await front?.close();
    await mtls?.close();
    await users?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Publishes through the profile and expects the QoS 1 message, and only it, at the subscriber. */
  async function roundTrip(name: string, profile: Profile, brokerPort: number, credentials?: typeof OBSERVER, qos2Refused = true): Promise<Outcome> {
    const topic = `mqtt-xs/profiles/${name}/${process.pid}`;
    const peer = await subscriber(brokerPort, topic, credentials);
    try {
      const got = await publishThrough(name, profile, topic);
      expect(got.words).toBe("");
      expect(got.connected).toBe(true);
      expect(got.qos1).toBeGreaterThan(0);
      await waitFor(() => peer.received.length >= (qos2Refused ? 1 : 2), 5000, `${name}: the message at the subscriber`);
      await sleep(200); // a QoS 2 message sent despite the profile would arrive by now
      // A QoS 2 message the broker takes (subscribed at QoS 1, it arrives at 1) may arrive before or after the QoS 1 one.
      const expected = [{ payload: `qos 1 from ${name}`, qos: 1 }];
      if (!qos2Refused) expected.push({ payload: `qos 2 from ${name}`, qos: 1 });
      expect([...peer.received].sort((a, b) => a.payload.localeCompare(b.payload))).toEqual(expected);
      return got;
    } finally {
      await peer.close();
    }
  }

  describe("AWS IoT Core", () => {
    it("8883: mutual TLS with the device's certificate: connected, QoS 1 arrives, QoS 2 refused at the call (-115)", async () => {
      const profile = awsIot({ endpoint: "localhost", clientId: "thing-1", cert, key, ca: certs.ca });
      const got = await roundTrip("aws-8883", at(profile, "localhost", mtls.tlsPort), mtls.port);
      expect(got.qos2).toBe(ClientError.QoSNotSupported);
      expect(describeRefusal(profile, got.qos2)).toBe("AWS IoT Core takes QoS 0 to 1 only (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html)");
    });

    it("443: SNI the endpoint, ALPN x-amzn-mqtt-ca and the certificate, through a front that demands all three", async () => {
      const before = front.hellos.length;
      const profile = awsIot({ endpoint: AWS_ENDPOINT, clientId: "thing-1", cert, key, ca: certs.ca, port: 443 });
      const got = await roundTrip("aws-443", at(profile, "127.0.0.1", front.port), mtls.port);
      expect(got.qos2).toBe(ClientError.QoSNotSupported);
      expect(front.hellos.slice(before)).toEqual([{ serverName: AWS_ENDPOINT, alpn: ["x-amzn-mqtt-ca"] }]);
    });

    it("the 8883 profile (no ALPN) at the 443 front: refused with the TLS alert's cause, as AWS refuses it", async () => {
      const profile = awsIot({ endpoint: AWS_ENDPOINT, clientId: "thing-1", cert, key, ca: certs.ca });
      const got = await publishThrough("aws-no-alpn", at(profile, "127.0.0.1", front.port), "t");
      expect(got.connected).toBe(false);
      expect(got.reason).toBe(DisconnectReason.ConnectionLost);
      expect(got.words).toBe(`TLS: 127.0.0.1:${front.port} accepts none of our ALPN protocols (none offered: give ALPNProtocols)`);
    });

    it("without cert: a TypeError at start-up naming the setting, and no connection reaches the broker", async () => {
      const before = users.output.length;
      expect(() => awsIot({ endpoint: AWS_ENDPOINT, clientId: "thing-1", ca: certs.ca } as never)).toThrow("awsIot settings.cert: required");
      const profile = awsIot({ endpoint: "localhost", clientId: "thing-1", cert, key, ca: certs.ca });
      expect(() => connectProfile(at(profile, "localhost", users.tlsPort), { device: simulatedDevice(new SimNetwork({ name: "aws-keepalive" })), keepalive: 5 })).toThrow(
        "options.keepalive: AWS IoT Core accepts 30 to 1200 s, not 5",
      );
      await sleep(300);
      expect(users.output.slice(before)).not.toMatch(/New connection/);
    });
  });

  describe("Azure IoT Hub", () => {
    it("the user name {hub}/{device}/?api-version=2021-04-12 and the SAS token reach the broker exactly: connected, QoS 1 arrives, QoS 2 refused", async () => {
      const profile = azureIotHub({ hub: "mqttxs-test", deviceId: "device-1", sasToken: SAS, ca: certs.ca });
      const before = users.output.length;
      const got = await roundTrip("device-1", at(profile, "127.0.0.1", users.tlsPort), users.port, OBSERVER);
      expect(got.qos2).toBe(ClientError.QoSNotSupported);
      const log = users.output.slice(before);
      expect(log).toMatch(/New connection from 127\.0\.0\.1/); // what the start-up refusals below must not leave
      expect(log).toContain(`as device-1 (p2, c1, k60, u'${AZURE_USER}')`);
    });

    it("another device's user name is not in the password file: refused by the broker (so the one above was matched exactly)", async () => {
      const profile = azureIotHub({ hub: "mqttxs-test", deviceId: "device-2", sasToken: SAS, ca: certs.ca });
      const got = await publishThrough("device-2", at(profile, "127.0.0.1", users.tlsPort), "t");
      expect(got.connected).toBe(false);
      expect(got.reason).toBe(DisconnectReason.NotAuthorized);
    });

    it("MQTT 5.0 with Azure: a RangeError at start-up, and no connection reaches the broker", async () => {
      const before = users.output.length;
      const profile = azureIotHub({ hub: "mqttxs-test", deviceId: "device-1", sasToken: SAS, ca: certs.ca });
      expect(() => connectProfile(at(profile, "127.0.0.1", users.tlsPort), { device: simulatedDevice(new SimNetwork({ name: "azure-5" })), protocolVersion: 5 })).toThrow(RangeError);
      await sleep(300);
      expect(users.output.slice(before)).not.toMatch(/New connection/);
    });
  });

  describe("user name and password brokers", () => {
    it("HiveMQ Cloud: TLS with the cluster's name, its credentials: connected, QoS 1 arrives (QoS 2 is the broker's to take)", async () => {
      const profile = hivemqCloud({ host: HIVEMQ_HOST, username: "hive-device", password: "hive-pw", ca: certs.ca });
      const got = await roundTrip("hivemq", at(profile, "127.0.0.1", users.tlsPort), users.port, OBSERVER, false);
      expect(got.qos2).toBeGreaterThan(0);
    });

    it("Adafruit IO: TLS with io.adafruit.com's name, user name and key: connected, QoS 1 arrives, QoS 2 refused", async () => {
      const profile = adafruitIo({ username: "maker", key: "aio_testkey", ca: certs.ca });
      const got = await roundTrip("adafruit", at(profile, "127.0.0.1", users.tlsPort), users.port, OBSERVER);
      expect(got.qos2).toBe(ClientError.QoSNotSupported);
    });

    it("Adafruit IO: at the least reconnectPeriod allowed (6.5 s), no retry within 3.25 s of a refused attempt", async () => {
      const closed = await freePort();
      const attempts: number[] = [];
      let cause = 0;
      const profile = adafruitIo({ username: "maker", key: "aio_testkey", tls: false });
      const client = connectProfile(at(profile, "127.0.0.1", closed), {
        device: simulatedDevice(new SimNetwork({ name: "adafruit-backoff" })),
        reconnectPeriod: 6500,
        onAttempt(_host, address) {
          if (address !== null) attempts.push(Date.now());
        },
        onDisconnected(_reason, c) {
          cause ||= c;
        },
      });
      try {
        await waitFor(() => cause !== 0, 5000, "the refused attempt");
        expect(cause).toBe(TransportCause.ConnectionRefused);
        await sleep(3100);
        expect(attempts.length).toBe(1);
      } finally {
        client.end(true);
      }
    });

    it("Home Assistant Mosquitto add-on: plain 1883-style, a user's credentials: connected, QoS 1 arrives", async () => {
      const profile = homeAssistant({ host: "127.0.0.1", port: users.port, username: "esp", password: "ha-pw" });
      await roundTrip("ha-plain", profile, users.port, OBSERVER, false);
    });

    it("Home Assistant Mosquitto add-on over TLS (the add-on's certfile): connected, QoS 1 arrives", async () => {
      const profile = homeAssistant({ host: "localhost", port: users.tlsPort, tls: true, ca: certs.ca, username: "esp", password: "ha-pw" });
      await roundTrip("ha-tls", profile, users.port, OBSERVER, false);
    });

    it("a wrong key is the broker's refusal (bad user name or password), reported, not retried in a loop (reconnectPeriod 0 here)", async () => {
      const profile = adafruitIo({ username: "maker", key: "aio_wrong", ca: certs.ca });
      const got = await publishThrough("adafruit-wrong", at(profile, "127.0.0.1", users.tlsPort), "t");
      expect(got.connected).toBe(false);
      expect(got.reason).toBe(DisconnectReason.NotAuthorized);
    });
  });
});
