/**
 * Errors that say why: every way a connection fails or ends reaches the app as its own TransportCause
 * (connection.cause, read in onDisconnected) with words naming the address, port or name, over real
 * sockets (host-sim's device modules on node:net / node:tls, servers on loopback, certificates made with
 * openssl): refused, host not found, TLS unknown CA / expired / name mismatch, connect timeout, Wi-Fi down,
 * closed and reset by the broker. Then the same failures with a network that passes no cause, as a
 * Moddable device's sockets: what the adapter infers.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DisconnectReason, MqttClient } from "../../firmware/mqtt/index.js";
import { TransportCause } from "../../firmware/mqtt/client/errors.js";
import { describeCause } from "../../firmware/net/causes.js";
import { MqttConnection, type BrokerAddress } from "../../firmware/net/connection.js";
import { SimNetwork, type NetworkOptions } from "../../host-sim/network.js";
import { makeCertificates } from "./mosquitto.js";
import { simulatedDevice } from "../../host-sim/simulated-device.js";
import { waitFor } from "./sim.js";

interface Disconnect {
  reason: number;
  cause: number;
  words: string;
  /** Milliseconds from the disconnect to the next attempt. */
  retryIn: number;
}

/** Our client over the simulated device modules; the first disconnect (with its cause and words) is kept. */
async function firstDisconnect(broker: BrokerAddress, network: NetworkOptions = {}, setUp?: (n: SimNetwork) => void, connectTimeout = 5000) {
  const net = new SimNetwork({ name: "causes", dnsRetryMs: 10, ...network });
  setUp?.(net);
  const got: Disconnect[] = [];
  let connects = 0;
  const client = new MqttClient({
    clientId: "causes",
    reconnectPeriod: 2000,
    connectTimeout,
    random: () => 0.5,
    onConnected: () => connects++,
    onDisconnected: (reason) => {
      const cause = connection.cause;
      got.push({ reason, cause, words: describeCause(cause, connection), retryIn: client.nextAttemptAt - connection.now() });
    },
  });
  const connection: MqttConnection = new MqttConnection(client, broker, simulatedDevice(net));
  connection.start();
  await waitFor(() => got.length > 0, 15_000, "a disconnect");
  connection.stop();
  return { ...got[0]!, connects };
}

