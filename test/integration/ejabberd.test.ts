/**
 * A second real broker: Debian's ejabberd (mod_mqtt, MQTT 3.1.1 and 5.0), spawned by the suite on a free
 * loopback port (test/integration/ejabberd.ts). Our client at protocolVersion 5 and 4 connects, subscribes,
 * publishes QoS 0/1/2 and gets them back; an MQTT.js 5.0 client on the same broker is the peer both ways.
 * What ejabberd's CONNACK announces is printed. Our client's connections go through a tap that keeps
 * their bytes both ways; a failing test writes them, with ejabberd's log, under build/recordings/.
 * EJABBERD_DEBUG=1 makes that log ejabberd's every MQTT packet (loglevel debug: 10-20 times slower).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { type MessageView } from "../../firmware/mqtt/index.js";
import { Property } from "../../firmware/mqtt/codec/properties.js";
import { Ejabberd, ejabberdAvailable } from "./ejabberd.js";
import { counter, publishNumbered, simClient, sleep, waitFor, type SimClient } from "./sim.js";

/** A TCP relay to the broker that keeps every chunk, in order, with its direction. */
class Tap {
  readonly chunks: { connection: number; direction: "out" | "in"; bytes: Buffer }[] = [];
  port = 0;
  private connections = 0;
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server, private readonly upstream: number) {}

  static async start(upstream: number): Promise<Tap> {
    const server = createServer();
    const tap = new Tap(server, upstream);
    server.on("connection", (client) => tap.relay(client));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    tap.port = (server.address() as { port: number }).port;
    return tap;
  }

  private relay(client: Socket): void {
    const connection = ++this.connections;
    const broker = connect(this.upstream, "127.0.0.1");
    this.sockets.add(client).add(broker);
    client.on("data", (bytes) => {
      this.chunks.push({ connection, direction: "out", bytes });
      broker.write(bytes);
    });
    broker.on("data", (bytes) => {
      this.chunks.push({ connection, direction: "in", bytes });
      client.write(bytes);
    });
    const end = () => {
      client.destroy();
      broker.destroy();
      this.sockets.delete(client);
      this.sockets.delete(broker);
    };
    for (const s of [client, broker]) {
      s.on("close", end);
      s.on("error", end);
    }
  }

  /** One line per chunk: connection, direction (out: client to broker), hex. */
  dump(): string {
    return this.chunks.map((c) => `${c.connection} ${c.direction} ${c.bytes.toString("hex")}`).join("\n");
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe.runIf(ejabberdAvailable())("ejabberd's mod_mqtt (MQTT 5.0 and 3.1.1), with MQTT.js 5.0 as the peer", () => {
  let broker: Ejabberd;
  let clients: SimClient[] = [];
  let peers: mqtt.MqttClient[] = [];
  let taps: Tap[] = [];

  beforeAll(async () => {
    broker = await Ejabberd.start({ logAll: Boolean(process.env.EJABBERD_DEBUG) });
    console.log(`ejabberd ${broker.version} on 127.0.0.1:${broker.port} (spool ${broker.dir}): accepted MQTT ${broker.startMs} ms after spawn`);
  });

  afterEach(async () => {
    for (const c of clients) c.connection.stop();
    for (const p of peers) p.end(true);
    for (const t of taps) await t.close();
    clients = [];
    peers = [];
    taps = [];
  });

  afterAll(async () => {
    if (!broker) return;
    const started = Date.now();
    await broker.close();
    console.log(`ejabberd stopped (SIGTERM to exit) in ${Date.now() - started} ms`);
  });

  /** On failure: our connections' bytes (hex, both ways) and ejabberd's debug log under build/recordings/. */
  function keepOnFailure(name: string, tap: Tap): void {
    onTestFailed(() => {
      const dir = join("build", "recordings", `ejabberd-${name}-${Date.now()}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "our-leg.hex"), tap.dump() + "\n");
      writeFileSync(join(dir, "ejabberd.log"), broker.output);
      console.log(`recorded in ${dir}`);
    });
  }

  async function client(name: string, options: Parameters<typeof simClient>[2] = {}): Promise<SimClient> {
    const tap = await Tap.start(broker.port);
    taps.push(tap);
    keepOnFailure(name, tap);
    const c = simClient(name, { host: "127.0.0.1", port: tap.port }, { ...broker.credentials, ...options });
    clients.push(c);
    c.connection.start();
    return c;
  }

  async function peer(name: string, options: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
    const p = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: name, reconnectPeriod: 0, ...broker.credentials, ...options });
    peers.push(p);
    return p;
  }

  /** Resolves on the client's CONNACK 0; rejects on a refusal or an error. */
  const connected = (p: mqtt.MqttClient) =>
    new Promise<void>((resolve, reject) => {
      p.once("connect", () => resolve());
      p.once("error", reject);
    });

  /** What a subscriber got, as "topic payload qN". */
  const line = (topic: string, payload: string, qos: number) => `${topic} ${payload} q${qos}`;

  it("ejabberd's CONNACK, 5.0 and 3.1.1 (its properties printed)", async () => {
    const connacks: Record<number, mqtt.IConnackPacket> = {};
    for (const protocolVersion of [5, 4] as const) {
      const p = mqtt.connect(broker.url, { protocolVersion, clientId: `connack-${protocolVersion}`, reconnectPeriod: 0, ...broker.credentials });
      peers.push(p);
      p.on("packetreceive", (packet) => {
        if (packet.cmd === "connack") connacks[protocolVersion] = packet as mqtt.IConnackPacket;
      });
      await connected(p);
    }
    // The empty client id: a 5.0 broker assigns one (Assigned Client Identifier).
    const anonymous = mqtt.connect(broker.url, { protocolVersion: 5, clientId: "", clean: true, reconnectPeriod: 0, ...broker.credentials });
    peers.push(anonymous);
    let assigned: mqtt.IConnackPacket | undefined;
    anonymous.on("packetreceive", (packet) => {
      if (packet.cmd === "connack") assigned = packet as mqtt.IConnackPacket;
    });
    await connected(anonymous);
    // A kept 5.0 session asks for more than ejabberd keeps (mod_mqtt session_expiry, 5 minutes by default).
    const kept = mqtt.connect(broker.url, {
      protocolVersion: 5, clientId: "connack-kept", clean: false, reconnectPeriod: 0, properties: { sessionExpiryInterval: 0xffffffff }, ...broker.credentials,
    });
    peers.push(kept);
    let keptConnack: mqtt.IConnackPacket | undefined;
    kept.on("packetreceive", (packet) => {
      if (packet.cmd === "connack") keptConnack = packet as mqtt.IConnackPacket;
    });
    await connected(kept);
    console.log(`ejabberd ${broker.version} CONNACK at 5.0 (MQTT.js keepalive 60, clean start, session expiry 0): ${JSON.stringify(connacks[5])}`);
    console.log(`ejabberd ${broker.version} CONNACK at 5.0, empty client id: properties ${JSON.stringify(assigned?.properties)}`);
    console.log(`ejabberd ${broker.version} CONNACK at 5.0, clean start 0 and session expiry 0xFFFFFFFF: properties ${JSON.stringify(keptConnack?.properties)}`);
    console.log(`ejabberd ${broker.version} CONNACK at 3.1.1: ${JSON.stringify(connacks[4])}`);
    expect(connacks[5]?.reasonCode).toBe(0);
    expect(connacks[5]?.properties).toBeDefined();
    expect(connacks[4]?.returnCode).toBe(0);
    expect(connacks[4]?.properties).toBeUndefined();
    expect(assigned?.properties?.assignedClientIdentifier).toBeTruthy();
  });

  for (const version of [5, 4] as const) {
    describe(`our client at protocolVersion ${version}`, () => {
      it("connects, subscribes, publishes QoS 0/1/2 and receives them back", async () => {
        const got: string[] = [];
        const acked: string[] = [];
        const subscribed: string[] = [];
        const c = await client(`ours-self-${version}`, {
          protocolVersion: version,
          onMessage: (m: MessageView) => got.push(line(m.topicString(), m.payloadString(), m.qos)),
          onAcked: (id, reason) => acked.push(`${id}:0x${reason.toString(16)}`),
          onSubscribed: (topic, code) => subscribed.push(`${topic}:${code}`),
        });
        await waitFor(() => c.events.includes("connected 0"), 10_000, "CONNACK");
        c.client.subscribe([{ topic: `self/${version}/#`, qos: 2 }]);
        c.connection.service();
        await waitFor(() => subscribed.length === 1, 5000, "SUBACK");
        expect(subscribed).toEqual([`self/${version}/#:2`]);
        for (const qos of [0, 1, 2] as const) expect(c.client.publish(`self/${version}/q${qos}`, `m${qos}`, qos)).toBeGreaterThanOrEqual(0);
        c.connection.service();
        await waitFor(() => got.length === 3 && acked.length === 2, 10_000, "3 messages back and 2 acks");
        await sleep(200); // nothing more comes
        expect([...got].sort()).toEqual([0, 1, 2].map((q) => line(`self/${version}/q${q}`, `m${q}`, q)));
        // 5.0: the PUBACK and PUBCOMP reason codes are 0 (we are the matching subscriber); 3.1.1 has none.
        expect(acked.map((a) => a.split(":")[1])).toEqual(["0x0", "0x0"]);
        expect(c.events).toEqual(["connected 0"]);
        expect(c.client.stats.oversized).toBe(0);
      });

      it("an MQTT.js 5.0 subscriber receives ours, and ours receives MQTT.js's", async () => {
        const fromJs: string[] = [];
        const subscribed: string[] = [];
        const c = await client(`ours-peer-${version}`, {
          protocolVersion: version,
          onMessage: (m: MessageView) => fromJs.push(line(m.topicString(), m.payloadString(), m.qos)),
          onSubscribed: (topic, code) => subscribed.push(`${topic}:${code}`),
        });
        const js = await peer(`js-peer-${version}`);
        const fromOurs: string[] = [];
        js.on("message", (topic, payload, packet) => fromOurs.push(line(topic, payload.toString(), packet.qos)));
        await js.subscribeAsync(`to-js/${version}/#`, { qos: 2 });
        await waitFor(() => c.events.includes("connected 0"), 10_000, "CONNACK");
        c.client.subscribe([{ topic: `from-js/${version}/#`, qos: 2 }]);
        c.connection.service();
        await waitFor(() => subscribed.length === 1, 5000, "SUBACK");

        for (const qos of [0, 1, 2] as const) c.client.publish(`to-js/${version}/q${qos}`, `ours${qos}`, qos);
        c.connection.service();
        for (const qos of [0, 1, 2] as const) await js.publishAsync(`from-js/${version}/q${qos}`, `js${qos}`, { qos });
        await waitFor(() => fromOurs.length === 3 && fromJs.length === 3, 10_000, "3 messages each way");
        await sleep(200);
        expect([...fromOurs].sort()).toEqual([0, 1, 2].map((q) => line(`to-js/${version}/q${q}`, `ours${q}`, q)));
        expect([...fromJs].sort()).toEqual([0, 1, 2].map((q) => line(`from-js/${version}/q${q}`, `js${q}`, q)));
        expect(c.events).toEqual(["connected 0"]);
      });

      it("300 QoS 2 and 300 QoS 1 from ours to MQTT.js, 300 QoS 2 from MQTT.js to ours: each exactly once", async () => {
        // ejabberd keeps one QoS 1/2 PUBLISH in flight per session and queues the rest; ours keeps 8.
        const counts = new Map<string, number>();
        const c = await client(`ours-bulk-${version}`, {
          protocolVersion: version,
          onMessage: (m: MessageView) => counts.set(m.payloadString(), (counts.get(m.payloadString()) ?? 0) + 1),
        });
        const q2 = await counter(broker.url, `bulk/${version}/q2`, 2, { protocolVersion: 5, clientId: `js-bulk2-${version}`, ...broker.credentials });
        const q1 = await counter(broker.url, `bulk/${version}/q1`, 1, { protocolVersion: 5, clientId: `js-bulk1-${version}`, ...broker.credentials });
        peers.push(q2.client, q1.client);
        await waitFor(() => c.events.includes("connected 0"), 10_000, "CONNACK");
        c.client.subscribe([{ topic: `bulk/${version}/back`, qos: 2 }]);
        c.connection.service();
        await sleep(200);
        const started = Date.now();
        await publishNumbered(c, `bulk/${version}/q2`, 300, 2);
        await publishNumbered(c, `bulk/${version}/q1`, 300, 1);
        const js = await peer(`js-bulk-pub-${version}`);
        await Promise.all(Array.from({ length: 300 }, (_, i) => js.publishAsync(`bulk/${version}/back`, String(i), { qos: 2 })));
        await waitFor(() => q2.counts.size === 300 && q1.counts.size === 300 && counts.size === 300, 60_000, "300 messages on each of the three");
        await sleep(300);
        console.log(`ejabberd bulk at protocolVersion ${version}: 900 messages in ${Date.now() - started} ms`);
        expect(q2.duplicates()).toBe(0);
        expect(q1.duplicates()).toBe(0);
        expect([...counts.values()].every((n) => n === 1)).toBe(true);
        expect(c.events).toEqual(["connected 0"]);
      });

      it("a kept session (clean false): subscriptions and QoS 1 messages wait across a DISCONNECT and a new connection", async () => {
        const got: string[] = [];
        const c = await client(`ours-kept-${version}`, {
          protocolVersion: version,
          clean: false,
          onMessage: (m: MessageView) => got.push(m.payloadString()),
        });
        await waitFor(() => c.events.includes("connected 0") || c.events.includes("connected 1"), 10_000, "CONNACK");
        c.client.subscribe([{ topic: `kept/${version}`, qos: 1 }]);
        c.connection.service();
        await sleep(300);
        const js = await peer(`js-kept-${version}`);
        await js.publishAsync(`kept/${version}`, "before", { qos: 1 });
        await waitFor(() => got.includes("before"), 5000, "the first message");
        // We leave (DISCONNECT); while we are away, MQTT.js publishes. Our reconnect finds the session kept.
        c.connection.stop();
        await sleep(300);
        for (let i = 0; i < 5; i++) await js.publishAsync(`kept/${version}`, `away${i}`, { qos: 1 });
        c.connection.start();
        await waitFor(() => c.events.includes("connected 1"), 10_000, "a CONNACK with session present");
        await waitFor(() => got.length === 6, 10_000, "the 5 messages sent while away");
        expect(got).toEqual(["before", "away0", "away1", "away2", "away3", "away4"]);
        expect(c.events.filter((e) => e.startsWith("error") || (e.startsWith("disconnected") && e !== "disconnected 0x0"))).toEqual([]);
      });
    });
  }

  it("5.0: properties cross ejabberd both ways (content type, response topic, correlation data, user properties, message expiry)", async () => {
    const seen: unknown[] = [];
    const c = await client("ours-props", {
      protocolVersion: 5,
      onMessage: (m: MessageView) => {
        const p = m.properties;
        p.userProperty(0);
        const value = Buffer.from(m.buffer.subarray(p.valueOffset, p.valueOffset + p.valueLength)).toString();
        seen.push(m.payloadString(), p.string(Property.ContentType), p.string(Property.ResponseTopic), value);
      },
    });
    const js = await peer("js-props");
    const fromOurs: mqtt.IPublishPacket[] = [];
    js.on("message", (_t, _m, packet) => fromOurs.push(packet));
    await js.subscribeAsync("props/to-js", { qos: 1 });
    await waitFor(() => c.events.includes("connected 0"), 10_000, "CONNACK");
    c.client.subscribe([{ topic: "props/from-js", qos: 1 }]);
    c.connection.service();
    await sleep(300);
    c.client.publish("props/to-js", "{}", 1, false, 0, -1, {
      contentType: "application/json",
      responseTopic: "props/answer",
      correlationData: new Uint8Array([1, 2, 3]),
      messageExpiryInterval: 60,
      userProperties: { fw: "0.1" },
    });
    c.connection.service();
    await js.publishAsync("props/from-js", "[]", { qos: 1, properties: { contentType: "application/json", responseTopic: "props/back", userProperties: { unit: "C" } } });
    await waitFor(() => seen.length > 0 && fromOurs.length > 0, 10_000, "a message each way");
    expect(seen).toEqual(["[]", "application/json", "props/back", "C"]);
    const p = fromOurs[0]!.properties!;
    expect([p.contentType, p.responseTopic, [...(p.correlationData ?? [])], p.userProperties]).toEqual(["application/json", "props/answer", [1, 2, 3], { fw: "0.1" }]);
    expect(p.messageExpiryInterval).toBeGreaterThan(0);
    expect(p.messageExpiryInterval).toBeLessThanOrEqual(60);
  });

  it("5.0: a session taken over: ejabberd sends DISCONNECT 0x8E, which reaches onError and onDisconnected, and the client comes back", async () => {
    const c = await client("ours-taken", { protocolVersion: 5 });
    await waitFor(() => c.events.includes("connected 0"), 10_000, "CONNACK");
    const thief = await peer("ours-taken");
    await waitFor(() => c.events.includes("disconnected 0x8e"), 5000, "DISCONNECT 0x8E");
    const tap = taps[taps.length - 1]!;
    const disconnect = tap.chunks.find((k) => k.connection === 1 && k.direction === "in" && k.bytes[0] === 0xe0);
    console.log(`ejabberd's DISCONNECT to the connection taken over: ${disconnect?.bytes.toString("hex")}`);
    expect(disconnect?.bytes[2]).toBe(0x8e);
    // Ours comes back (reconnectPeriod 100 ms) and takes the id back: the thief hears 0x8E in turn.
    await waitFor(() => c.events.filter((e) => e === "connected 0").length === 2, 5000, "the client back");
    await waitFor(() => !thief.connected, 5000, "MQTT.js taken over");
    // A broker's DISCONNECT reaches onError and then onDisconnected with its reason (as test/unit/client-v5.test.ts has it).
    expect(c.events).toEqual(["connected 0", "error 0x8e", "disconnected 0x8e", "connected 0"]);
  });

  it("5.0: ejabberd ignores our Maximum Packet Size; our client closes with 0x95 (a Protocol Error at 5.0), reconnects, subscribes again and receives", async () => {
    const got: string[] = [];
    const c = await client("ours-maxpacket", {
      protocolVersion: 5,
      maxPacketSize: 200,
      onMessage: (m: MessageView) => got.push(m.payloadString()),
    });
    await waitFor(() => c.events.includes("connected 0"), 10_000, "CONNACK");
    c.client.subscribe([{ topic: "big/#", qos: 1 }]);
    c.connection.service();
    await sleep(300);
    const js = await peer("js-big");
    await js.publishAsync("big/x", "x".repeat(600), { qos: 1 });
    // ejabberd 23.01 decodes the CONNECT's Maximum Packet Size but never consults it (mod_mqtt_session), so
    // it sends the 600-byte PUBLISH that [MQTT-3.1.2-24] forbids: §3.1.2.11.4 makes it a Protocol Error.
    await waitFor(() => c.events.includes("disconnected 0x95"), 10_000, "the close for the oversized PUBLISH");
    expect(c.events.slice(0, 3)).toEqual(["connected 0", "error 0x95", "disconnected 0x95"]);
    expect(c.client.stats.oversized).toBe(0);
    await waitFor(() => c.events.filter((e) => e === "connected 0").length === 2, 10_000, "the client back (clean start: the broker dropped the message)");
    await sleep(300); // the subscription goes again with the new session
    await js.publishAsync("big/x", "small", { qos: 1 });
    await waitFor(() => got.includes("small"), 10_000, "a message within the limit after the reconnect");
    expect(got).toEqual(["small"]);
  });
});
