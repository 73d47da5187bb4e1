/**
 * The client at protocolVersion 5, driven sans-IO against a scripted broker whose packets mqtt-packet
 * writes at version 5, and whose reading of ours is mqtt-packet's parser: what CONNECT announces, the
 * limits of CONNACK held to (Receive Maximum, Maximum QoS, Retain Available, Maximum Packet Size, Server
 * Keep Alive), reason codes reaching the app, the broker's DISCONNECT, and our Receive Maximum and Topic
 * Alias Maximum enforced on the broker.
 */
import mqttPacket, { type Packet } from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { ClientError, DisconnectReason, errorMessage, MqttClient } from "../../firmware/mqtt/index.js";
import type { ClientOptions } from "../../firmware/mqtt/client/options.js";
import { Property } from "../../firmware/mqtt/codec/properties.js";

const OPTS = { protocolVersion: 5 };

class Broker {
  readonly client: MqttClient;
  readonly events: string[] = [];
  now = 0;
  private readonly parser = mqttPacket.parser(OPTS);
  private readonly received: Packet[] = [];

  constructor(options: Partial<ClientOptions> = {}) {
    this.parser.on("packet", (p) => this.received.push(p));
    this.parser.on("error", (e) => {
      throw e;
    });
    this.client = new MqttClient({
      clientId: "v5",
      protocolVersion: 5,
      onConnected: (present) => this.events.push(`connected ${present}`),
      onAcked: (id, reason) => this.events.push(`acked ${id} ${reason.toString(16)}`),
      onUnconfirmed: (id) => this.events.push(`unconfirmed ${id}`),
      onDisconnected: (reason) => this.events.push(`disconnected ${reason.toString(16)}`),
      onError: (code) => this.events.push(`error ${code}`),
      onMessage: (m) => this.events.push(`message ${m.topicString()} ${m.payloadString()}`),
      ...options,
    });
    this.client.start(0);
    expect(this.client.shouldOpen(0)).toBe(true);
    this.client.opened(0);
  }

  /** What the client wrote since the last call, as mqtt-packet reads it. */
  take(): Packet[] {
    const c = this.client;
    for (let n = c.outputLength(); n > 0; n = c.outputLength()) {
      this.parser.parse(Buffer.from(c.outputBuffer().subarray(c.outputOffset(), c.outputOffset() + n)));
      c.written(n, this.now);
    }
    return this.received.splice(0);
  }

  send(packet: Record<string, unknown>): void {
    const bytes = mqttPacket.generate(packet as unknown as Packet, OPTS);
    this.client.receive(new Uint8Array(bytes), 0, bytes.length, this.now);
  }

  connack(properties: Record<string, unknown> = {}, sessionPresent = false): void {
    this.take();
    this.send({ cmd: "connack", reasonCode: 0, sessionPresent, properties });
  }
}

describe("CONNECT at 5.0", () => {
  it("announces our Maximum Packet Size and Receive Maximum, a never-expiring session with clean false, and the app's user properties", () => {
    const b = new Broker({ clean: false, maxPacketSize: 512, receiveBufferSize: 1024, properties: { userProperties: { site: "lab" } } });
    const [connect] = b.take() as [mqttPacket.IConnectPacket];
    expect(connect.protocolVersion).toBe(5);
    expect(connect.clean).toBe(false);
    expect(connect.properties).toEqual({ sessionExpiryInterval: 0xffffffff, receiveMaximum: 64, maximumPacketSize: 512, userProperties: { site: "lab" } });
  });

  it("clean true: no session expiry sent (0); the options refuse what 5.0 does not allow", () => {
    const b = new Broker({ properties: { sessionExpiryInterval: 300, receiveMaximum: 10 } });
    expect((b.take()[0] as mqttPacket.IConnectPacket).properties).toEqual({ sessionExpiryInterval: 300, receiveMaximum: 10, maximumPacketSize: 1024 });
    expect(() => new MqttClient({ clientId: "x", protocolVersion: 3 as 4 })).toThrow("protocolVersion must be 4 (MQTT 3.1.1) or 5 (MQTT 5.0), not 3");
    expect(() => new MqttClient({ clientId: "x", properties: { sessionExpiryInterval: 5 } })).toThrow("set protocolVersion: 5");
    expect(() => new MqttClient({ clientId: "x", protocolVersion: 5, properties: { receiveMaximum: 0 } })).toThrow("properties.receiveMaximum must be a whole number from 1 to 65535, not 0");
  });
});

