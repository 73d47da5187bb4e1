// Runs on XS: computrons and allocation per codec operation on the telemetry PUBLISH, in MQTT 3.1.1 and in
// MQTT 5.0 with properties (the same packets as the Node figures: bench/codec-node.ts). Each figure is
// net of the measuring loop's own cost (an empty iteration, measured in the same run).
import { decodePacket } from "../../firmware/mqtt/codec/decode.js";
import { FrameReader } from "../../firmware/mqtt/codec/frame.js";
import { IncomingPacket, ProtocolVersion } from "../../firmware/mqtt/codec/packet.js";
import { encodePublish, publishSize, writePublishHeader } from "../../firmware/mqtt/codec/packets/publish.js";
import { writeU16, writeVarint } from "../../firmware/mqtt/codec/wire.js";
import { Property, writeDataProperty, writeU16Property, writeU32Property, writeUserProperty } from "../../firmware/mqtt/codec/properties.js";
import { assertEqual, measure, report, run, test, type Measure } from "../../test/xs/suites/harness.js";
import { utf8 } from "../../test/vectors/codec-vectors.js";
import { CONTENT_TYPE, MESSAGE_EXPIRY_INTERVAL, PACKET_ID, PAYLOAD, TOPIC, TOPIC_ALIAS, USER_PROPERTIES } from "../telemetry-packet.js";

const V4 = ProtocolVersion.V311;
const V5 = ProtocolVersion.V5;
const topic = utf8(TOPIC);
const payload = utf8(PAYLOAD);
const wire = new Uint8Array(publishSize(topic.length, payload.length, 1, V4));
const frame = new FrameReader(1024);
const packet = new IncomingPacket();

// 5.0: the packet written as the client writes it, the properties from plain values straight into it, as on Node.
const contentType = utf8(CONTENT_TYPE);
const key0 = utf8(USER_PROPERTIES[0][0]);
const value0 = utf8(USER_PROPERTIES[0][1]);
const key1 = utf8(USER_PROPERTIES[1][0]);
const value1 = utf8(USER_PROPERTIES[1][1]);
const scratch = new Uint8Array(64);
function writeProperties5(): number {
  let p = writeU16Property(scratch, 0, Property.TopicAlias, TOPIC_ALIAS);
  p = writeU32Property(scratch, p, Property.MessageExpiryInterval, MESSAGE_EXPIRY_INTERVAL);
  p = writeDataProperty(scratch, p, Property.ContentType, contentType);
  p = writeUserProperty(scratch, p, key0, value0);
  return writeUserProperty(scratch, p, key1, value1);
}
const wire5 = new Uint8Array(publishSize(topic.length, payload.length, 1, V5, writeProperties5()));
const frame5 = new FrameReader(1024);
frame5.protocolVersion = 5;
const packet5 = new IncomingPacket();

function net(m: Measure, empty: Measure) {
  return {
    computrons: m.computronsPerIteration - empty.computronsPerIteration,
    slots: m.slotsPeak,
    chunkBytes: m.chunksPeak,
  };
}

test("codec figures", () => {
  const empty = measure(() => {});
  const encode = measure(() => {
    encodePublish(wire, 0, topic, payload, 0, 48, 1, false, false, PACKET_ID);
  });
  const decode = measure(() => {
    frame.read(wire, 0, wire.length);
    decodePacket(wire, frame, packet, V4);
  });
  let written = 0;
  const length5 = writeProperties5();
  const encode5 = measure(() => {
    let off = writePublishHeader(wire5, 0, topic.length, 48, 1, false, false, length5);
    wire5.set(topic, off);
    off = writeU16(wire5, off + topic.length, PACKET_ID);
    off = writeVarint(wire5, off, length5);
    off = writeU16Property(wire5, off, Property.TopicAlias, TOPIC_ALIAS);
    off = writeU32Property(wire5, off, Property.MessageExpiryInterval, MESSAGE_EXPIRY_INTERVAL);
    off = writeDataProperty(wire5, off, Property.ContentType, contentType);
    off = writeUserProperty(wire5, off, key0, value0);
    off = writeUserProperty(wire5, off, key1, value1);
    wire5.set(payload, off);
    written = off + 48;
  });
  let read = 0;
  const decode5 = measure(() => {
    frame5.read(wire5, 0, wire5.length);
    decodePacket(wire5, frame5, packet5, V5);
    const p = packet5.properties;
    read += p.number(Property.TopicAlias, 0) + p.number(Property.MessageExpiryInterval, 0) + p.dataOffset(Property.ContentType) + p.dataLength(Property.ContentType);
    for (let i = 0; p.userProperty(i); i++) read += p.keyOffset + p.keyLength + p.valueOffset + p.valueLength;
  });
  assertEqual(written, wire5.length, "the 5.0 PUBLISH's size");
  assertEqual(decodePacket(wire5, frame5, packet5, V5), 0, "the 5.0 PUBLISH decodes");
  assertEqual(packet5.properties.number(Property.MessageExpiryInterval, 0), MESSAGE_EXPIRY_INTERVAL, "its Message Expiry Interval");
  assertEqual(packet5.properties.userPropertyCount, 2, "its User Properties");
  report("encode", net(encode, empty));
  report("decode", net(decode, empty));
  report("encode5", net(encode5, empty));
  report("decode5", net(decode5, empty));
  report("read5", read);
  report("loop", empty.computronsPerIteration);
});

await run();
