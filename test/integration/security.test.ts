/**
 * Security:
 * - TLS verifies the broker's certificate and its name by default: the right CA with a server name the
 *   certificate does not carry is refused, as is a connection with no CA given (the default store does not
 *   hold the test CA); the right CA and name connect (the control case).
 * - Credentials never appear in what our client, connection and host-sim emit: events, errorMessage()
 *   sentences, console output, the simulated network's errors, the resolved options, and the messages of
 *   everything thrown for bad options; for a run with a bad password (refused by mosquitto), a TLS failure
 *   with credentials, and bad options.
 * - Input from the app that breaks a rule is refused at the call, with a reason: client id, will, topics,
 *   QoS, payload ranges, topic filters.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MqttClient, TopicHandle } from "../../firmware/mqtt/index.js";
import type { ClientOptions } from "../../firmware/mqtt/client/options.js";
import { ClientError, DisconnectReason, errorMessage } from "../../firmware/mqtt/index.js";
import { MqttConnection, type BrokerAddress } from "../../firmware/net/connection.js";
import { SimNetwork } from "../../host-sim/network.js";
import { simulatedDevice } from "../../host-sim/simulated-device.js";
import { makeCertificates, Mosquitto, mosquittoAvailable, type Certificates } from "./mosquitto.js";
import { simClient, sleep, waitFor } from "./sim.js";

const available = mosquittoAvailable();

describe.skipIf(!available)("TLS verifies the broker by default (mosquitto)", () => {
  let certs: Certificates;
  let certDir: string;
  let broker: Mosquitto;
  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), "mqtt-xs-certs-"));
    certs = makeCertificates(certDir);
    broker = await Mosquitto.start({ tls: certs });
  });
  afterAll(async () => {
    await broker?.close();
    rmSync(certDir, { recursive: true, force: true });
  });

  async function attempt(name: string, address: Partial<BrokerAddress>) {
    const device = simClient(name, { host: "127.0.0.1", port: broker.tlsPort, tls: true, ...address });
    device.connection.start();
    await waitFor(() => device.client.stats.connects === 1 || device.network.stats.connectFailures >= 1, 5000, `${name}: connected or refused`);
    await sleep(50);
    device.connection.stop();
    return device;
  }

  it("the right CA and the name on the certificate: connects (the control case)", async () => {
    const device = await attempt("tls-right", { ca: certs.ca, serverName: "localhost" });
    expect(device.client.stats.connects).toBe(1);
    expect(device.network.stats.connectFailures).toBe(0);
  });

  it("the right CA but a server name the certificate does not carry: refused", async () => {
    const device = await attempt("tls-wrong-name", { ca: certs.ca, serverName: "broker.example.com" });
    expect(device.client.stats.connects).toBe(0);
    expect(device.network.stats.connectFailures).toBeGreaterThanOrEqual(1);
    expect(device.events).toContain("disconnected 0x" + DisconnectReason.ConnectionLost.toString(16));
    expect(String(device.network.lastError?.message)).toMatch(/altnames|hostname|broker\.example\.com/i);
  });

  it("an address as the name, when the certificate carries it, connects; another address is refused", async () => {
    const right = await attempt("tls-ip", { ca: certs.ca, serverName: "127.0.0.1" });
    expect(right.client.stats.connects).toBe(1);
    const wrong = await attempt("tls-other-ip", { ca: certs.ca, serverName: "127.0.0.2" });
    expect(wrong.client.stats.connects).toBe(0);
    expect(wrong.network.stats.connectFailures).toBeGreaterThanOrEqual(1);
  });

  it("no CA given: verified against the default store, which does not hold the test CA: refused", async () => {
    const device = await attempt("tls-no-ca", { serverName: "localhost" });
    expect(device.client.stats.connects).toBe(0);
    expect(device.network.stats.connectFailures).toBeGreaterThanOrEqual(1);
  });

  it("a CA that did not sign the broker's certificate: refused", async () => {
    const device = await attempt("tls-other-ca", { ca: certs.otherCa, serverName: "localhost" });
    expect(device.client.stats.connects).toBe(0);
    expect(device.network.stats.connectFailures).toBeGreaterThanOrEqual(1);
  });
});

// ---- Credentials ------------------------------------------------------------------------------------------

const USERNAME = "user-Kq7Zx-never-logged";
const PASSWORD = "pw-3vTq9-SECRET-never-logged";

/** Everything a run emits that a log or an error report could carry. */
class Capture {
  readonly lines: string[] = [];
  add(...values: unknown[]): void {
    for (const value of values) {
      if (value instanceof Error) this.lines.push(`${value.name}: ${value.message}\n${value.stack ?? ""}`);
      else this.lines.push(typeof value === "string" ? value : inspect(value, { depth: 6 }));
    }
  }
  /** The lines holding the username or password (or a recognisable part of them). */
  leaks(): string[] {
    const needles = [USERNAME, PASSWORD, "Kq7Zx", "3vTq9", "SECRET-never"];
    return this.lines.filter((line) => needles.some((needle) => line.includes(needle)));
  }
}