describe("CONNACK's limits, held to", () => {
  it("never more QoS 1 PUBLISH in flight than the server's Receive Maximum (only PUBLISH counts)", () => {
    const b = new Broker({ inflight: 8 });
    for (let i = 0; i < 5; i++) b.client.publish("t", "m" + i, 1);
    b.connack({ receiveMaximum: 2 });
    b.client.subscribe([{ topic: "s", qos: 1 }]); // a SUBSCRIBE is not a PUBLISH: it does not take the quota
    const first = b.take();
    expect(first.filter((p) => p.cmd === "publish").map((p) => (p as mqttPacket.IPublishPacket).messageId)).toEqual([1, 2]);
    expect(first.some((p) => p.cmd === "subscribe")).toBe(true);
    b.send({ cmd: "puback", messageId: 1, reasonCode: 0 });
    expect(b.take().map((p) => (p as mqttPacket.IPublishPacket).messageId)).toEqual([3]);
  });

  it("Maximum QoS, Retain Available and Maximum Packet Size refuse a publish at the call, with codes that say why", () => {
    const b = new Broker();
    b.connack({ maximumQoS: 1, retainAvailable: false, maximumPacketSize: 40 });
    expect(b.client.publish("t", "x", 2)).toBe(ClientError.QoSNotSupported);
    expect(b.client.publish("t", "x", 0, true)).toBe(ClientError.RetainNotSupported);
    expect(b.client.publish("t", "x".repeat(40), 1)).toBe(ClientError.PacketTooLargeForServer);
    expect(errorMessage(ClientError.PacketTooLargeForServer)).toBe("message larger than the broker's Maximum Packet Size");
    expect(b.client.publish("t", "x", 1)).toBe(1);
    expect(b.take().map((p) => p.cmd)).toEqual(["publish"]);
  });

  it("a message queued before CONNACK and beyond its limits is dropped and reported, never sent to be refused", () => {
    const b = new Broker();
    expect(b.client.publish("t", "q2", 2)).toBe(1);
    expect(b.client.publish("t", "q1", 1)).toBe(2);
    b.connack({ maximumQoS: 1 });
    expect(b.take().map((p) => (p as mqttPacket.IPublishPacket).payload.toString())).toEqual(["q1"]);
    expect(b.events).toEqual([`error ${ClientError.QoSNotSupported}`, "unconfirmed 1", "connected false"]);
  });

  it("the Server Keep Alive replaces ours [MQTT-3.2.2-21]", () => {
    const b = new Broker({ keepalive: 60 });
    b.connack({ serverKeepAlive: 5 });
    b.now = 5000;
    b.client.poll(b.now);
    expect(b.take().map((p) => p.cmd)).toEqual(["pingreq"]);
  });
});

