// The MQTT 5.0 client (protocolVersion: 5) on the XS engine: the allocation proof of client.xs.ts at 5.0.
// Each steady-state cycle allocates 0 slots and 0 chunk bytes, peaks included, over 10,000 iterations
// after warm-up: publishing at QoS 0, 1 and 2 with the broker's acks (PUBACK bare, with a reason code,
// with a reason code and a Reason String), and receiving at QoS 1 and 2 a PUBLISH with properties that
// the handler reads through message.properties. The broker is played with preallocated bytes written by
// the codec. Run by test/xs/client5.test.ts.
import { ClientState, MqttClient, TopicHandle } from "../../../firmware/mqtt/index.js";
import type { MessageView } from "../../../firmware/mqtt/client/message.js";
import type { ClientOptions } from "../../../firmware/mqtt/client/options.js";
import { ProtocolVersion } from "../../../firmware/mqtt/codec/packet.js";
import { encodePublish, publishSize } from "../../../firmware/mqtt/codec/packets/publish.js";
import {
  Property,
  writeByteProperty, writeU16Property,
  writeDataProperty,
  writeU32Property,
  writeUserProperty,
} from "../../../firmware/mqtt/codec/properties.js";
import { utf8 } from "../../vectors/codec-vectors.js";
import { drain } from "./fixture.js";
import { assertEqual, assertNoAllocation, assertTrue, measure, report, run, test } from "./harness.js";

const V5 = ProtocolVersion.V5;
let now = 1_000_000;
let acked = 0;
let reasons = 0;
let messages = 0;

// What the handler reads of every message, with the helpers that promise no allocation: the topic
// compared, the payload copied, and every property the PUBLISH carries read in place.
const COMMAND_TOPIC = "devices/esp32-a1b2c3/cmd/sample";
const commandTopicBytes = utf8(COMMAND_TOPIC);
const commandFilter = utf8("devices/+/cmd/#");
const payloadCopy = new Uint8Array(16);
const valueCopy = new Uint8Array(16);
let viewChecks = 0;
let propertySum = 0;
const onMessage = (m: MessageView) => {
  messages += m.payloadLength;
  if (m.topicIs(COMMAND_TOPIC) && m.topicEquals(commandTopicBytes) && m.matches(commandFilter) && m.copyPayload(payloadCopy, 1) === m.payloadLength) viewChecks++;
  const p = m.properties;
  propertySum += p.number(Property.MessageExpiryInterval, 0) + p.number(Property.PayloadFormatIndicator, 0);
  propertySum += p.dataLength(Property.ContentType) + p.dataLength(Property.CorrelationData) + (p.has(Property.ResponseTopic) ? 1 : 0);
  for (let i = 0; p.userProperty(i); i++) propertySum += p.keyLength + p.valueLength;
  // the second User Property's value copied out, as an app keeps one
  if (p.userProperty(1)) {
    const buffer = m.buffer;
    for (let i = 0; i < p.valueLength; i++) valueCopy[i] = buffer[p.valueOffset + i];
  }
};
const onAcked = (id: number, reasonCode: number) => {
  acked += id > 0 ? 1 : 0;
  reasons += reasonCode;
};

/** CONNACK at 5.0: no session, Success, an empty property block. */
const CONNACK = Uint8Array.of(0x20, 3, 0, 0, 0);

/** A 5.0 client that has sent CONNECT and had CONNACK, as fixture.ts's connectedClient does at 3.1.1. */
function connected(extra: Partial<ClientOptions> = {}): MqttClient {
  const client = new MqttClient({ clientId: "xs-alloc5", protocolVersion: 5, keepalive: 60, random: () => 0.5, onMessage, onAcked, ...extra });
  client.start(now);
  client.shouldOpen(now);
  client.opened(now);
  drain(client, now);
  client.receive(CONNACK, 0, CONNACK.length, now);
  assertEqual(client.state, ClientState.Connected, "connected");
  return client;
}

const topicName = "devices/esp32-a1b2c3/telemetry/temperature";
const payload = utf8('{"ts":1732460000123,"seq":42,"temperature":21.4}');

