/**
 * The TLS options end to end, over real sockets on loopback (host-sim's device modules on node:tls, the
 * composed client's options through MqttConnection into the TLS socket's `secure` options):
 * - Mutual TLS against mosquitto with `require_certificate true`: our certificate and key (DER, signed by
 *   the broker's CA) connect, and a message goes through mosquitto and back; no certificate, and a
 *   certificate from another CA, are refused, each with its own cause and words. (A device tells none of
 *   these apart: it reports TLSFailed, test/unit/connection.test.ts.)
 * - SNI and ALPN against a TLS front of our own (a TCP server that reads the ClientHello and refuses, with the
 *   TLS alert a server sends, a wrong or missing server name (unrecognized_name) or no "mqtt" among the ALPN
 *   protocols (no_application_protocol); otherwise node:tls takes the handshake and pipes to mosquitto):
 *   serverName and ALPNProtocols connect and carry a message; without ALPN, with another protocol, or with
 *   another server name, refused with their causes; and the host name is sent as the server name when
 *   serverName is not given.
 * Absent mosquitto, this file skips loudly (mosquittoAvailable), and fails under CI=true.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DisconnectReason } from "../../firmware/mqtt/index.js";
import { TransportCause } from "../../firmware/mqtt/client/errors.js";
import { describeCause } from "../../firmware/net/causes.js";
import { Mqtt, type MqttOptions } from "../../firmware/net/mqtt.js";
import { SimNetwork } from "../../host-sim/network.js";
import { simulatedDevice } from "../../host-sim/simulated-device.js";
import { makeCertificates, Mosquitto, mosquittoAvailable, type Certificates } from "./mosquitto.js";
import { waitFor } from "./sim.js";
import { tlsFront, type Front } from "./tls-front.js";

const available = mosquittoAvailable();

interface Outcome {
  connected: boolean;
  reason: number;
  cause: number;
  words: string;
  /** The payloads of messages received on the round-trip topic. */
  received: string[];
}

type Options = Omit<MqttOptions, "device" | "clientId">;

/**
 * Our composed client on a simulated board: connects, and if connected subscribes to a topic and publishes
 * to it (QoS 1) and waits for the message to come back through the broker; else the first disconnect.
 */
async function attempt(name: string, options: Options): Promise<Outcome> {
  const network = new SimNetwork({ name });
  const outcome: Outcome = { connected: false, reason: -1, cause: -1, words: "", received: [] };
  const topic = `mqtt-xs/tls/${name}/${process.pid}`;
  const mqtt = new Mqtt({
    ...options,
    device: simulatedDevice(network),
    clientId: `tls-${name}`.slice(0, 23),
    reconnectPeriod: 5000,
    connectTimeout: 5000,
    onConnected() {
      outcome.connected = true;
      this.subscribe(topic, 1, (message) => outcome.received.push(message.payloadString()));
      this.publish(topic, `hello over TLS from ${name}`, 1);
    },
    onDisconnected(reason, cause) {
      if (outcome.reason !== -1) return;
      outcome.reason = reason;
      outcome.cause = cause;
      outcome.words = describeCause(cause, this.connection);
    },
  }).start();
  try {
    await waitFor(() => outcome.received.length > 0 || outcome.reason !== -1, 15_000, `${name}: a message back, or a disconnect`);
    return { ...outcome, received: [...outcome.received] }; // before end(), whose own disconnect is not the outcome
  } finally {
    mqtt.end(true);
  }
}


