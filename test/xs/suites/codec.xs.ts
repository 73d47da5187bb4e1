// The codec on the XS engine: the same byte-literal vectors as the Node suite, then the allocation
// proof: the hot paths allocate 0 slots and 0 chunk bytes, peaks included, over 10,000 iterations.
// Run by test/xs/codec.test.ts.
import { decodePacket } from "../../../firmware/mqtt/codec/decode.js";
import { FRAME_INCOMPLETE, FrameReader } from "../../../firmware/mqtt/codec/frame.js";
import { IncomingPacket, PacketType, ProtocolVersion, type QoS } from "../../../firmware/mqtt/codec/packet.js";
import { encodeAck } from "../../../firmware/mqtt/codec/packets/acks.js";
import { encodePublish, publishSize } from "../../../firmware/mqtt/codec/packets/publish.js";
import { ByteRing } from "../../../firmware/mqtt/codec/ring.js";
import { topicMatches } from "../../../firmware/mqtt/codec/topic.js";
import { checkDecodeVector, checkEncodeVector, decodeVectors, encodeVectors, utf8 } from "../../vectors/codec-vectors.js";
import { assertEqual, assertNoAllocation, assertTrue, measure, report, run, test } from "./harness.js";

for (const vector of encodeVectors) test("encode: " + vector.name, () => assertEqual(checkEncodeVector(vector), null));
for (const vector of decodeVectors) test("decode: " + vector.name, () => assertEqual(checkDecodeVector(vector), null));

const V4 = ProtocolVersion.V311;
const topic = utf8("devices/esp32-a1b2c3/telemetry/temperature"); // a topic handle, encoded once
const payload = utf8('{"ts":1732460000123,"seq":42,"temperature":21.4}');
const out = new Uint8Array(256);
const frame = new FrameReader(1024);
const packet = new IncomingPacket();

function encodeAllocationTest(qos: QoS): void {
  test("encoding PUBLISH QoS " + qos + " allocates nothing", () => {
    assertEqual(payload.length, 48, "payload length");
    let id = 1;
    const m = measure(() => {
      encodePublish(out, 0, topic, payload, 0, 48, qos, false, false, id);
      id = id === 65535 ? 1 : id + 1;
    });
    report("measure", m);
    assertEqual(out[0], 0x30 | (qos << 1), "the first byte written");
    assertNoAllocation(m, "encodePublish QoS " + qos);
  });
}
encodeAllocationTest(0);
encodeAllocationTest(1);
encodeAllocationTest(2);

test("decoding an incoming PUBLISH QoS 1 and encoding its PUBACK allocates nothing", () => {
  const wire = new Uint8Array(publishSize(topic.length, 48, 1, V4));
  encodePublish(wire, 0, topic, payload, 0, 48, 1, false, false, 7);
  const ack = new Uint8Array(4);
  let status = 0;
  const m = measure(() => {
    const length = frame.read(wire, 0, wire.length);
    status |= length === wire.length ? decodePacket(wire, frame, packet, V4) : -100;
    encodeAck(ack, 0, PacketType.Puback, packet.packetId, V4);
  });
  report("measure", m);
  assertEqual(status, 0, "decode status");
  assertEqual(packet.payloadLength, 48, "payload length");
  assertEqual(ack[3], 7, "the PUBACK's packet id");
  assertNoAllocation(m, "PUBLISH decode + PUBACK encode");
});

test("decoding a PUBACK, PUBREC and PUBCOMP allocates nothing", () => {
  const wire = Uint8Array.of(0x40, 2, 0, 1, 0x50, 2, 0, 2, 0x70, 2, 0, 3);
  let sum = 0;
  const m = measure(() => {
    for (let at = 0; at < 12; at += 4) {
      frame.read(wire, at, 12);
      sum += decodePacket(wire, frame, packet, V4) + packet.packetId;
    }
  });
  report("measure", m);
  assertEqual(sum, 6 * (10000 + 100), "packet ids decoded");
  assertNoAllocation(m, "ack decode");
});

test("framing a PUBLISH that arrives one byte at a time allocates nothing", () => {
  const wire = new Uint8Array(publishSize(topic.length, 48, 2, V4));
  encodePublish(wire, 0, topic, payload, 0, 48, 2, false, false, 9);
  const ring = new ByteRing(128);
  let packets = 0;
  let status = 0;
  const m = measure(() => {
    for (let i = 0; i < wire.length; i++) {
      ring.push(wire[i]);
      const length = frame.read(ring.buffer, ring.head, ring.tail);
      if (length === FRAME_INCOMPLETE) continue;
      status |= length < 0 ? length : decodePacket(ring.buffer, frame, packet, V4);
      ring.consume(length);
      packets++;
    }
  }, 1000, 10);
  report("measure", m);
  assertEqual(status, 0, "status");
  assertEqual(packets, 1010, "packets framed");
  assertNoAllocation(m, "byte-by-byte framing");
});

test("topic matching allocates nothing", () => {
  const filters = [utf8("devices/+/telemetry/#"), utf8("devices/esp32-a1b2c3/cmd/+"), utf8("#"), utf8("devices/esp32-a1b2c3/telemetry/temperature")];
  const f0 = filters[0], f1 = filters[1], f2 = filters[2], f3 = filters[3];
  let matched = 0;
  const m = measure(() => {
    if (topicMatches(f0, 0, f0.length, topic, 0, topic.length)) matched++;
    if (topicMatches(f1, 0, f1.length, topic, 0, topic.length)) matched++;
    if (topicMatches(f2, 0, f2.length, topic, 0, topic.length)) matched++;
    if (topicMatches(f3, 0, f3.length, topic, 0, topic.length)) matched++;
  });
  report("measure", m);
  assertEqual(matched, 3 * 10100, "matches");
  assertNoAllocation(m, "topicMatches");
});

test("the probe sees an allocation slipped into an encode loop", () => {
  // The same loop as the QoS 1 encode test, plus one view a call: the allocation tests above can fail.
  let kept: Uint8Array | null = null;
  const m = measure(() => {
    encodePublish(out, 0, topic, payload, 0, 48, 1, false, false, 1);
    kept = new Uint8Array(out.buffer, 0, 2);
  });
  assertTrue(kept !== null, "the view was made");
  assertTrue(m.slotsPeak > 0, "slots peak above 0");
});

await run();
