// The client on the XS engine: the scripted broker conversations of the Node suite, then the
// allocation proof: each steady-state cycle allocates 0 slots and 0 chunk bytes, peaks included, over
// 10,000 iterations after warm-up. Run by test/xs/client.test.ts.
import { ClientState, MqttClient, TopicHandle } from "../../../firmware/mqtt/index.js";
import type { MessageView } from "../../../firmware/mqtt/client/message.js";
import type { ClientOptions } from "../../../firmware/mqtt/client/options.js";
import { runConversation } from "../../vectors/conversation.js";
import { conversations } from "../../vectors/conversations.js";
import { defects } from "../../vectors/defects.js";
import { utf8 } from "../../vectors/codec-vectors.js";
import { connectedClient, drain } from "./fixture.js";
import { assertEqual, assertNoAllocation, assertTrue, measure, report, run, test } from "./harness.js";

for (const conversation of conversations) test("conversation: " + conversation.name, () => assertEqual(runConversation(conversation), null));
for (const conversation of defects) test("defect: " + conversation.name, () => assertEqual(runConversation(conversation), null));

// ---- Allocation: the client driven by a loop that plays the broker with preallocated bytes ----

let now = 1_000_000;
let messages = 0;
let acked = 0;
let connects = 0;
// The view's helpers that promise no allocation are used on every message, so the inbound proofs cover them.
const COMMAND_TOPIC = "devices/esp32-a1b2c3/cmd/sample";
const commandTopicBytes = Uint8Array.of(...Array.from(COMMAND_TOPIC, (c) => c.charCodeAt(0)));
const commandFilter = Uint8Array.of(...Array.from("devices/+/cmd/#", (c) => c.charCodeAt(0)));
const payloadCopy = new Uint8Array(16);
const topicCopy = new Uint8Array(64);
let viewChecks = 0;
const onMessage = (m: MessageView) => {
  messages += m.payloadLength;
  if (m.topicIs(COMMAND_TOPIC) && m.topicEquals(commandTopicBytes) && m.matches(commandFilter) && m.copyPayload(payloadCopy, 1) === m.payloadLength && m.copyTopic(topicCopy) === m.topicLength) viewChecks++;
};
const onAcked = (id: number) => {
  acked += id > 0 ? 1 : 0;
};
const onConnected = () => {
  connects++;
};

function connected(extra: Partial<ClientOptions>): MqttClient {
  const client = connectedClient(now, { clientId: "xs-alloc", onMessage, onAcked, onConnected, ...extra });
  assertEqual(client.state, ClientState.Connected, "connected");
  return client;
}

const CONNACK_SESSION = Uint8Array.of(0x20, 2, 1, 0);
const PINGRESP = Uint8Array.of(0xd0, 0);
const ack = new Uint8Array(4);
const topicName = "devices/esp32-a1b2c3/telemetry/temperature";
const payload = utf8('{"ts":1732460000123,"seq":42,"temperature":21.4}');

/** Writes an ack of `type` (PUBACK 0x40, PUBREC 0x50, PUBREL 0x62, PUBCOMP 0x70) for `id` into `ack`. */
function setAck(first: number, id: number): Uint8Array {
  ack[0] = first;
  ack[1] = 2;
  ack[2] = id >> 8;
  ack[3] = id & 0xff;
  return ack;
}

function publishCycleTest(qos: 0 | 1 | 2): void {
  test("publish QoS " + qos + " with its acks allocates nothing", () => {
    const client = connected({});
    const topic = new TopicHandle(topicName);
    let bytes = 0;
    const before = acked;
    const m = measure(() => {
      const id = client.publish(topic, payload, qos);
      bytes += drain(client, now);
      if (qos === 1) client.receive(setAck(0x40, id), 0, 4, now);
      else if (qos === 2) {
        client.receive(setAck(0x50, id), 0, 4, now);
        bytes += drain(client, now); // PUBREL
        client.receive(setAck(0x70, id), 0, 4, now);
      }
    });
    report("measure", m);
    assertEqual(client.state, ClientState.Connected, "still connected");
    assertEqual(client.queuedCount(), 0, "outbox empty");
    assertEqual(bytes, 10100 * (qos === 0 ? 94 : qos === 1 ? 96 : 100), "bytes sent");
    assertEqual(acked - before, qos === 0 ? 0 : 10100, "acks");
    assertNoAllocation(m, "publish QoS " + qos + " cycle");
  });
}
publishCycleTest(0);
publishCycleTest(1);
publishCycleTest(2);