describe("reason codes reach the app", () => {
  it("a PUBACK of 0x97 and a PUBREC of 0x80 are refusals: onAcked with the code, no PUBREL, counted as rejected", () => {
    const b = new Broker();
    b.connack();
    b.client.publish("t", "a", 1);
    b.client.publish("t", "b", 2);
    b.take();
    b.send({ cmd: "puback", messageId: 1, reasonCode: 0x97 });
    b.send({ cmd: "pubrec", messageId: 2, reasonCode: 0x80 });
    expect(b.take()).toEqual([]); // no PUBREL after a refusing PUBREC (§4.3.3)
    expect(b.events.slice(1)).toEqual(["acked 1 97", "acked 2 80"]);
    expect(b.client.stats.rejected).toBe(2);
    expect(errorMessage(0x97)).toBe("quota exceeded");
  });

  it("PUBACK 0x10 (no matching subscribers) is a success: the message was taken", () => {
    const b = new Broker();
    b.connack();
    b.client.publish("t", "a", 1);
    b.take();
    b.send({ cmd: "puback", messageId: 1, reasonCode: 0x10 });
    expect(b.events.slice(1)).toEqual(["acked 1 10"]);
    expect(b.client.stats.rejected).toBe(0);
  });

  it("the broker's DISCONNECT ends the connection with its reason, and the client reconnects", () => {
    const b = new Broker();
    b.connack();
    b.send({ cmd: "disconnect", reasonCode: 0x8b, properties: { reasonString: "maintenance" } });
    expect(b.events).toEqual(["connected false", `error ${0x8b}`, "disconnected 8b"]);
    expect(errorMessage(0x8b)).toBe("server shutting down");
    expect(b.client.reasonString).toBe("maintenance");
    expect(b.client.wantsClose).toBe(true);
    b.client.closed(b.now);
    expect(b.client.nextAttemptAt).toBeGreaterThan(0);
  });

  it("a CONNACK refusal with a 5.0 reason code is reported as it is", () => {
    const b = new Broker();
    b.take();
    b.send({ cmd: "connack", reasonCode: 0x86, sessionPresent: false, properties: {} });
    expect(b.events).toEqual([`error ${0x86}`, "disconnected 86"]);
    expect(errorMessage(0x86)).toBe("refused: bad user name or password");
  });
});

describe("what the broker may send us, enforced", () => {
  it("more unacknowledged QoS 1 PUBLISH than our Receive Maximum closes with 0x93 (MQTT.js's GHSA-h8jm-hm87-fqw3)", () => {
    const b = new Broker({ properties: { receiveMaximum: 2 } });
    b.connack();
    // the PUBACKs are owed but not written (the transport took nothing): three in flight towards us
    for (let id = 1; id <= 3; id++) b.send({ cmd: "publish", topic: "t", payload: Buffer.from("x"), qos: 1, messageId: id });
    expect(b.events).toContain(`disconnected ${DisconnectReason.ReceiveMaximumExceeded.toString(16)}`);
  });

  it("within our Receive Maximum, PUBACKs written give the quota back", () => {
    const b = new Broker({ properties: { receiveMaximum: 2 } });
    b.connack();
    for (let id = 1; id <= 6; id++) {
      b.send({ cmd: "publish", topic: "t", payload: Buffer.from("x" + id), qos: 1, messageId: id });
      expect(b.take().map((p) => p.cmd)).toEqual(["puback"]);
    }
    expect(b.events.filter((e) => e.startsWith("message"))).toHaveLength(6);
    expect(b.client.wantsClose).toBe(false);
  });

  it("a Topic Alias from the broker, which we allowed none of, closes with 0x94", () => {
    const b = new Broker();
    b.connack();
    b.send({ cmd: "publish", topic: "t", payload: Buffer.from("x"), qos: 0, properties: { topicAlias: 1 } });
    expect(b.events).toContain("disconnected 94");
  });

  it("a message's properties reach the handler, read in place", () => {
    const seen: unknown[] = [];
    const b = new Broker({
      onMessage: (m) => {
        const p = m.properties;
        p.userProperty(0);
        seen.push(p.number(Property.MessageExpiryInterval, -1), p.string(Property.ContentType), Buffer.from(m.buffer.subarray(p.valueOffset, p.valueOffset + p.valueLength)).toString());
      },
    });
    b.connack();
    b.send({ cmd: "publish", topic: "t", payload: Buffer.from("{}"), qos: 0, properties: { messageExpiryInterval: 30, contentType: "application/json", userProperties: { unit: "C" } } });
    expect(seen).toEqual([30, "application/json", "C"]);
  });
});