describe.skipIf(!available)("TLS options over real sockets (mosquitto, and a TLS front of our own)", () => {
  let dir: string;
  let certs: Certificates;
  let broker: Mosquitto;
  /** Ours, signed by the broker's CA: certificate and key, DER (PKCS#8 for the key). */
  let cert: Uint8Array;
  let key: Uint8Array;
  /** Signed by another CA. */
  let rogueCert: Uint8Array;
  let rogueKey: Uint8Array;
  /** Fronts that want SNI broker.test (a certificate for it) and localhost, each with ALPN "mqtt". */
  let front: Front;
  let localFront: Front;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mqtt-xs-tls-"));
    certs = makeCertificates(dir); // ca.crt/ca.key, other.crt/other.key, server.key and a leaf for localhost
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    const der = (...args: string[]) => new Uint8Array(execFileSync("openssl", args, { cwd: dir }));
    const client = (name: string, caName: string) => {
      run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
      run("x509", "-req", "-in", `${name}.csr`, "-CA", `${caName}.crt`, "-CAkey", `${caName}.key`, "-CAcreateserial", "-out", `${name}.crt`, "-days", "2");
      return {
        cert: der("x509", "-in", `${name}.crt`, "-outform", "DER"),
        key: der("pkcs8", "-topk8", "-nocrypt", "-in", `${name}.key`, "-outform", "DER"),
      };
    };
    ({ cert, key } = client("device-1", "ca"));
    ({ cert: rogueCert, key: rogueKey } = client("rogue", "other"));
    writeFileSync(join(dir, "front.ext"), "subjectAltName=DNS:broker.test\n");
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "front.crt", "-days", "2", "-extfile", "front.ext");

    broker = await Mosquitto.start({ tls: certs, requireCertificate: true });
    const serverKey = readFileSync(join(dir, "server.key"));
    front = await tlsFront("broker.test", "mqtt", { key: serverKey, cert: readFileSync(join(dir, "front.crt")) }, broker.port);
    localFront = await tlsFront("localhost", "mqtt", { key: serverKey, cert: readFileSync(certs.certFile) }, broker.port);
  });

  afterAll(async () => {
    await front?.close();
    await localFront?.close();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("mutual TLS: mosquitto with require_certificate true", () => {
    const mtls = (): Options => ({ host: "127.0.0.1", port: broker.tlsPort, tls: true, ca: certs.ca, serverName: "localhost" });

    it("our certificate and key (DER, signed by the broker's CA): connected, and a message goes through mosquitto and back", async () => {
      const got = await attempt("mtls-right", { ...mtls(), cert, key });
      expect(got.words).toBe(""); // no disconnect
      expect(got.connected).toBe(true);
      expect(got.received).toEqual(["hello over TLS from mtls-right"]);
    });

    it("a certificate with its chain as a list (leaf first) works the same", async () => {
      const got = await attempt("mtls-list", { ...mtls(), cert: [cert], key });
      expect(got.received).toEqual(["hello over TLS from mtls-list"]);
    });

    it("no certificate: refused, 'requires a client certificate'", async () => {
      const got = await attempt("mtls-none", mtls());
      expect(got.connected).toBe(false);
      expect(got.reason).toBe(DisconnectReason.ConnectionLost);
      expect(got.cause).toBe(TransportCause.TLSClientCertificateRequired);
      expect(got.words).toBe(`TLS: 127.0.0.1:${broker.tlsPort} requires a client certificate (give cert and key)`);
    });

    it("a certificate from another CA: refused, 'refused our client certificate'", async () => {
      const got = await attempt("mtls-rogue", { ...mtls(), cert: rogueCert, key: rogueKey });
      expect(got.connected).toBe(false);
      expect(got.cause).toBe(TransportCause.TLSClientCertificateRefused);
      expect(got.words).toBe(`TLS: 127.0.0.1:${broker.tlsPort} refused our client certificate (signed by a CA it does not trust, expired or revoked)`);
    });

  });

  describe("SNI and ALPN: a front that wants server name broker.test and ALPN mqtt, piping to mosquitto", () => {
    const fronted = (): Options => ({ host: "127.0.0.1", port: front.port, tls: true, ca: certs.ca, serverName: "broker.test" });

    it("serverName broker.test and ALPNProtocols ['mqtt']: connected, and a message goes through the front and mosquitto", async () => {
      const before = front.hellos.length;
      const got = await attempt("front-ok", { ...fronted(), ALPNProtocols: ["mqtt"] });
      expect(got.words).toBe("");
      expect(got.received).toEqual(["hello over TLS from front-ok"]);
      expect(front.hellos.slice(before)).toEqual([{ serverName: "broker.test", alpn: ["mqtt"] }]);
    });

    it("several ALPN protocols are offered in order, and the front picks mqtt", async () => {
      const before = front.hellos.length;
      const got = await attempt("front-two", { ...fronted(), ALPNProtocols: ["x-other", "mqtt"] });
      expect(got.received.length).toBe(1);
      expect(front.hellos.slice(before)).toEqual([{ serverName: "broker.test", alpn: ["x-other", "mqtt"] }]);
    });

    it("no ALPN: refused, 'accepts none of our ALPN protocols (none offered)'", async () => {
      const got = await attempt("front-no-alpn", fronted());
      expect(got.connected).toBe(false);
      expect(got.cause).toBe(TransportCause.TLSNoApplicationProtocol);
      expect(got.words).toBe(`TLS: 127.0.0.1:${front.port} accepts none of our ALPN protocols (none offered: give ALPNProtocols)`);
    });

    it("another protocol only: refused, naming what was offered", async () => {
      const got = await attempt("front-wrong-alpn", { ...fronted(), ALPNProtocols: ["x-other"] });
      expect(got.cause).toBe(TransportCause.TLSNoApplicationProtocol);
      expect(got.words).toBe(`TLS: 127.0.0.1:${front.port} accepts none of our ALPN protocols (offered: x-other)`);
    });

    it("another server name: refused, 'does not know the server name ... (SNI)'", async () => {
      const before = front.hellos.length;
      const got = await attempt("front-wrong-sni", { ...fronted(), serverName: "localhost", ALPNProtocols: ["mqtt"] });
      expect(got.connected).toBe(false);
      expect(got.cause).toBe(TransportCause.TLSUnrecognizedName);
      expect(got.words).toBe(`TLS: 127.0.0.1:${front.port} does not know the server name localhost (SNI)`);
      expect(front.hellos.slice(before)).toEqual([{ serverName: "localhost", alpn: ["mqtt"] }]);
    });


    it("the server name is always sent: the host name (localhost, resolved by DNS) when serverName is not given", async () => {
      const before = localFront.hellos.length;
      const got = await attempt("front-host", { host: "localhost", port: localFront.port, tls: true, ca: certs.ca, ALPNProtocols: ["mqtt"] });
      expect(got.words).toBe("");
      expect(got.received).toEqual(["hello over TLS from front-host"]);
      expect(localFront.hellos.slice(before)).toEqual([{ serverName: "localhost", alpn: ["mqtt"] }]);
    });
  });
});