function capturedClient(capture: Capture, broker: BrokerAddress, options: Partial<ClientOptions>) {
  const network = new SimNetwork({ name: "creds", onException: (e) => capture.add("exception", e) });
  const client = new MqttClient({
    clientId: "creds-device",
    username: USERNAME,
    password: PASSWORD,
    reconnectPeriod: 50,
    reconnectPeriodMax: 200,
    connectTimeout: 2000,
    ...options,
    onConnected: (present) => capture.add("connected " + present),
    onDisconnected: (reason) => capture.add("disconnected " + reason, errorMessage(reason)),
    onError: (code) => capture.add("error " + code, errorMessage(code)),
    onMessage: (m) => capture.add(m.topicString(), m.payloadString()),
  });
  const connection = new MqttConnection(client, broker, simulatedDevice(network), {
    onAttempt: (host, address) => capture.add("attempt", host, address),
    onResolveFailed: (host) => capture.add("resolve failed", host),
  });
  return { client, connection, network };
}

describe.skipIf(!available)("credentials never appear in logs or errors (mosquitto)", () => {
  let certs: Certificates;
  let certDir: string;
  let broker: Mosquitto;
  const capture = new Capture();
  const spies: ReturnType<typeof vi.spyOn>[] = [];
  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), "mqtt-xs-certs-"));
    certs = makeCertificates(certDir);
    broker = await Mosquitto.start({ users: { device: "right-password" }, tls: certs });
    for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
      spies.push(vi.spyOn(console, method).mockImplementation((...args: unknown[]) => capture.add(method, ...args)));
    }
  });
  afterAll(async () => {
    for (const spy of spies) spy.mockRestore();
    await broker?.close();
    rmSync(certDir, { recursive: true, force: true });
  });

  it("a run with a bad password, refused by the broker: events, sentences, console, network errors", async () => {
    const { client, connection, network } = capturedClient(capture, { host: "127.0.0.1", port: broker.port }, {});
    connection.start();
    await waitFor(() => capture.lines.some((l) => l.startsWith("disconnected")), 5000, "the refusal");
    await sleep(300);
    connection.stop();
    capture.add(network.lastError, JSON.stringify(network.stats), JSON.stringify(client.stats), JSON.stringify(client.options), client.options);
    expect(capture.lines.some((l) => /^error 13[45]$/.test(l)), "the refusal was reported (0x86 or 0x87)").toBe(true);
    expect(capture.leaks()).toEqual([]);
  });

  it("a TLS failure with credentials (a CA that did not sign the broker's certificate)", async () => {
    const { client, connection, network } = capturedClient(capture, { host: "127.0.0.1", port: broker.tlsPort, tls: true, ca: certs.otherCa, serverName: "localhost" }, {});
    connection.start();
    await waitFor(() => network.stats.connectFailures >= 1, 5000, "the TLS failure");
    await sleep(100);
    connection.stop();
    capture.add(network.lastError, JSON.stringify(client.stats));
    expect(network.lastError).toBeDefined();
    expect(capture.leaks()).toEqual([]);
  });

  it("a host name that does not resolve, with credentials", async () => {
    const { connection, network } = capturedClient(capture, { host: "no-such-host.invalid", port: broker.port }, {});
    connection.start();
    await waitFor(() => capture.lines.some((l) => l === "resolve failed"), 10_000, "the DNS failure");
    connection.stop();
    capture.add(network.lastError);
    expect(capture.leaks()).toEqual([]);
  });

  it("bad options: every thrown message and stack is free of the credentials", () => {
    const bad: Partial<ClientOptions>[] = [
      { username: undefined }, // a password without a user name
      { username: USERNAME + "\uD800" }, // a lone surrogate in the user name
      { password: PASSWORD + "\uDC00" }, // ... in the password
      { password: PASSWORD.repeat(3000) }, // a password over 65,535 bytes
      { username: USERNAME.repeat(3000) },
      { keepalive: 70_000 },
      { keepalive: -1 },
      { controlBufferSize: 20 }, // smaller than the CONNECT that carries the credentials
      { receiveBufferSize: 3 },
      { queuePolicy: "nonsense" as never },
      { clientId: 42 as never },
      { clean: false, clientId: "" },
      { will: { topic: "a/+", payload: "x" } },
      { password: { toString: () => PASSWORD } as never }, // not a string or bytes
      { username: { toString: () => USERNAME } as never },
    ];
    let thrown = 0;
    for (const options of bad) {
      try {
        new MqttClient({ clientId: "bad-options", username: USERNAME, password: PASSWORD, ...options });
      } catch (error) {
        thrown++;
        capture.add(error);
      }
    }
    expect(thrown).toBe(bad.length);
    expect(capture.leaks()).toEqual([]);
  });

  it("the capture finds a planted credential (the check can fail)", () => {
    const planted = new Capture();
    planted.add("ok", new Error("bad password " + PASSWORD));
    expect(planted.leaks()).toHaveLength(1);
    planted.add({ nested: { user: USERNAME } });
    expect(planted.leaks()).toHaveLength(2);
  });

  it("errorMessage() for every code has no credentials (and says something)", () => {
    // Every code the client can report (its tables, so a new code is checked too), and two it never makes.
    const codes = [0x00, 0x81, 0x82, 0x84, 0x85, 0x86, 0x87, 0x88, 0x8d, 0x95, ...Object.values(DisconnectReason), ...Object.values(ClientError), -1, -18];
    for (const code of codes) capture.add(errorMessage(code));
    for (const code of codes) expect(errorMessage(code).length).toBeGreaterThan(5);
    expect(capture.leaks()).toEqual([]);
  });
});