describe("SUBSCRIBE at 5.0", () => {
  it("No Local, Retain As Published, Retain Handling and a Subscription Identifier go as the spec writes them; different identifiers go in different SUBSCRIBEs", () => {
    const b = new Broker();
    b.connack();
    b.client.subscribe([
      { topic: "a/#", qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionIdentifier: 7 },
      { topic: "b", qos: 2, subscriptionIdentifier: 7 },
      { topic: "c", qos: 0, retainHandling: 1 },
    ]);
    const subs = b.take() as mqttPacket.ISubscribePacket[];
    expect(subs.map((s) => [s.properties ?? {}, s.subscriptions])).toEqual([
      [{ subscriptionIdentifier: 7 }, [{ topic: "a/#", qos: 1, nl: true, rap: true, rh: 2 }, { topic: "b", qos: 2, nl: false, rap: false, rh: 0 }]],
      [{}, [{ topic: "c", qos: 0, nl: false, rap: false, rh: 1 }]],
    ]);
  });

  it("a shared subscription's handler gets the messages of its filter (matched after $share/{ShareName}/)", () => {
    const got: string[] = [];
    const b = new Broker();
    b.connack();
    b.client.subscribe([{ topic: "$share/workers/jobs/+", qos: 0, onMessage: (m) => got.push(m.topicString()) }]);
    b.send({ cmd: "publish", topic: "jobs/1", payload: Buffer.from("x"), qos: 0 });
    expect(got).toEqual(["jobs/1"]);
  });

  it("refuses what the spec does not allow, with words: No Local on a shared subscription, a bad share name, 5.0 options at 3.1.1", () => {
    const b = new Broker();
    expect(() => b.client.subscribe([{ topic: "$share/g/t", noLocal: true }])).toThrow("noLocal on a shared subscription is a Protocol Error [MQTT-3.8.3-4]");
    expect(() => b.client.subscribe([{ topic: "$share//t" }])).toThrow("[MQTT-4.8.2-1]");
    expect(() => b.client.subscribe([{ topic: "$share/g" }])).toThrow("[MQTT-4.8.2-2]");
    expect(() => b.client.subscribe([{ topic: "t", retainHandling: 3 as 2 }])).toThrow("retainHandling must be 0, 1 or 2");
    expect(() => b.client.subscribe([{ topic: "t", subscriptionIdentifier: 0 }])).toThrow("subscriptionIdentifier is 1 to 268435455");
    const v4 = new MqttClient({ clientId: "v4" });
    expect(() => v4.subscribe([{ topic: "t", noLocal: true }])).toThrow("MQTT 5.0's (protocolVersion: 5)");
  });
});

describe("PUBLISH properties from the app", () => {
  it("go as mqtt-packet reads them: format indicator, expiry, content type, response topic, correlation data, user properties", () => {
    const b = new Broker();
    b.connack();
    const id = b.client.publish("req", '{"q":1}', 1, false, 0, -1, {
      payloadFormatIndicator: true,
      messageExpiryInterval: 30,
      contentType: "application/json",
      responseTopic: "answers/me",
      correlationData: new Uint8Array([1, 2, 3]),
      userProperties: { trace: "abc", "ü": "ö" },
    });
    expect(id).toBe(1);
    const [p] = b.take() as mqttPacket.IPublishPacket[];
    expect(p.payload.toString()).toBe('{"q":1}');
    expect(p.properties).toEqual({
      messageExpiryInterval: 30,
      payloadFormatIndicator: true,
      contentType: "application/json",
      responseTopic: "answers/me",
      correlationData: Buffer.from([1, 2, 3]),
      userProperties: { trace: "abc", "ü": "ö" },
    });
  });

  it("are refused with a code when wrong: not UTF-8 with the format indicator, a wildcard response topic, at 3.1.1", () => {
    const b = new Broker();
    b.connack();
    expect(b.client.publish("t", new Uint8Array([0xff]), 0, false, 0, -1, { payloadFormatIndicator: true })).toBe(ClientError.InvalidPayload);
    expect(b.client.publish("t", "x", 0, false, 0, -1, { responseTopic: "a/#" })).toBe(ClientError.InvalidTopic);
    expect(b.client.publish("t", "x", 0, false, 0, -1, { messageExpiryInterval: -1 })).toBe(ClientError.InvalidArgument);
    expect(b.client.publish("t", "x", 0, false, 0, -1, { correlationData: "x" as never })).toBe(ClientError.InvalidArgument);
    const v4 = new MqttClient({ clientId: "v4" });
    expect(v4.publish("t", "x", 0, false, 0, -1, { contentType: "text/plain" })).toBe(ClientError.InvalidArgument);
  });

  it("the Message Expiry Interval counts down while the message waits, and one that runs out is dropped and reported, never sent", () => {
    const b = new Broker();
    b.take(); // CONNECT; no CONNACK yet: messages wait
    expect(b.client.publish("t", "short", 1, false, 0, -1, { messageExpiryInterval: 2 })).toBe(1);
    expect(b.client.publish("t", "long", 1, false, 0, -1, { messageExpiryInterval: 10 })).toBe(2);
    b.now = 3000;
    expect(b.client.poll(b.now)).toBeLessThanOrEqual(10_000); // the next expiry is a deadline
    expect(b.events).toEqual([`error ${ClientError.MessageExpired}`, "unconfirmed 1"]);
    expect(b.client.stats.expired).toBe(1);
    b.connack();
    const [p] = b.take() as mqttPacket.IPublishPacket[];
    expect([p.payload.toString(), p.properties?.messageExpiryInterval]).toEqual(["long", 7]);
  });
});

