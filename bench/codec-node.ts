/**
 * Codec speed on Node: encode and decode of the telemetry PUBLISH, ours and mqtt-packet's, in the same
 * process, alternating, each figure the median of several timed rounds.
 */
import mqttPacket from "mqtt-packet";
import { decodePacket } from "../firmware/mqtt/codec/decode.js";
import { FrameReader } from "../firmware/mqtt/codec/frame.js";
import { IncomingPacket, ProtocolVersion } from "../firmware/mqtt/codec/packet.js";
import { encodePublish, publishSize } from "../firmware/mqtt/codec/packets/publish.js";
import { PACKET_ID, PAYLOAD, TOPIC } from "./telemetry-packet.js";
import type { Figure } from "./figure.js";

const V4 = ProtocolVersion.V311;

/** Operations per second of `op`, run in batches for about `ms` milliseconds. */
function rate(op: () => void, ms: number): number {
  const batch = 1000;
  let count = 0;
  const start = process.hrtime.bigint();
  const limit = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < limit) {
    for (let i = 0; i < batch; i++) op();
    count += batch;
    now = process.hrtime.bigint();
  }
  return count / (Number(now - start) / 1e9);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function codecNode(rounds: number, ms: number, progress: (line: string) => void): Figure[] {
  const topic = new TextEncoder().encode(TOPIC); // a topic handle: encoded once
  const payload = new TextEncoder().encode(PAYLOAD);
  if (payload.length !== 48) throw new Error("the bench payload must be 48 bytes");
  const out = new Uint8Array(publishSize(topic.length, payload.length, 1, V4));
  const packetBuffer = Buffer.from(payload);

  const oursEncodeHandle = () => {
    encodePublish(out, 0, topic, payload, 0, 48, 1, false, false, PACKET_ID);
  };
  const peerPacket = { cmd: "publish" as const, topic: TOPIC, payload: packetBuffer, qos: 1 as const, messageId: PACKET_ID, retain: false, dup: false };
  const peerEncode = () => {
    mqttPacket.generate(peerPacket, { protocolVersion: 4 });
  };

  const wire = mqttPacket.generate(peerPacket, { protocolVersion: 4 });
  const bytes = new Uint8Array(wire.buffer, wire.byteOffset, wire.length);
  oursEncodeHandle();
  if (Buffer.compare(Buffer.from(out), wire) !== 0) throw new Error("ours and mqtt-packet encode the bench packet differently");
  const frame = new FrameReader(1024);
  const packet = new IncomingPacket();
  const oursDecode = () => {
    const length = frame.read(bytes, 0, bytes.length);
    if (length <= 0 || decodePacket(bytes, frame, packet, V4) !== 0) throw new Error("decode failed");
  };
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let parsed = 0;
  parser.on("packet", () => parsed++);
  const peerDecode = () => {
    parser.parse(wire);
  };

  const cases: [string, () => void][] = [
    ["encode ours (topic handle)", oursEncodeHandle],
    ["encode mqtt-packet", peerEncode],
    ["decode ours", oursDecode],
    ["decode mqtt-packet", peerDecode],
  ];
  const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (const [, op] of cases) rate(op, 50); // warm up the JIT
  for (let round = 0; round < rounds; round++) {
    for (const [name, op] of cases) samples.get(name)!.push(rate(op, ms));
    progress(`codec (Node): round ${round + 1}/${rounds}`);
  }
  if (parsed === 0) throw new Error("mqtt-packet parsed nothing");
  const m = (name: string) => median(samples.get(name)!);
  return [
    { name: "codec encode PUBLISH QoS 1 (Node)", ours: m("encode ours (topic handle)"), peer: m("encode mqtt-packet"), peerName: "mqtt-packet", unit: "packets/s", higherIsBetter: true, target: 20 },
    { name: "codec decode PUBLISH QoS 1 (Node)", ours: m("decode ours"), peer: m("decode mqtt-packet"), peerName: "mqtt-packet", unit: "packets/s", higherIsBetter: true, target: 20 },
  ];
}