// Found by this suite: the client kept the app's whole options object, credentials included, and a debug print
// showed them. It now keeps only the callbacks, and CONNECT's bytes in a #private field.
it("printing the client object does not show the credentials", () => {
  const client = new MqttClient({ clientId: "printed", username: USERNAME, password: PASSWORD });
  const printed = inspect(client, { depth: 8 });
  expect(printed.includes(PASSWORD) || printed.includes(USERNAME)).toBe(false);
});

// Found by this suite: a user name or password of the wrong type was refused with another option's reason.
it("a user name or password of the wrong type is refused with its own reason", () => {
  expect(() => new MqttClient({ clientId: "x", username: 12345 as never })).toThrow(/username/);
  expect(() => new MqttClient({ clientId: "x", username: "u", password: 12345 as never })).toThrow(/password/);
});

// ---- App input refused at the call ------------------------------------------------------------------------

describe("input from the app that breaks a rule is refused at the call, with a reason", () => {
  const started = (options: Partial<ClientOptions> = {}) => {
    const client = new MqttClient({ clientId: "input", ...options });
    client.start(0);
    return client;
  };

  it("client id: a lone surrogate, or more than 65,535 UTF-8 bytes (counted in bytes, not characters)", () => {
    expect(() => new MqttClient({ clientId: "dev\uD800ice" })).toThrow(/clientId is not valid UTF-8/);
    expect(() => new MqttClient({ clientId: "\uDC00" })).toThrow(TypeError);
    expect(() => new MqttClient({ clientId: "x".repeat(65_536) })).toThrow(/longer than 65535 bytes/);
    expect(() => new MqttClient({ clientId: "€".repeat(21_846) })).toThrow(/longer than 65535 bytes/); // 65,538 bytes
    expect(new MqttClient({ clientId: "x".repeat(65_535) }).options.controlBufferSize).toBeGreaterThan(65_535); // the limit itself is fine
    expect(() => new MqttClient({ clientId: "", clean: false })).toThrow(/empty clientId needs clean/);
  });

  it("will: a wildcard, an empty topic, U+0000, a lone surrogate, QoS 3", () => {
    for (const topic of ["a/+", "status/#", "+", "#"]) expect(() => new MqttClient({ clientId: "w", will: { topic, payload: "x" } }), topic).toThrow(/will\.topic .* is not a valid topic name/);
    expect(() => new MqttClient({ clientId: "w", will: { topic: "", payload: "x" } })).toThrow(/will\.topic/);
    expect(() => new MqttClient({ clientId: "w", will: { topic: "a\u0000b", payload: "x" } })).toThrow(/will\.topic/);
    expect(() => new MqttClient({ clientId: "w", will: { topic: "a\uD800", payload: "x" } })).toThrow(/will\.topic is not valid UTF-8/);
    expect(() => new MqttClient({ clientId: "w", will: { topic: "a", payload: "x\uDFFF" } })).toThrow(/will\.payload is not valid UTF-8/);
    expect(() => new MqttClient({ clientId: "w", will: { topic: "a", payload: "x", qos: 3 as never } })).toThrow(/will\.qos/);
  });

  it("publish: invalid topics give InvalidTopic (-103), with a sentence", () => {
    const client = started();
    for (const topic of ["a/+", "a/#", "+", "#", "", "a\u0000b", "a\uD800", "\uDC00b", "x".repeat(65_536)]) {
      expect(client.publish(topic, "x", 1), JSON.stringify(topic.slice(0, 12))).toBe(ClientError.InvalidTopic);
    }
    expect(errorMessage(ClientError.InvalidTopic)).toMatch(/invalid topic name/);
    expect(client.queuedCount()).toBe(0);
    expect(() => new TopicHandle("a/+")).toThrow(/not a valid topic name/);
    expect(() => new TopicHandle("a\uD800")).toThrow(/not valid UTF-8/);
  });

  it("publish: QoS other than 0, 1, 2 gives InvalidQoS (-104)", () => {
    const client = started();
    for (const qos of [3, -1, 1.5, NaN, "1", null]) expect(client.publish("t", "x", qos as never), String(qos)).toBe(ClientError.InvalidQoS);
    expect(errorMessage(ClientError.InvalidQoS)).toMatch(/QoS must be 0, 1 or 2/);
  });

  it("publish: payload ranges outside the array, or numbers that are not integers, give InvalidArgument (-109); a packet over the transmit buffer PayloadTooLarge (-105)", () => {
    const client = started({ transmitBufferSize: 256 });
    const bytes = new Uint8Array(10);
    expect(client.publish("t", bytes, 1, false, -1, 2)).toBe(ClientError.InvalidArgument); // negative offset
    expect(client.publish("t", bytes, 1, false, 8, 3)).toBe(ClientError.InvalidArgument); // past the end
    expect(client.publish("t", bytes, 1, false, 11)).toBe(ClientError.InvalidArgument); // offset past the end
    expect(client.publish("t", bytes, 1, false, 0, 11)).toBe(ClientError.InvalidArgument);
    expect(client.publish("t", bytes, 1, false, NaN)).toBe(ClientError.InvalidArgument);
    expect(client.publish("t", bytes, 1, false, 0, 2.5)).toBe(ClientError.InvalidArgument);
    expect(client.publish("t", new Uint8Array(300), 1)).toBe(ClientError.PayloadTooLarge); // over the transmit buffer
    expect(client.publish("t", "x\uD800", 1)).toBe(ClientError.InvalidPayload); // a string payload that has no UTF-8 form
    expect(client.publish("t", bytes, 1, false, 2, 8)).toBeGreaterThan(0); // the edge itself is fine
    expect(client.publish("t", bytes, 1, false, 10, 0)).toBeGreaterThan(0);
    expect(errorMessage(ClientError.InvalidArgument)).toMatch(/out of range/);
    expect(errorMessage(ClientError.PayloadTooLarge)).toMatch(/larger than the transmit buffer/);
    expect(client.queuedCount()).toBe(2);
  });

  it("publish after end(): Ended (-107)", () => {
    const client = started();
    client.end(0);
    expect(client.publish("t", "x", 1)).toBe(ClientError.Ended);
  });

  it("subscribe: invalid filters and QoS throw an error with its code and the filter named; a full table SubscriptionsFull", () => {
    const client = started({ subscriptions: 2 });
    const code = (f: () => void) => {
      try {
        f();
        return 0;
      } catch (error) {
        expect(error).toBeInstanceOf(TypeError);
        return (error as { code: number }).code;
      }
    };
    for (const topic of ["a/#/b", "a#", "a/b#", "a+", "+a/b", "a/+b", "", "a\u0000", "a\uD800"]) {
      expect(code(() => client.subscribe([{ topic }])), JSON.stringify(topic)).toBe(ClientError.InvalidTopic);
    }
    expect(() => client.subscribe([{ topic: "a/#/b" }])).toThrow(/topic filter "a\/#\/b" is not valid/);
    expect(code(() => client.subscribe([{ topic: "x".repeat(65_536) }]))).toBe(ClientError.InvalidTopic);
    expect(() => client.subscribe([{ topic: "a", qos: 3 as never }])).toThrow(/qos must be 0, 1 or 2/);
    expect(code(() => client.subscribe([]))).toBe(ClientError.InvalidArgument);
    // A bad filter among good ones refuses the whole call: nothing is half-subscribed.
    expect(code(() => client.subscribe([{ topic: "ok/1" }, { topic: "bad/#/x" }]))).toBe(ClientError.InvalidTopic);
    client.subscribe([{ topic: "ok/+" }, { topic: "ok/#" }]);
    expect(code(() => client.subscribe([{ topic: "more" }]))).toBe(ClientError.SubscriptionsFull);
  });
});