describe("enhanced authentication (§4.12)", () => {
  it("CONNECT carries the method and first data; each AUTH 0x18 is answered with onAuth's data; CONNACK ends it", () => {
    const asked: string[] = [];
    const b = new Broker({
      properties: { authenticationMethod: "SCRAM-SHA-1", authenticationData: new Uint8Array([1]) },
      onAuth: (reason, data) => {
        asked.push(`${reason.toString(16)}:${data ? [...data].join(",") : "-"}`);
        return new Uint8Array([data![0] + 1]);
      },
    });
    const [connect] = b.take() as mqttPacket.IConnectPacket[];
    expect(connect.properties?.authenticationMethod).toBe("SCRAM-SHA-1");
    expect([...(connect.properties?.authenticationData as Buffer)]).toEqual([1]);
    b.send({ cmd: "auth", reasonCode: 0x18, properties: { authenticationMethod: "SCRAM-SHA-1", authenticationData: Buffer.from([5]) } });
    const [auth] = b.take() as mqttPacket.IAuthPacket[];
    expect([auth.cmd, auth.reasonCode, auth.properties?.authenticationMethod, [...(auth.properties?.authenticationData as Buffer)]]).toEqual(["auth", 0x18, "SCRAM-SHA-1", [6]]);
    b.send({ cmd: "connack", reasonCode: 0, sessionPresent: false, properties: { authenticationMethod: "SCRAM-SHA-1" } });
    expect(b.events).toEqual(["connected false"]);
    expect(asked).toEqual(["18:5"]);
  });

  it("reauthenticate() sends AUTH 0x19 with fresh data on a live connection; the server's Success reaches onAuth", () => {
    const asked: number[] = [];
    const b = new Broker({ properties: { authenticationMethod: "JWT", authenticationData: new Uint8Array([1]) }, onAuth: (reason) => (asked.push(reason), null) });
    b.connack();
    expect(b.client.reauthenticate(new Uint8Array([9, 9]))).toBe(0);
    const [auth] = b.take() as mqttPacket.IAuthPacket[];
    expect([auth.reasonCode, [...(auth.properties?.authenticationData as Buffer)]]).toEqual([0x19, [9, 9]]);
    b.send({ cmd: "auth", reasonCode: 0, properties: { authenticationMethod: "JWT" } });
    expect(asked).toEqual([0]);
    expect(b.client.wantsClose).toBe(false);
  });

  it("an AUTH with another method, or AUTH when we asked for none, is a protocol error; reauthenticate() without a method is refused", () => {
    const b = new Broker({ properties: { authenticationMethod: "JWT" } });
    b.take();
    b.send({ cmd: "auth", reasonCode: 0x18, properties: { authenticationMethod: "OTHER" } });
    expect(b.events).toContain("disconnected 82");
    const plain = new Broker();
    plain.connack();
    expect(plain.client.reauthenticate()).toBe(ClientError.InvalidArgument);
    plain.send({ cmd: "auth", reasonCode: 0x18, properties: { authenticationMethod: "JWT" } });
    expect(plain.events).toContain("disconnected 82");
  });
});