function inboundTest(qos: 0 | 1 | 2): void {
  test("inbound QoS " + qos + " dispatch with its acks allocates nothing", () => {
    const client = connected({});
    client.subscribe([{ topic: "devices/+/cmd/#", qos, onMessage }]);
    drain(client, now);
    client.receive(Uint8Array.of(0x90, 3, 0, 1, qos), 0, 5, now);
    const topic = utf8("devices/esp32-a1b2c3/cmd/sample");
    const body = utf8("now");
    const packet = new Uint8Array(2 + 2 + topic.length + (qos > 0 ? 2 : 0) + body.length);
    packet[0] = 0x30 | (qos << 1);
    packet[1] = packet.length - 2;
    packet[3] = topic.length;
    packet.set(topic, 4);
    let at = 4 + topic.length;
    if (qos > 0) at += 2;
    packet.set(body, at);
    const idAt = 4 + topic.length;
    let id = 0;
    const before = messages;
    const viewBefore = viewChecks;
    const m = measure(() => {
      id = id === 65535 ? 1 : id + 1;
      packet[idAt] = id >> 8;
      packet[idAt + 1] = id & 0xff;
      client.receive(packet, 0, packet.length, now);
      drain(client, now); // PUBACK or PUBREC
      if (qos === 2) {
        client.receive(setAck(0x62, id), 0, 4, now);
        drain(client, now); // PUBCOMP
      }
    });
    report("measure", m);
    assertEqual(client.state, ClientState.Connected, "still connected");
    assertEqual(messages - before, 10100 * 3, "payload bytes delivered");
    assertEqual(viewChecks - viewBefore, 10100, "the view's compare and copy helpers held on every message");
    assertNoAllocation(m, "inbound QoS " + qos);
  });
}
inboundTest(0);
inboundTest(1);
inboundTest(2);

test("a keepalive cycle allocates nothing", () => {
  const client = connected({});
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
  assertNoAllocation(m, "keepalive");
});

test("a disconnect-reconnect-resend cycle allocates nothing", () => {
  const client = connected({ clean: false, reconnectPeriod: 1000, stableAfter: 0 });
  const topic = new TopicHandle(topicName);
  let resent = 0;
  const before = connects;
  const m = measure(() => {
    const id = client.publish(topic, payload, 1);
    drain(client, now);
    client.closed(now); // the link drops before the PUBACK
    now += 1000;
    client.poll(now);
    client.shouldOpen(now);
    client.opened(now);
    drain(client, now); // CONNECT
    client.receive(CONNACK_SESSION, 0, 4, now);
    resent += drain(client, now); // the PUBLISH again, DUP set
    client.receive(setAck(0x40, id), 0, 4, now);
  });
  report("measure", m);
  assertEqual(connects - before, 10100, "reconnects");
  assertEqual(resent, 96 * 10100, "bytes resent");
  assertEqual(client.stats.resent, 10100, "resent counter");
  assertTrue(client.queuedCount() === 0, "outbox empty");
  assertNoAllocation(m, "disconnect-reconnect-resend");
});

test("an oversized inbound PUBLISH, skipped across reads and acknowledged, allocates nothing", () => {
  let skipped = 0;
  const client = connected({ receiveBufferSize: 64, maxPacketSize: 64, onError: () => skipped++ });
  // QoS 1, topic "t", a 200-byte payload: remaining length 205, fed 50 bytes at a time.
  const packet = new Uint8Array(3 + 205);
  packet[0] = 0x32;
  packet[1] = 0xcd;
  packet[2] = 0x01;
  packet[4] = 1;
  packet[5] = 0x74;
  let id = 0;
  let acks = 0;
  const m = measure(() => {
    id = id === 65535 ? 1 : id + 1;
    packet[6] = id >> 8;
    packet[7] = id & 0xff;
    for (let at = 0; at < packet.length; at += 50) client.receive(packet, at, at + 50 <= packet.length ? 50 : packet.length - at, now);
    acks += drain(client, now); // PUBACK
  });
  report("measure", m);
  assertEqual(client.state, ClientState.Connected, "still connected");
  assertEqual(acks, 4 * 10100, "PUBACK bytes");
  assertEqual(skipped, 10100, "MessageTooLarge reports");
  assertNoAllocation(m, "oversized PUBLISH skipped");
});

test("drop-oldest making room in a full outbox allocates nothing", () => {
  const client = new MqttClient({ clientId: "xs-drop", queueSlots: 4, queuePolicy: "drop-oldest" });
  const topic = new TopicHandle(topicName);
  for (let i = 0; i < 4; i++) client.publish(topic, payload, 1);
  let taken = 0;
  const m = measure(() => {
    if (client.publish(topic, payload, 1) > 0) taken++;
  });
  report("measure", m);
  assertEqual(taken, 10100, "every publish taken, the oldest dropped");
  assertEqual(client.queuedCount(), 4, "four queued");
  assertNoAllocation(m, "drop-oldest");
});

await run();
