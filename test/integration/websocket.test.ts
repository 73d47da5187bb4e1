// MQTT over WebSockets (firmware/net/ws/) end to end: our MqttClient + MqttConnection over webSocketOver()
// wrapping host-sim's TCP, against aedes served by `ws` on loopback with MQTT.js (over ws://) as a second
// peer; then the faults: every frame split at every byte both ways (SimNetwork's drip plus a front that
// forwards one byte per write), and against a scripted raw WebSocket server: a Ping, a Close in
// mid-message, an oversized frame, the TCP stream ending inside a frame, and a 404 instead of 101.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebSocketStream, WebSocketServer } from "ws";
import { ClientState, MqttClient } from "../../firmware/mqtt/index.js";
import type { ClientOptions } from "../../firmware/mqtt/client/options.js";
import { MqttConnection } from "../../firmware/net/connection.js";
import { WebSocketCause } from "../../firmware/net/ws/causes.js";
import { webSocketOver, type WebSocketOptions } from "../../firmware/net/ws/socket.js";
import { describeCause } from "../../firmware/net/causes.js";
import { connect } from "../../host-sim/index.js";
import { SimNetwork } from "../../host-sim/network.js";
import { simulatedDevice } from "../../host-sim/simulated-device.js";
import { makeCertificates } from "./mosquitto.js";
import { waitFor } from "./sim.js";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

interface WsBroker {
  port: number;
  aedes: Aedes;
  close(): Promise<void>;
}