describe("Topic Aliases from the broker (§3.3.2.3.4)", () => {
  it("announced with properties.topicAliasMaximum; a topic with an alias sets it, the alias alone gives the topic back; none carries over a reconnect", () => {
    const got: string[] = [];
    const b = new Broker({ properties: { topicAliasMaximum: 2 }, onMessage: (m) => got.push(`${m.topicString()} ${m.payloadString()}`) });
    expect((b.take()[0] as mqttPacket.IConnectPacket).properties?.topicAliasMaximum).toBe(2);
    b.connack();
    b.client.subscribe([{ topic: "sensors/#", qos: 0, onMessage: (m) => got.push(`handler ${m.topicString()}`) }]);
    b.send({ cmd: "publish", topic: "sensors/t", payload: Buffer.from("1"), qos: 0, properties: { topicAlias: 2 } });
    b.send({ cmd: "publish", topic: "", payload: Buffer.from("2"), qos: 0, properties: { topicAlias: 2 } });
    expect(got).toEqual(["handler sensors/t", "handler sensors/t"]);
    b.send({ cmd: "publish", topic: "x", payload: Buffer.from("3"), qos: 0, properties: { topicAlias: 3 } });
    expect(b.events).toContain("disconnected 94"); // above our maximum [MQTT-3.3.2-9]
    b.client.closed(b.now);
    b.now = 60_000;
    b.client.poll(b.now);
    expect(b.client.shouldOpen(b.now)).toBe(true);
    b.client.opened(b.now);
    b.connack();
    b.send({ cmd: "publish", topic: "", payload: Buffer.from("4"), qos: 0, properties: { topicAlias: 2 } });
    expect(b.events.filter((e) => e === "disconnected 94")).toHaveLength(2); // the alias did not carry over [MQTT-3.3.2-7]
  });
});

