/**
 * MQTT 5.0 end to end over real TCP: our client (protocolVersion 5, on the simulator's device modules)
 * against Debian's mosquitto 2.0 with 5.0 limits in its config, and MQTT.js at protocolVersion 5 as the
 * peer on the other side. What the broker's CONNACK says is held to, what it answers reaches the app by
 * its reason code, and properties cross in both directions.
 */
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, type MessageView } from "../../firmware/mqtt/index.js";
import { Property } from "../../firmware/mqtt/codec/properties.js";
import { Mosquitto, mosquittoAvailable } from "./mosquitto.js";
import { simClient, sleep, waitFor, type SimClient } from "./sim.js";

describe.runIf(mosquittoAvailable())("MQTT 5.0 against mosquitto, with MQTT.js 5.0 as the peer", () => {
  let limited: Mosquitto;
  let open: Mosquitto;
  const clients: SimClient[] = [];
  const peers: mqtt.MqttClient[] = [];

  beforeAll(async () => {
    // max_inflight_messages is sent as Receive Maximum, max_keepalive as Server Keep Alive (mosquitto.conf(5))
    limited = await Mosquitto.start({ extra: ["max_qos 1", "retain_available false", "max_packet_size 300", "max_inflight_messages 2", "max_keepalive 20"] });
    open = await Mosquitto.start();
  });

  afterAll(async () => {
    for (const c of clients) c.connection.stop();
    for (const p of peers) p.end(true);
    await limited?.stop();
    await open?.stop();
  });

  function client(name: string, broker: Mosquitto, options: Parameters<typeof simClient>[2] = {}): SimClient {
    const c = simClient(name, { host: "127.0.0.1", port: broker.port }, { protocolVersion: 5, ...options });
    clients.push(c);
    c.connection.start();
    return c;
  }

  async function peer(broker: Mosquitto, topic: string): Promise<{ client: mqtt.MqttClient; got: mqtt.IPublishPacket[] }> {
    const p = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: "peer-" + Math.random().toString(16).slice(2) });
    peers.push(p);
    const got: mqtt.IPublishPacket[] = [];
    p.on("message", (_t, _m, packet) => got.push(packet));
    await p.subscribeAsync(topic, { qos: 1 });
    return { client: p, got };
  }

  it("the CONNACK's Maximum QoS, Retain Available and Maximum Packet Size refuse at the call; Receive Maximum 2 still delivers all", async () => {
    const { got } = await peer(limited, "limits/#");
    const acked: string[] = [];
    const c = client("v5-limits", limited, { inflight: 8, onAcked: (id, reason) => acked.push(`${id}:${reason.toString(16)}`) });
    await waitFor(() => c.events.includes("connected 0"), 5000, "CONNACK");
    expect(c.client.publish("limits/a", "q2", 2)).toBe(ClientError.QoSNotSupported);
    expect(c.client.publish("limits/a", "kept", 1, true)).toBe(ClientError.RetainNotSupported);
    expect(c.client.publish("limits/a", "x".repeat(300), 1)).toBe(ClientError.PacketTooLargeForServer);
    // The most in flight, read after every write the connection makes (mosquitto 2.0.11 does not close a
    // client that exceeds its Receive Maximum: it would just queue, so the count is ours to check).
    let most = 0;
    const written = c.client.written.bind(c.client);
    c.client.written = (count: number, now: number) => {
      written(count, now);
      most = Math.max(most, c.client.inflightCount());
    };
    for (let i = 0; i < 20; i++) expect(c.client.publish("limits/a", "m" + i, 1)).toBe(i + 1);
    c.connection.service();
    await waitFor(() => got.length === 20 && acked.length === 20, 10_000, "20 messages at mosquitto's peer and 20 PUBACKs");
    expect(got.map((p) => p.payload.toString())).toEqual(Array.from({ length: 20 }, (_, i) => "m" + i));
    expect(acked.every((a) => a.endsWith(":0"))).toBe(true);
    expect(most).toBe(2);
  });

  it("a PUBACK's reason code reaches onAcked: 0x10 no matching subscribers", async () => {
    const acked: string[] = [];
    const c = client("v5-nomatch", open, { onAcked: (id, reason) => acked.push(`${id}:${reason.toString(16)}`) });
    await waitFor(() => c.events.includes("connected 0"), 5000, "CONNACK");
    c.client.publish("nobody/listens/here", "x", 1);
    c.connection.service();
    await waitFor(() => acked.length === 1, 5000, "PUBACK");
    expect(acked).toEqual(["1:10"]);
  });

  it("properties cross both ways: MQTT.js's user properties, content type and expiry reach our handler", async () => {
    const seen: unknown[] = [];
    const c = client("v5-props", open, {
      properties: { userProperties: { fw: "0.1" } },
      onMessage: (m: MessageView) => {
        const p = m.properties;
        p.userProperty(0);
        const value = Buffer.from(m.buffer.subarray(p.valueOffset, p.valueOffset + p.valueLength)).toString();
        seen.push(m.payloadString(), p.string(Property.ContentType), p.number(Property.MessageExpiryInterval, -1) > 0, value, p.subscriptionIdentifierCount);
      },
    });
    await waitFor(() => c.events.includes("connected 0"), 5000, "CONNACK");
    c.client.subscribe([{ topic: "props/#", qos: 1 }]);
    c.connection.service();
    await sleep(200);
    const p = await mqtt.connectAsync(open.url, { protocolVersion: 5 });
    peers.push(p);
    await p.publishAsync("props/x", "{}", { qos: 1, properties: { contentType: "application/json", messageExpiryInterval: 60, userProperties: { unit: "C" } } });
    await waitFor(() => seen.length > 0, 5000, "the message");
    expect(seen).toEqual(["{}", "application/json", true, "C", 0]);
  });

  it("Topic Aliases towards mosquitto (its Topic Alias Maximum is 10): 60 QoS 1 messages on 3 handles, the link dropped twice, all arrive once on their topics", async () => {
    const { got } = await peer(open, "aliased/#");
    const acked = new Set<number>();
    // Room for all 60 at once (a loaded machine may ack none before the last is published): each alias-only
    // record keeps its topic's bytes counted, so 60 need 60 slots and about 60 x 40 bytes.
    const c = client("v5-aliases", open, { topicAliases: 2, clean: false, queueSlots: 64, inflight: 16, transmitBufferSize: 8192, properties: { sessionExpiryInterval: 60 }, onAcked: (id) => acked.add(id) });
    await waitFor(() => c.events.includes("connected 0"), 5000, "CONNACK");
    const handles = ["aliased/sensor/temperature", "aliased/sensor/humidity", "aliased/sensor/pressure"].map((t) => c.client.topic(t));
    for (let n = 0; n < 60; n++) {
      expect(c.client.publish(handles[n % 3], `m${n}`, 1)).toBeGreaterThan(0);
      c.connection.service();
      if (n === 20 || n === 40) c.network.drop(); // alias-only messages in flight must go again whole
      await sleep(2);
    }
    await waitFor(() => acked.size === 60, 20_000, "60 PUBACKs");
    await waitFor(() => new Set(got.map((p) => p.payload.toString())).size === 60, 10_000, "60 messages at MQTT.js");
    const byPayload = new Map(got.map((p) => [p.payload.toString(), p.topic]));
    for (let n = 0; n < 60; n++) expect(byPayload.get(`m${n}`)).toBe(["aliased/sensor/temperature", "aliased/sensor/humidity", "aliased/sensor/pressure"][n % 3]);
    expect(c.events.filter((e) => e.startsWith("error"))).toEqual([]); // mosquitto never refused an alias (it closes with 0x94 if it does)
  });

  it("a session taken over: mosquitto 2.0.11 closes the old connection without DISCONNECT 0x8E, so the app hears a lost connection and the client comes back", async () => {
    // (A broker's DISCONNECT with its reason is covered byte for byte in test/unit/client-v5.test.ts.)
    const c = client("v5-taken", open);
    await waitFor(() => c.events.includes("connected 0"), 5000, "CONNACK");
    const thief = await mqtt.connectAsync(open.url, { protocolVersion: 5, clientId: "v5-taken", reconnectPeriod: 0 });
    peers.push(thief);
    await waitFor(() => c.events.includes("disconnected 0x100"), 5000, "the connection lost");
    await waitFor(() => c.events.filter((e) => e === "connected 0").length === 2, 5000, "the client back");
    expect(c.events).not.toContain("disconnected 0x8e");
  });

  it("the Server Keep Alive replaces ours: mosquitto's max_keepalive 20 for our 60", async () => {
    const c = client("v5-keepalive", limited, { keepalive: 60 });
    await waitFor(() => c.events.includes("connected 0"), 5000, "CONNACK");
    // A PINGREQ is due 20 s after the last packet, not 60 s: poll() says when it is next needed.
    const deadline = c.client.poll(c.connection.now());
    expect(deadline - c.connection.now()).toBeLessThanOrEqual(20_000);
    expect(deadline - c.connection.now()).toBeGreaterThan(15_000);
  });
});