/** A TCP server on a loopback port; `onSocket` decides what each connection gets. */
async function tcpServer(onSocket: (socket: Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onSocket(socket);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = await tcpServer(() => {});
  await server.close();
  return server.port;
}

const CONNACK = Buffer.from([0x20, 2, 0, 0]);

describe("the cause of a failed or lost connection, over real sockets", () => {
  let dir: string;
  let ca: Uint8Array;
  let otherCa: Uint8Array;
  let good: { port: number; close: () => Promise<void> };
  let expired: { port: number; close: () => Promise<void> };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mqtt-xs-causes-"));
    // The CA, another CA and a leaf for localhost/127.0.0.1 (mosquitto.ts), and an expired leaf from the same CA:
    // -days -1 puts notAfter a day before notBefore (now).
    ({ ca, otherCa } = makeCertificates(dir));
    execFileSync("openssl", ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "expired.crt", "-days", "-1", "-extfile", "san.ext"], { cwd: dir, stdio: "pipe" });
    const tls = async (certFile: string) => {
      const server = createTlsServer({ key: readFileSync(join(dir, "server.key")), cert: readFileSync(join(dir, certFile)) }, (socket) => {
        socket.on("error", () => {});
        socket.once("data", () => socket.write(CONNACK));
      });
      server.on("tlsClientError", () => {});
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      return { port: (server.address() as { port: number }).port, close: () => new Promise<void>((r) => server.close(() => r())) };
    };
    good = await tls("server.crt");
    expired = await tls("expired.crt");
  });

  afterAll(async () => {
    await good?.close();
    await expired?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the control case: the right CA and name connect over TLS", async () => {
    const net = new SimNetwork({ name: "control" });
    let connects = 0;
    const client = new MqttClient({ clientId: "control", onConnected: () => connects++ });
    const connection = new MqttConnection(client, { host: "127.0.0.1", port: good.port, tls: true, ca, serverName: "localhost" }, simulatedDevice(net));
    connection.start();
    await waitFor(() => connects === 1, 10_000, "a TLS connection");
    connection.stop();
  });

  it("refused: a closed loopback port is 'connection refused by 127.0.0.1:<port>', and the next attempt is due", async () => {
    const port = await closedPort();
    const d = await firstDisconnect({ host: "127.0.0.1", port });
    expect(d.cause).toBe(TransportCause.ConnectionRefused);
    expect(d.reason).toBe(DisconnectReason.ConnectionLost);
    expect(d.words).toBe(`connection refused by 127.0.0.1:${port}`);
    // reconnectPeriod 2000, random 0.5: a delay in [1000, 2000) -> 1500 from the loss, read a moment later
    expect(d.retryIn).toBeLessThanOrEqual(1500);
    expect(d.retryIn).toBeGreaterThan(1450);
  });

  it("host not found: nonexistent.invalid (RFC 6761: never resolves)", async () => {
    const d = await firstDisconnect({ host: "nonexistent.invalid", port: 1883 });
    expect(d.cause).toBe(TransportCause.HostNotFound);
    expect(d.words).toBe("host not found: nonexistent.invalid");
  });

  it("TLS, unknown CA: the broker's certificate is not signed by the CA given", async () => {
    const d = await firstDisconnect({ host: "127.0.0.1", port: good.port, tls: true, ca: otherCa, serverName: "localhost" });
    expect(d.cause).toBe(TransportCause.TLSUnknownCA);
    expect(d.words).toContain("unknown CA");
  });

  it("TLS, expired certificate", async () => {
    const d = await firstDisconnect({ host: "127.0.0.1", port: expired.port, tls: true, ca, serverName: "localhost" });
    expect(d.cause).toBe(TransportCause.TLSCertificateExpired);
    expect(d.words).toContain("certificate expired");
  });

  it("TLS, name mismatch: says the name it expected", async () => {
    const d = await firstDisconnect({ host: "127.0.0.1", port: good.port, tls: true, ca, serverName: "broker.example.com" });
    expect(d.cause).toBe(TransportCause.TLSNameMismatch);
    expect(d.words).toBe("TLS: certificate name mismatch (expected broker.example.com)");
  });

  it("connect timeout: a server that accepts TCP and never answers the TLS ClientHello, within connectTimeout", async () => {
    const silent = await tcpServer(() => {});
    const started = Date.now();
    const d = await firstDisconnect({ host: "127.0.0.1", port: silent.port, tls: true, ca, serverName: "localhost" }, {}, undefined, 500);
    await silent.close();
    expect(d.cause).toBe(TransportCause.ConnectTimeout);
    expect(d.reason).toBe(DisconnectReason.ConnectTimeout);
    expect(d.words).toBe(`connect timeout after 0.5 s (127.0.0.1:${silent.port})`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
  });

  it("no CONNACK after TCP connected is the client's own timeout, not the transport's: no cause", async () => {
    const mute = await tcpServer(() => {});
    const d = await firstDisconnect({ host: "127.0.0.1", port: mute.port }, {}, undefined, 500);
    await mute.close();
    expect(d.reason).toBe(DisconnectReason.ConnectTimeout);
    expect(d.cause).toBe(TransportCause.None);
  });

  it("Wi-Fi down: the socket cannot be created ('connect error', as lwIP's tcp_connect fails): Wi-Fi down", async () => {
    const port = await closedPort();
    const d = await firstDisconnect({ host: "127.0.0.1", port }, {}, (n) => n.wifiDown());
    expect(d.cause).toBe(TransportCause.NetworkDown);
    expect(d.words).toBe("Wi-Fi down (no network)");
  });

  it("Wi-Fi down while resolving a name: Wi-Fi down, not host not found", async () => {
    const d = await firstDisconnect({ host: "localhost", port: 1883 }, {}, (n) => n.wifiDown());
    expect(d.cause).toBe(TransportCause.NetworkDown);
  });

  it("closed by the broker: a server that sends CONNACK, then closes", async () => {
    const closer = await tcpServer((socket) => socket.once("data", () => socket.end(CONNACK)));
    const d = await firstDisconnect({ host: "127.0.0.1", port: closer.port });
    await closer.close();
    expect(d.connects).toBe(1);
    expect(d.cause).toBe(TransportCause.ClosedByBroker);
    expect(d.words).toBe(`closed by the broker (127.0.0.1:${closer.port})`);
  });

  it("reset by the broker: a server that sends CONNACK, then resets", async () => {
    const resetter = await tcpServer((socket) =>
      socket.once("data", () => socket.write(CONNACK, () => setTimeout(() => socket.resetAndDestroy(), 50))),
    );
    const d = await firstDisconnect({ host: "127.0.0.1", port: resetter.port });
    await resetter.close();
    expect(d.connects).toBe(1);
    expect(d.cause).toBe(TransportCause.ConnectionReset);
  });

  describe("a network that passes no cause, as a Moddable device's sockets: what the adapter infers", () => {
    it("refused: onError before the first onWritable is 'could not connect' (refused or unreachable)", async () => {
      const port = await closedPort();
      const d = await firstDisconnect({ host: "127.0.0.1", port }, { causes: false });
      expect(d.cause).toBe(TransportCause.ConnectFailed);
      expect(d.words).toBe(`could not connect to 127.0.0.1:${port} (refused or unreachable)`);
    });

    it("closed after CONNACK: onError after the first onWritable is 'connection closed'", async () => {
      const closer = await tcpServer((socket) => socket.once("data", () => socket.end(CONNACK)));
      const d = await firstDisconnect({ host: "127.0.0.1", port: closer.port }, { causes: false });
      await closer.close();
      expect(d.connects).toBe(1);
      expect(d.cause).toBe(TransportCause.ConnectionClosed);
    });

    it("host not found: the resolver's onError(host)", async () => {
      const d = await firstDisconnect({ host: "nonexistent.invalid", port: 1883 }, { causes: false });
      expect(d.cause).toBe(TransportCause.HostNotFound);
    });

    it("Wi-Fi down: the constructor's 'connect error'", async () => {
      const d = await firstDisconnect({ host: "127.0.0.1", port: 1883 }, { causes: false }, (n) => n.wifiDown());
      expect(d.cause).toBe(TransportCause.NetworkDown);
    });
  });
});