/**
 * An ack from the broker (PUBACK 0x40, PUBREC 0x50, PUBREL 0x62, PUBCOMP 0x70) at 5.0, preallocated:
 * bare (Success, 4 bytes), or with a reason code, and then optionally a Reason String property.
 * setId() writes the packet id into it.
 */
class Ack {
  readonly bytes: Uint8Array;
  constructor(first: number, reasonCode = -1, reasonString: Uint8Array | null = null) {
    if (reasonCode < 0) {
      this.bytes = Uint8Array.of(first, 2, 0, 0);
      return;
    }
    const properties = reasonString === null ? 0 : 3 + reasonString.length;
    const remaining = 3 + (reasonString === null ? 0 : 1 + properties); // id, code, then (with properties) their length
    this.bytes = new Uint8Array(2 + remaining);
    this.bytes[0] = first;
    this.bytes[1] = remaining;
    this.bytes[4] = reasonCode;
    if (reasonString !== null) {
      this.bytes[5] = properties;
      writeDataProperty(this.bytes, 6, Property.ReasonString, reasonString);
    }
  }
  setId(id: number): Uint8Array {
    this.bytes[2] = id >> 8;
    this.bytes[3] = id & 0xff;
    return this.bytes;
  }
}

// A 5.0 PUBLISH and its acks: one more byte than 3.1.1's 94 + 2 (the empty property block).
const PUBLISH_BYTES = [95, 97, 97];

function publishTest(name: string, qos: 0 | 1 | 2, ack: Ack | null, expectedReason: number, reasonString = ""): void {
  test("5.0 " + name + " allocates nothing", () => {
    const client = connected();
    const topic = new TopicHandle(topicName);
    const pubrec = new Ack(0x50);
    const pubcomp = new Ack(0x70);
    let bytes = 0;
    let pubrels = 0;
    const before = acked;
    const reasonsBefore = reasons;
    const m = measure(() => {
      const id = client.publish(topic, payload, qos);
      bytes += drain(client, now);
      if (qos === 1) {
        const a = ack!.setId(id);
        client.receive(a, 0, a.length, now);
      } else if (qos === 2) {
        client.receive(pubrec.setId(id), 0, 4, now);
        pubrels += drain(client, now); // PUBREL
        client.receive(pubcomp.setId(id), 0, 4, now);
      }
    });
    report("measure", m);
    assertEqual(client.state, ClientState.Connected, "still connected");
    assertEqual(client.queuedCount(), 0, "outbox empty");
    assertEqual(bytes, 10100 * PUBLISH_BYTES[qos], "PUBLISH bytes sent");
    assertEqual(pubrels, qos === 2 ? 4 * 10100 : 0, "PUBREL bytes sent");
    assertEqual(acked - before, qos === 0 ? 0 : 10100, "acks reaching onAcked");
    assertEqual(reasons - reasonsBefore, expectedReason * 10100, "their reason codes");
    assertEqual(client.stats.rejected, expectedReason >= 0x80 ? 10100 : 0, "refusals counted");
    assertEqual(client.reasonString, reasonString, "the Reason String, read after the loop");
    assertNoAllocation(m, "5.0 " + name);
  });
}
publishTest("publish QoS 0", 0, null, 0);
publishTest("publish QoS 1 with a bare PUBACK (Success)", 1, new Ack(0x40), 0);
publishTest("publish QoS 1 with a PUBACK of reason code 0x10 (no matching subscribers)", 1, new Ack(0x40, 0x10), 0x10);
publishTest("publish QoS 1 with a PUBACK of 0x10 and a Reason String", 1, new Ack(0x40, 0x10, utf8("no subscribers")), 0x10, "no subscribers");
publishTest("publish QoS 1 with a refusing PUBACK (0x97) and a Reason String", 1, new Ack(0x40, 0x97, utf8("quota exceeded")), 0x97, "quota exceeded");
publishTest("publish QoS 2 with PUBREC, PUBREL, PUBCOMP", 2, null, 0);