/** aedes behind `ws` on an HTTP (or HTTPS) server, path /mqtt (ws picks the client's first subprotocol: mqtt). */
async function startWsBroker(tls?: { key: Buffer; cert: Buffer }): Promise<WsBroker> {
  const aedes = await Aedes.createBroker();
  const http: HttpServer = tls ? createHttpsServer(tls) : createHttpServer();
  const wss = new WebSocketServer({ server: http, path: "/mqtt" });
  wss.on("connection", (socket) => aedes.handle(createWebSocketStream(socket) as never));
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const port = (http.address() as { port: number }).port;
  return {
    port,
    aedes,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}

/** A TCP front that forwards every byte in its own write, both ways: frames split at every byte. */
async function startSplittingFront(target: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const pump = (from: Socket, to: Socket) => {
    let chain = Promise.resolve();
    from.on("data", (chunk: Buffer) => {
      chain = chain.then(async () => {
        for (const byte of chunk) {
          if (to.destroyed) return;
          to.write(Buffer.of(byte));
          await new Promise((r) => setImmediate(r));
        }
      });
    });
    from.on("close", () => void chain.then(() => to.end()));
  };
  const server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = createConnection({ port: target, host: "127.0.0.1", noDelay: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
    }
    pump(client, upstream);
    pump(upstream, client);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface WsClient {
  client: MqttClient;
  connection: MqttConnection;
  network: SimNetwork;
  events: string[];
  causes: number[];
}

/** Our client over MQTT-over-WebSockets on its own simulated network. */
function wsClient(name: string, port: number, options: Partial<ClientOptions> = {}, ws: Partial<WebSocketOptions> = {}): WsClient {
  const network = new SimNetwork({ name });
  const device = simulatedDevice(network);
  const events: string[] = [];
  const causes: number[] = [];
  device.TCP = webSocketOver(device.TCP, { host: "127.0.0.1", port, path: "/mqtt", Timer: device.Timer, ...ws });
  const client = new MqttClient({
    clientId: name,
    reconnectPeriod: 100,
    reconnectPeriodMax: 500,
    ...options,
    onConnected: (present, properties) => {
      events.push("connected " + (present ? 1 : 0));
      options.onConnected?.(present, properties);
    },
    onDisconnected: (reason) => {
      causes.push(connection.cause);
      events.push("disconnected 0x" + reason.toString(16) + " cause 0x" + connection.cause.toString(16));
      options.onDisconnected?.(reason);
    },
  });
  const connection: MqttConnection = new MqttConnection(client, { host: "127.0.0.1", port }, device);
  return { client, connection, network, events, causes };
}

/** Publishes `count` numbered messages each way between our client and MQTT.js over aedes, and checks them all. */
async function exchange(broker: WsBroker, port: number, name: string, count: number, payloadSize = 10): Promise<void> {
  const received: string[] = [];
  const ours = wsClient(name, port, {
    receiveBufferSize: 8192,
    maxPacketSize: 8192,
    transmitBufferSize: 16_384,
    onMessage: (m) => received.push(m.topicString() + " " + m.payloadString()),
  });
  const peer = await mqtt.connectAsync(`ws://127.0.0.1:${broker.port}/mqtt`, { clientId: name + "-peer" });
  const seenByPeer: string[] = [];
  peer.on("message", (topic, payload) => seenByPeer.push(topic + " " + payload.toString()));
  await peer.subscribeAsync(name + "/up", { qos: 1 });
  const pad = (n: number) => String(n).padStart(payloadSize, "0");
  try {
    ours.connection.start();
    await waitFor(() => ours.client.state === ClientState.Connected, 10_000, "our client connected over ws");
    ours.client.subscribe([{ topic: name + "/down", qos: 1 }]);
    ours.connection.service();
    await waitFor(() => broker.aedes.connectedClients >= 2, 5000, "both connected");
    await new Promise((r) => setTimeout(r, 100)); // the SUBACK
    for (let n = 0; n < count; n++) {
      expect(ours.client.publish(name + "/up", pad(n), 1)).toBeGreaterThan(0);
      ours.connection.service();
      await peer.publishAsync(name + "/down", pad(n), { qos: 1 });
    }
    await waitFor(() => received.length === count && seenByPeer.length === count && ours.client.queuedCount() === 0, 30_000, `${count} messages each way`);
    expect(received).toEqual(Array.from({ length: count }, (_, n) => name + "/down " + pad(n)));
    expect(seenByPeer).toEqual(Array.from({ length: count }, (_, n) => name + "/up " + pad(n)));
    expect(ours.events).toEqual(["connected 0"]);
  } finally {
    ours.connection.stop();
    await peer.endAsync();
  }
}

let broker: WsBroker;
beforeAll(async () => {
  broker = await startWsBroker();
});
afterAll(async () => {
  await broker.close();
});

describe("MQTT over WebSockets with aedes (ws) and MQTT.js", () => {
  it("publishes and subscribes at QoS 1 both ways", async () => {
    await exchange(broker, broker.port, "ws-plain", 50);
  });

  it("messages larger than a frame stage and the receive ring (3 KB each way) arrive whole", async () => {
    await exchange(broker, broker.port, "ws-large", 5, 3000);
  });

  it("the composed client from a ws:// URL: connect(\"ws://host:port/mqtt\") publishes to an MQTT.js subscriber; a wrong path says so", async () => {
    const peer = await mqtt.connectAsync(`ws://127.0.0.1:${broker.port}/mqtt`);
    const seen: string[] = [];
    peer.on("message", (_t, p) => seen.push(p.toString()));
    await peer.subscribeAsync("url/up", { qos: 1 });
    const acked: number[] = [];
    const ours = connect(`ws://127.0.0.1:${broker.port}/mqtt`, {
      clientId: "ws-url",
      onConnected() {
        for (let n = 0; n < 3; n++) this.publish("url/up", "u" + n, 1);
      },
      onAcked: (id) => acked.push(id),
    });
    await waitFor(() => seen.length === 3 && acked.length === 3, 10_000, "3 messages through the ws:// URL");
    expect(seen).toEqual(["u0", "u1", "u2"]);
    ours.end(true);
    await peer.endAsync();

    const lost: string[] = [];
    const wrong = connect(`ws://127.0.0.1:${broker.port}/nope`, {
      clientId: "ws-wrong-path",
      reconnectPeriod: 0,
      onDisconnected(_reason, cause) {
        lost.push(describeCause(cause, this.connection));
      },
    });
    await waitFor(() => lost.length > 0, 5000, "the refusal");
    expect(lost[0]).toBe(`WebSocket upgrade refused by 127.0.0.1:${broker.port} (no 101 Switching Protocols: is /nope its path?)`);
    wrong.end(true);
  });

  it("every frame split at every byte, both ways (drip + a one-byte-per-write front)", async () => {
    const front = await startSplittingFront(broker.port);
    try {
      const received: string[] = [];
      const ours = wsClient("ws-split", front.port, { onMessage: (m) => received.push(m.payloadString()) });
      ours.network.drip(true);
      ours.connection.start();
      await waitFor(() => ours.events.includes("connected 0"), 20_000, "connected through the splitting front");
      ours.client.subscribe([{ topic: "split/+", qos: 1 }]);
      ours.connection.service();
      await new Promise((r) => setTimeout(r, 300));
      const peer = await mqtt.connectAsync(`ws://127.0.0.1:${broker.port}/mqtt`);
      const seen: string[] = [];
      peer.on("message", (_t, p) => seen.push(p.toString()));
      await peer.subscribeAsync("split-up", { qos: 1 });
      for (let n = 0; n < 5; n++) {
        ours.client.publish("split-up", "up" + n, 1);
        ours.connection.service();
        await peer.publishAsync("split/" + n, "down" + n, { qos: 1 });
      }
      await waitFor(() => received.length === 5 && seen.length === 5, 30_000, "5 messages each way, byte by byte");
      expect(received).toEqual(["down0", "down1", "down2", "down3", "down4"]);
      expect(seen).toEqual(["up0", "up1", "up2", "up3", "up4"]);
      expect(ours.events).toEqual(["connected 0"]);
      ours.connection.stop();
      await peer.endAsync();
    } finally {
      await front.close();
    }
  });
});

/** One connection to the raw server: its handshake done, the client's frames unmasked as they come. */
interface RawPeer {
  socket: Socket;
  frames: { opcode: number; payload: Buffer }[];
  send(bytes: number[] | Buffer): void;
}

function serverFrame(opcode: number, payload: number[] | Buffer, fin = true, len?: number): Buffer {
  const body = Buffer.from(payload);
  const length = len ?? body.length;
  const head = length <= 125 ? [length] : length <= 0xffff ? [126, length >> 8, length & 0xff] : [127, 0, 0, 0, 0, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, ...head]), body]);
}