describe("Topic Aliases towards the broker (topicAliases)", () => {
  const topicOf = (p: Packet) => [(p as mqttPacket.IPublishPacket).topic, (p as mqttPacket.IPublishPacket).properties?.topicAlias];

  it("a handle's topic goes with its alias first, then the alias alone once that went; a string topic never", () => {
    const b = new Broker({ topicAliases: 2 });
    b.connack({ topicAliasMaximum: 10 });
    const h = b.client.topic("devices/esp32/telemetry/temperature");
    const sent: Packet[] = [];
    b.client.publish(h, "v0", 0);
    b.client.publish(h, "v1", 0); // the setter has not gone yet: the topic again, with the alias
    sent.push(...b.take());
    for (let n = 2; n < 4; n++) {
      b.client.publish(h, "v" + n, 0);
      sent.push(...b.take());
    }
    b.client.publish("devices/esp32/telemetry/temperature", "s", 0);
    sent.push(...b.take());
    expect(sent.map(topicOf)).toEqual([
      ["devices/esp32/telemetry/temperature", 1],
      ["devices/esp32/telemetry/temperature", 1],
      ["", 1],
      ["", 1],
      ["devices/esp32/telemetry/temperature", undefined],
    ]);
  });

  it("the least recently used alias is replaced, with its new topic; none with a server that allows none", () => {
    const b = new Broker({ topicAliases: 2 });
    b.connack({ topicAliasMaximum: 2 });
    const [x, y, z] = ["a/xxxxxxxx", "a/yyyyyyyy", "a/zzzzzzzz"].map((t) => b.client.topic(t));
    const sent: Packet[] = [];
    for (const h of [x, y, x, z, z]) {
      b.client.publish(h, "p", 0);
      sent.push(...b.take());
    }
    expect(sent.map(topicOf)).toEqual([
      ["a/xxxxxxxx", 1],
      ["a/yyyyyyyy", 2],
      ["", 1],
      ["a/zzzzzzzz", 2], // y was the least recently used
      ["", 2],
    ]);
    const none = new Broker({ topicAliases: 2 });
    none.connack({});
    none.client.publish(none.client.topic("a/xxxxxxxx"), "p", 0);
    expect(none.take().map(topicOf)).toEqual([["a/xxxxxxxx", undefined]]);
  });

  it("no alias carries over a reconnect: what was alias-only goes again with its topic (DUP for QoS 1), in a tight outbox", () => {
    const b = new Broker({ topicAliases: 1, transmitBufferSize: 300, inflight: 8, queueSlots: 16, properties: { sessionExpiryInterval: 60 }, clean: false });
    b.connack({ topicAliasMaximum: 1 });
    const h = b.client.topic("devices/esp32-a1b2c3/telemetry/temperature");
    b.client.publish(h, "first", 0); // sets the alias
    b.take();
    const sent: mqttPacket.IPublishPacket[] = [];
    for (let n = 0; n < 4; n++) {
      expect(b.client.publish(h, "m" + n, 1, false, 0, -1, { messageExpiryInterval: 100, userProperties: { n: String(n) } })).toBe(n + 1);
      expect(b.client.publish("z", "x".repeat(30), 0)).toBe(0); // sent and gone: a gap in the outbox, so writing whole again must compact
      sent.push(...(b.take() as mqttPacket.IPublishPacket[]).filter((p) => p.qos === 1));
    }
    expect(sent.map((p) => [p.topic, p.properties?.topicAlias])).toEqual(Array.from({ length: 4 }, () => ["", 1]));
    expect(b.client.queuedCount()).toBe(4);
    b.client.closed(b.now); // lost before any PUBACK
    b.now = 60_000;
    b.client.poll(b.now);
    expect(b.client.shouldOpen(b.now)).toBe(true);
    b.client.opened(b.now);
    b.connack({ topicAliasMaximum: 1 }, true);
    const again = b.take() as mqttPacket.IPublishPacket[];
    expect(again.map((p) => [p.topic, p.properties?.topicAlias, p.dup, p.messageId, p.payload.toString(), p.properties?.userProperties?.n])).toEqual(
      Array.from({ length: 4 }, (_, n) => ["devices/esp32-a1b2c3/telemetry/temperature", undefined, true, n + 1, "m" + n, String(n)]),
    );
    expect(again.every((p) => (p.properties?.messageExpiryInterval ?? 0) > 0)).toBe(true);
  });
});

describe("Outbox.widen and narrow (writing a record whole again in place)", () => {
  it("open and close bytes inside a record, moving the later records, compacting first when the end is too near", async () => {
    const { Outbox } = await import("../../firmware/mqtt/client/outbox.js");
    const o = new Outbox(40, 8);
    const put = (text: string, spare = 0) => {
      const at = o.reserve(text.length);
      for (let k = 0; k < text.length; k++) o.bytes[at + k] = text.charCodeAt(k);
      return o.add(text.length, 0, 0, spare);
    };
    const read = (i: number) => String.fromCharCode(...o.bytes.subarray(o.offset[i], o.offset[i] + o.length[i]));
    const gap = put("gggggggg"); // 8 bytes, removed below: a gap before the others
    const a = put("aaaa", 10); // 4 bytes, 10 spare
    const b = put("bbbbbbbbbbbb"); // 12
    const c = put("cc"); // 2
    o.remove(gap);
    expect(o.liveBytes).toBe(4 + 10 + 12 + 2);
    // end is 26; widening a by 10 would reach 36 <= 40: no compaction needed, offsets move
    o.widen(a, 2, 10);
    o.bytes.fill(0x2d, o.offset[a] + 2, o.offset[a] + 12);
    expect([read(a), read(b), read(c)]).toEqual(["aa----------aa", "bbbbbbbbbbbb", "cc"]);
    o.narrow(a, 12, 10);
    expect([read(a), read(b), read(c)]).toEqual(["aaaa", "bbbbbbbbbbbb", "cc"]);
    const d = put("dddddddddddd"); // 12 more: end 38 (the gap of 8 still at the start)
    expect(o.offset[d]).toBe(26);
    o.widen(a, 4, 10); // 38 + 10 > 40: compacts first (the gap closes), then opens
    expect(o.offset[a]).toBe(0);
    o.bytes.fill(0x2b, o.offset[a] + 4, o.offset[a] + 14);
    expect([read(a), read(b), read(c), read(d)]).toEqual(["aaaa++++++++++", "bbbbbbbbbbbb", "cc", "dddddddddddd"]);
    expect(o.spare[a]).toBe(0);
    expect(o.liveBytes).toBe(14 + 12 + 2 + 12);
  });
});