test("5.0 publish QoS 1 by Topic Alias (set once, then the alias alone) and its PUBACK allocates nothing", () => {
  const client = new MqttClient({ clientId: "xs-alias", protocolVersion: 5, keepalive: 60, topicAliases: 2, random: () => 0.5, onMessage, onAcked });
  client.start(now);
  client.shouldOpen(now);
  client.opened(now);
  drain(client, now);
  const connack = Uint8Array.of(0x20, 6, 0, 0, 3, 0x22, 0, 10); // Topic Alias Maximum 10
  client.receive(connack, 0, connack.length, now);
  const topic = new TopicHandle(topicName);
  const puback = new Ack(0x40);
  const setter = client.publish(topic, payload, 1);
  const first = drain(client, now);
  client.receive(puback.setId(setter), 0, 4, now);
  let bytes = 0;
  const m = measure(() => {
    const id = client.publish(topic, payload, 1);
    bytes += drain(client, now);
    client.receive(puback.setId(id), 0, 4, now);
  });
  report("measure", m);
  assertEqual(client.state, ClientState.Connected, "still connected");
  assertEqual(first, PUBLISH_BYTES[1] + 3, "the first with its topic and the alias");
  assertEqual(bytes, 10100 * (PUBLISH_BYTES[1] + 3 - topicName.length), "then the alias alone: the topic's bytes saved on every message");
  assertNoAllocation(m, "5.0 publish by Topic Alias");
});

/**
 * The broker's PUBLISH on the command topic with properties (no Topic Alias: we allow the broker none),
 * written by the codec; returns it and where its packet id is.
 */
function inboundPublish(qos: 1 | 2): { packet: Uint8Array; idAt: number } {
  const scratch = new Uint8Array(128);
  let p = writeByteProperty(scratch, 0, Property.PayloadFormatIndicator, 1);
  p = writeU32Property(scratch, p, Property.MessageExpiryInterval, 120);
  p = writeDataProperty(scratch, p, Property.ContentType, utf8("application/json"));
  p = writeDataProperty(scratch, p, Property.ResponseTopic, utf8("devices/esp32-a1b2c3/reply"));
  p = writeDataProperty(scratch, p, Property.CorrelationData, Uint8Array.of(1, 2, 3, 4));
  p = writeUserProperty(scratch, p, utf8("unit"), utf8("C"));
  p = writeUserProperty(scratch, p, utf8("site"), utf8("lab"));
  const topic = utf8(COMMAND_TOPIC);
  const body = utf8("now");
  const packet = new Uint8Array(publishSize(topic.length, body.length, qos, V5, p));
  encodePublish(packet, 0, topic, body, 0, body.length, qos, false, false, 1, scratch, p);
  const header = packet[1] < 0x80 ? 2 : 3;
  return { packet, idAt: header + 2 + topic.length };
}
/** What the handler sums of the properties above, per message. */
const PROPERTY_SUM = 120 + 1 + 16 + 4 + 1 + (4 + 1) + (4 + 3);

function inboundTest(qos: 1 | 2): void {
  test("5.0 inbound QoS " + qos + " PUBLISH with properties read through message.properties, and its acks, allocates nothing", () => {
    const client = connected();
    client.subscribe([{ topic: "devices/+/cmd/#", qos, onMessage }]);
    drain(client, now);
    client.receive(Uint8Array.of(0x90, 4, 0, 1, 0, qos), 0, 6, now); // SUBACK at 5.0: id, no properties, the granted QoS
    const { packet, idAt } = inboundPublish(qos);
    const pubrel = new Ack(0x62);
    let id = 0;
    let answered = 0;
    const before = messages;
    const viewBefore = viewChecks;
    const sumBefore = propertySum;
    const m = measure(() => {
      id = id === 65535 ? 1 : id + 1;
      packet[idAt] = id >> 8;
      packet[idAt + 1] = id & 0xff;
      client.receive(packet, 0, packet.length, now);
      answered += drain(client, now); // PUBACK or PUBREC
      if (qos === 2) {
        client.receive(pubrel.setId(id), 0, 4, now);
        answered += drain(client, now); // PUBCOMP
      }
    });
    report("measure", m);
    assertEqual(client.state, ClientState.Connected, "still connected");
    assertEqual(messages - before, 10100 * 3, "payload bytes delivered");
    assertEqual(viewChecks - viewBefore, 10100, "the view's compare and copy helpers held on every message");
    assertEqual(propertySum - sumBefore, 10100 * PROPERTY_SUM, "the properties read on every message");
    assertEqual(String.fromCharCode(valueCopy[0], valueCopy[1], valueCopy[2]), "lab", "the User Property copied");
    assertEqual(answered, 10100 * (qos === 1 ? 4 : 8), "PUBACK, or PUBREC and PUBCOMP, bytes sent");
    assertTrue(client.stats.received >= 10100, "received counter");
    assertNoAllocation(m, "5.0 inbound QoS " + qos);
  });
}
inboundTest(1);
inboundTest(2);