/** A WebSocket server played by the test; `script` runs per connection. `refuse` answers 404 instead. */
async function startRawServer(script: (peer: RawPeer) => void, refuse = false): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let open = false;
    const peer: RawPeer = { socket, frames: [], send: (b) => socket.write(Buffer.from(b)) };
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!open) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString();
        buffered = buffered.subarray(end + 4);
        if (refuse) {
          socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
          return;
        }
        const key = /Sec-WebSocket-Key: (\S+)/i.exec(head)![1];
        expect(head).toMatch(/Sec-WebSocket-Protocol: mqtt/);
        const accept = createHash("sha1").update(key + GUID).digest("base64");
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n`);
        open = true;
        script(peer);
      }
      // The client's frames: masked (5.3), lengths 7 or 16 bits here.
      for (;;) {
        if (buffered.length < 2) return;
        const masked = (buffered[1] & 0x80) !== 0;
        expect(masked).toBe(true);
        let length = buffered[1] & 0x7f;
        let at = 2;
        if (length === 126) {
          if (buffered.length < 4) return;
          length = buffered.readUInt16BE(2);
          at = 4;
        }
        if (buffered.length < at + 4 + length) return;
        const key = buffered.subarray(at, at + 4);
        const payload = Buffer.from(buffered.subarray(at + 4, at + 4 + length).map((b, i) => b ^ key[i & 3]));
        peer.frames.push({ opcode: buffered[0] & 0x0f, payload });
        buffered = buffered.subarray(at + 4 + length);
        socket.emit("frame", buffered);
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as { port: number }).port, server };
}

const CONNACK = [0x20, 2, 0, 0];

/** Connects our client to a raw server that runs `after` once CONNECT came; returns the client and the peer. */
async function againstRaw(name: string, after: (peer: RawPeer) => void, ws: Partial<WebSocketOptions> = {}, options: Partial<ClientOptions> = {}) {
  let peer: RawPeer | null = null;
  const raw = await startRawServer((p) => {
    peer = p;
    p.socket.on("frame", () => {
      if (p.frames.length === 1 && p.frames[0].payload[0] === 0x10) {
        p.send(serverFrame(2, CONNACK));
        after(p);
      }
    });
  });
  const ours = wsClient(name, raw.port, { reconnectPeriod: 0, ...options }, ws);
  ours.connection.start();
  await waitFor(() => peer !== null, 5000, "the raw server's connection");
  return { ours, peer: () => peer!, server: raw.server };
}

describe("MQTT over WebSockets: faults against a scripted server", () => {
  it("a Ping is answered with a Pong carrying its payload (5.5.2), between fragments of a message", async () => {
    const messages: string[] = [];
    const { ours, peer, server } = await againstRaw("ws-ping", (p) => {
      const publish = [0x30, 7, 0, 1, 0x74, 0x68, 0x65, 0x6c, 0x6f]; // QoS 0 "t" "helo"
      p.send(serverFrame(2, publish.slice(0, 4), false));
      p.send(serverFrame(9, Buffer.from("are you there")));
      p.send(serverFrame(0, publish.slice(4)));
    }, {}, { onMessage: (m) => messages.push(m.payloadString()) });
    try {
      await waitFor(() => peer().frames.some((f) => f.opcode === 10), 5000, "a Pong");
      const pong = peer().frames.find((f) => f.opcode === 10)!;
      expect(pong.payload.toString()).toBe("are you there");
      await waitFor(() => messages.length === 1, 5000, "the fragmented PUBLISH");
      expect(messages).toEqual(["helo"]);
      expect(ours.events).toEqual(["connected 0"]);
    } finally {
      ours.connection.stop();
      server.close();
    }
  });

  it("a Close in mid-message: answered with a Close echoing 1001, then the cause WebSocket closed", async () => {
    const { ours, peer, server } = await againstRaw("ws-close", (p) => {
      p.send(serverFrame(2, [0x30, 7, 0, 1], false)); // a PUBLISH's first fragment
      p.send(serverFrame(8, [0x03, 0xe9, ...Buffer.from("going away")]));
    });
    try {
      await waitFor(() => ours.causes.length === 1, 5000, "disconnected");
      expect(ours.causes).toEqual([WebSocketCause.Closed]);
      await waitFor(() => peer().frames.some((f) => f.opcode === 8), 5000, "our Close");
      const close = peer().frames.find((f) => f.opcode === 8)!;
      expect([...close.payload]).toEqual([0x03, 0xe9]);
      await waitFor(() => peer().socket.readableEnded, 5000, "the TCP connection closed by the client");
    } finally {
      ours.connection.stop();
      server.close();
    }
  });

  it("an oversized frame fails with FrameTooLarge and a Close 1009 (7.4.1)", async () => {
    const { ours, peer, server } = await againstRaw(
      "ws-big",
      (p) => p.send(serverFrame(2, [0x30], false, 5000)), // announces 5,000 bytes, over maxFrame 4,096
      { maxFrame: 4096 },
    );
    try {
      await waitFor(() => ours.causes.length === 1, 5000, "disconnected");
      expect(ours.causes).toEqual([WebSocketCause.FrameTooLarge]);
      await waitFor(() => peer().frames.some((f) => f.opcode === 8), 5000, "a Close");
      expect([...peer().frames.find((f) => f.opcode === 8)!.payload]).toEqual([0x03, 0xf1]);
    } finally {
      ours.connection.stop();
      server.close();
    }
  });

  it("a 64-bit length with its top bit set, a masked frame and a text frame each fail with their cause", async () => {
    const bad: [number[] | Buffer, number][] = [
      [[0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1], WebSocketCause.FrameTooLarge],
      [[0x82, 0x82, 1, 2, 3, 4, 0x20 ^ 1, 2 ^ 2], WebSocketCause.ProtocolError],
      [serverFrame(1, Buffer.from("hi")), WebSocketCause.NotBinary],
    ];
    for (const [bytes, cause] of bad) {
      const { ours, server } = await againstRaw("ws-bad-" + cause, (p) => p.send(bytes as number[]));
      try {
        await waitFor(() => ours.causes.length === 1, 5000, "disconnected");
        expect(ours.causes).toEqual([cause]);
      } finally {
        ours.connection.stop();
        server.close();
      }
    }
  });

  it("the TCP stream ending inside a frame is the broker closing the connection", async () => {
    const { ours, server } = await againstRaw("ws-cut", (p) => {
      p.send(serverFrame(2, [0x30, 7, 0], false, 9).subarray(0, 4));
      setTimeout(() => p.socket.end(), 50);
    });
    try {
      await waitFor(() => ours.causes.length === 1, 5000, "disconnected");
      expect([0x220, 0x221]).toContain(ours.causes[0]);
    } finally {
      ours.connection.stop();
      server.close();
    }
  });

  it("a 404 instead of 101 is HandshakeRefused, and the client never counts as connected", async () => {
    const raw = await startRawServer(() => undefined, true);
    const ours = wsClient("ws-404", raw.port, { reconnectPeriod: 0 });
    ours.connection.start();
    try {
      await waitFor(() => ours.causes.length === 1, 5000, "disconnected");
      expect(ours.causes).toEqual([WebSocketCause.HandshakeRefused]);
      expect(ours.events.some((e) => e.startsWith("connected"))).toBe(false);
    } finally {
      ours.connection.stop();
      raw.server.close();
    }
  });
});

describe("MQTT over secure WebSockets (wss) with aedes", () => {
  it("connects over host-sim's TLS socket with the CA, and a message goes through aedes and back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mqtt-xs-wss-"));
    const certs = makeCertificates(dir);
    const secure = await startWsBroker({ key: readFileSync(certs.keyFile), cert: readFileSync(certs.certFile) });
    try {
      const network = new SimNetwork({ name: "wss" });
      const device = simulatedDevice(network);
      device.TLS = webSocketOver(device.TLS!, { host: "localhost", port: secure.port, path: "/mqtt", Timer: device.Timer, tls: true });
      const received: string[] = [];
      const causes: number[] = [];
      const client = new MqttClient({ clientId: "wss-1", reconnectPeriod: 0, onMessage: (m) => received.push(m.payloadString()), onDisconnected: () => causes.push(connection.cause) });
      const connection: MqttConnection = new MqttConnection(client, { host: "127.0.0.1", port: secure.port, tls: true, ca: certs.ca, serverName: "localhost" }, device);
      connection.start();
      await waitFor(() => client.state === ClientState.Connected, 10_000, "connected over wss");
      client.subscribe([{ topic: "wss/echo", qos: 1 }]);
      connection.service();
      await new Promise((r) => setTimeout(r, 200));
      client.publish("wss/echo", "over wss", 1);
      connection.service();
      await waitFor(() => received.length === 1, 10_000, "the echo");
      expect(received).toEqual(["over wss"]);
      expect(causes).toEqual([]);
      connection.stop();
    } finally {
      await secure.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