describe("what CONNACK says of the server, honoured beyond the limits", () => {
  it("an Assigned Client Identifier is used in the next CONNECT (a kept session can be resumed)", () => {
    const b = new Broker({ clientId: "" });
    expect((b.take()[0] as mqttPacket.IConnectPacket).clientId).toBe("");
    b.send({ cmd: "connack", reasonCode: 0, sessionPresent: false, properties: { assignedClientIdentifier: "auto-7f3a" } });
    b.client.closed(b.now);
    b.now = 60_000;
    b.client.poll(b.now);
    expect(b.client.shouldOpen(b.now)).toBe(true);
    b.client.opened(b.now);
    expect((b.take()[0] as mqttPacket.IConnectPacket).clientId).toBe("auto-7f3a");
  });

  it("a subscribe() the server said it cannot take (wildcards, shared, identifiers) throws with words, not a SUBACK refusal later", () => {
    const b = new Broker();
    b.connack({ wildcardSubscriptionAvailable: false, sharedSubscriptionAvailable: false, subscriptionIdentifiersAvailable: false });
    expect(() => b.client.subscribe([{ topic: "a/+" }])).toThrow("the broker does not support wildcard subscriptions (0xA2)");
    expect(() => b.client.subscribe([{ topic: "$share/g/a" }])).toThrow("the broker does not support shared subscriptions (0x9E)");
    expect(() => b.client.subscribe([{ topic: "a", subscriptionIdentifier: 3 }])).toThrow("subscription identifiers (0xA1)");
    b.client.subscribe([{ topic: "a/b" }]);
    expect(b.take().map((p) => p.cmd)).toEqual(["subscribe"]);
  });
});

describe("request/response and the CONNACK's properties reach the app", () => {
  it("respond() answers on the request's Response Topic with its Correlation Data; onConnected sees the CONNACK's User Properties", () => {
    let seen = "";
    const b = new Broker({
      onConnected: (_present, properties) => {
        properties.userProperty(0);
        seen = `${properties.string(Property.ResponseInformation)} ${properties.userPropertyCount}`;
      },
      onMessage: (m) => expect(b.client.respond(m, "pong", 1)).toBe(1),
    });
    b.connack({ responseInformation: "replies/", userProperties: { region: "eu" } });
    expect(seen).toBe("replies/ 1");
    b.send({ cmd: "publish", topic: "svc/ping", payload: Buffer.from("ping"), qos: 0, properties: { responseTopic: "replies/me", correlationData: Buffer.from([7, 7]) } });
    const [answer] = b.take() as mqttPacket.IPublishPacket[];
    expect([answer.topic, answer.payload.toString(), [...(answer.properties?.correlationData as Buffer)]]).toEqual(["replies/me", "pong", [7, 7]]);
    const plain = new Broker({ onMessage: (m) => expect(plain.client.respond(m, "x")).toBe(ClientError.InvalidArgument) });
    plain.connack();
    plain.send({ cmd: "publish", topic: "svc/ping", payload: Buffer.from("ping"), qos: 0 });
  });
});