test("5.0 inbound QoS 0 PUBLISH by Topic Alias (set once, then the alias alone) matched and read allocates nothing", () => {
  const client = connected({ properties: { topicAliasMaximum: 4 } });
  const scratch = new Uint8Array(8);
  const p = writeU16Property(scratch, 0, Property.TopicAlias, 3);
  const topic = utf8(COMMAND_TOPIC);
  const body = utf8("now");
  const setting = new Uint8Array(publishSize(topic.length, body.length, 0, V5, p));
  encodePublish(setting, 0, topic, body, 0, body.length, 0, false, false, 0, scratch, p);
  const aliasOnly = new Uint8Array(publishSize(0, body.length, 0, V5, p));
  encodePublish(aliasOnly, 0, new Uint8Array(0), body, 0, body.length, 0, false, false, 0, scratch, p);
  client.receive(setting, 0, setting.length, now);
  const viewBefore = viewChecks;
  const m = measure(() => {
    client.receive(aliasOnly, 0, aliasOnly.length, now);
  });
  report("measure", m);
  assertEqual(client.state, ClientState.Connected, "still connected");
  assertEqual(viewChecks - viewBefore, 10100, "the topic came from the alias table: compared, matched, copied on every message");
  assertNoAllocation(m, "5.0 inbound by Topic Alias");
});

test("5.0 a keepalive cycle allocates nothing", () => {
  const client = connected();
  const PINGRESP = Uint8Array.of(0xd0, 0);
  let pings = 0;
  const m = measure(() => {
    now += 60_000;
    client.poll(now);
    pings += drain(client, now);
    client.receive(PINGRESP, 0, 2, now);
  });
  report("measure", m);
  assertEqual(pings, 2 * 10100, "PINGREQ bytes");
  assertEqual(client.state, ClientState.Connected, "still connected");
  assertNoAllocation(m, "5.0 keepalive");
});

test("5.0 a disconnect-reconnect-resend cycle, each CONNACK with the server's limits as properties, allocates nothing", () => {
  const client = connected({ clean: false, reconnectPeriod: 1000, stableAfter: 0 });
  // session present, Success; Receive Maximum 20, Maximum Packet Size 4,096, Topic Alias Maximum 10, Server Keep Alive 60
  const connack = Uint8Array.of(0x20, 17, 1, 0, 14, 0x21, 0, 20, 0x27, 0, 0, 0x10, 0, 0x22, 0, 10, 0x13, 0, 60);
  const topic = new TopicHandle(topicName);
  const puback = new Ack(0x40);
  let resent = 0;
  const m = measure(() => {
    const id = client.publish(topic, payload, 1);
    drain(client, now);
    client.closed(now); // the link drops before the PUBACK
    now += 1000;
    client.poll(now);
    client.shouldOpen(now);
    client.opened(now);
    drain(client, now); // CONNECT
    client.receive(connack, 0, connack.length, now);
    resent += drain(client, now); // the PUBLISH again, DUP set
    client.receive(puback.setId(id), 0, 4, now);
  });
  report("measure", m);
  assertEqual(client.state, ClientState.Connected, "connected again");
  assertEqual(resent, 97 * 10100, "bytes resent");
  assertEqual(client.stats.resent, 10100, "resent counter");
  assertTrue(client.queuedCount() === 0, "outbox empty");
  assertNoAllocation(m, "5.0 disconnect-reconnect-resend");
});

await run();
