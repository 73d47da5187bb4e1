// Runs on XS: computrons and allocation per codec operation on the telemetry PUBLISH. Each figure is
// net of the measuring loop's own cost (an empty iteration, measured in the same run).
import { decodePacket } from "../../firmware/mqtt/codec/decode.js";
import { FrameReader } from "../../firmware/mqtt/codec/frame.js";
import { IncomingPacket, ProtocolVersion } from "../../firmware/mqtt/codec/packet.js";
import { encodePublish, publishSize } from "../../firmware/mqtt/codec/packets/publish.js";
import { measure, report, run, test, type Measure } from "../../test/xs/suites/harness.js";
import { utf8 } from "../../test/vectors/codec-vectors.js";
import { PACKET_ID, PAYLOAD, TOPIC } from "../telemetry-packet.js";

const V4 = ProtocolVersion.V311;
const topic = utf8(TOPIC);
const payload = utf8(PAYLOAD);
const wire = new Uint8Array(publishSize(topic.length, payload.length, 1, V4));
const frame = new FrameReader(1024);
const packet = new IncomingPacket();

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
  report("encode", net(encode, empty));
  report("decode", net(decode, empty));
  report("loop", empty.computronsPerIteration);
});

await run();
