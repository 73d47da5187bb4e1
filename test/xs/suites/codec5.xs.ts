// The MQTT 5.0 codec on the XS engine: its hot paths allocate 0 slots and 0 chunk bytes, peaks included,
// over 10,000 iterations: a PUBLISH written with a Topic Alias and properties from plain values, an
// incoming PUBLISH with properties read (numbers, user properties, one copied out) and its PUBACK, and
// acknowledgements with reason codes and a reason string.
import { decodePacket } from "../../../firmware/mqtt/codec/decode.js";
import { FrameReader } from "../../../firmware/mqtt/codec/frame.js";
import { IncomingPacket, PacketType, ProtocolVersion } from "../../../firmware/mqtt/codec/packet.js";
import { ackSize, encodeAck } from "../../../firmware/mqtt/codec/packets/acks.js";
import { encodePublish, publishSize } from "../../../firmware/mqtt/codec/packets/publish.js";
import { Property, writeByteProperty, writeDataProperty, writeU16Property, writeU32Property, writeUserProperty, writeVarintProperty } from "../../../firmware/mqtt/codec/properties.js";
import { copyBytes } from "../../../firmware/mqtt/codec/wire.js";
import { utf8 } from "../../vectors/codec-vectors.js";
import { assertEqual, assertNoAllocation, measure, report, run, test } from "./harness.js";

const V5 = ProtocolVersion.V5;
const topic = utf8("devices/esp32-a1b2c3/telemetry/temperature");
const payload = utf8('{"ts":1732460000123,"seq":42,"temperature":21.4}');
const none = new Uint8Array(0);
const out = new Uint8Array(256);
const scratch = new Uint8Array(64);
const frame = new FrameReader(1024);
frame.protocolVersion = 5;
const packet = new IncomingPacket();

test("encoding a QoS 1 PUBLISH with a Topic Alias (alias only) and a Message Expiry Interval allocates nothing", () => {
  let id = 1;
  let end = 0;
  const m = measure(() => {
    let p = writeU16Property(scratch, 0, Property.TopicAlias, 3);
    p = writeU32Property(scratch, p, Property.MessageExpiryInterval, 3600);
    p = writeByteProperty(scratch, p, Property.PayloadFormatIndicator, 1);
    end = encodePublish(out, 0, none, payload, 0, 48, 1, false, false, id, scratch, p);
    id = id === 65535 ? 1 : id + 1;
  });
  report("measure", m);
  assertEqual(end, publishSize(0, 48, 1, V5, 10), "the size written");
  assertNoAllocation(m, "encodePublish with properties");
});

test("decoding a QoS 1 PUBLISH with properties, reading them, copying a user property, and its PUBACK allocates nothing", () => {
  let p = writeByteProperty(scratch, 0, Property.PayloadFormatIndicator, 1);
  p = writeU32Property(scratch, p, Property.MessageExpiryInterval, 120);
  p = writeDataProperty(scratch, p, Property.ContentType, utf8("application/json"));
  p = writeUserProperty(scratch, p, utf8("unit"), utf8("C"));
  p = writeUserProperty(scratch, p, utf8("site"), utf8("lab"));
  p = writeVarintProperty(scratch, p, Property.SubscriptionIdentifier, 300);
  const wire = new Uint8Array(publishSize(topic.length, 48, 1, V5, p));
  encodePublish(wire, 0, topic, payload, 0, 48, 1, false, false, 7, scratch, p);
  const ack = new Uint8Array(ackSize(V5));
  const copied = new Uint8Array(8);
  let sum = 0;
  const m = measure(() => {
    frame.read(wire, 0, wire.length);
    sum += decodePacket(wire, frame, packet, V5);
    const properties = packet.properties;
    sum += properties.number(Property.MessageExpiryInterval, 0) + properties.number(Property.PayloadFormatIndicator, 0);
    sum += properties.subscriptionIdentifier(0) + properties.dataLength(Property.ContentType);
    for (let i = 0; properties.userProperty(i); i++) sum += properties.valueLength;
    properties.userProperty(1);
    copyBytes(copied, 0, wire, properties.valueOffset, properties.valueLength);
    encodeAck(ack, 0, PacketType.Puback, packet.packetId, V5);
  });
  report("measure", m);
  assertEqual(sum, 10100 * (120 + 1 + 300 + 16 + 1 + 3), "properties read");
  assertEqual(String.fromCharCode(copied[0], copied[1], copied[2]), "lab", "the user property copied");
  assertNoAllocation(m, "PUBLISH with properties decode + PUBACK encode");
});

test("decoding PUBACK, PUBREC and PUBCOMP with reason codes and a reason string allocates nothing", () => {
  const reason = utf8("quota exceeded");
  const wire = new Uint8Array(64);
  const p = writeDataProperty(scratch, 0, Property.ReasonString, reason);
  let end = encodeAck(wire, 0, PacketType.Puback, 1, V5, 0x97, scratch, p);
  end = encodeAck(wire, end, PacketType.Pubrec, 2, V5, 0x10, none, 0);
  end = encodeAck(wire, end, PacketType.Pubcomp, 3, V5);
  let sum = 0;
  const m = measure(() => {
    for (let at = 0; at < end; ) {
      const length = frame.read(wire, at, end);
      sum += decodePacket(wire, frame, packet, V5) + packet.reasonCode + packet.properties.dataLength(Property.ReasonString);
      at += length;
    }
  });
  report("measure", m);
  assertEqual(sum, 10100 * (0x97 + 14 + 0x10), "reason codes and the reason string's length");
  assertNoAllocation(m, "ack decode with reason codes");
});

await run();
