/**
 * Codec speed on Node: encode and decode of the telemetry PUBLISH, ours and mqtt-packet's, in the same
 * process, alternating, each figure the median of several timed rounds; in MQTT 3.1.1, and in MQTT 5.0
 * with properties (bench/telemetry-packet.ts), mqtt-packet at protocol version 5.
 */
import mqttPacket from "mqtt-packet";
import { decodePacket } from "../firmware/mqtt/codec/decode.js";
import { FrameReader } from "../firmware/mqtt/codec/frame.js";
import { IncomingPacket, ProtocolVersion } from "../firmware/mqtt/codec/packet.js";
import { encodePublish, publishSize, writePublishHeader } from "../firmware/mqtt/codec/packets/publish.js";
import { writeU16, writeVarint } from "../firmware/mqtt/codec/wire.js";
import { Property, writeDataProperty, writeU16Property, writeU32Property, writeUserProperty } from "../firmware/mqtt/codec/properties.js";
import { CONTENT_TYPE, MESSAGE_EXPIRY_INTERVAL, PACKET_ID, PAYLOAD, PROPERTIES_5, TOPIC, TOPIC_ALIAS, USER_PROPERTIES } from "./telemetry-packet.js";
import type { Figure } from "./figure.js";

const V4 = ProtocolVersion.V311;
const V5 = ProtocolVersion.V5;

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

  // MQTT 5.0: the same PUBLISH with properties. Ours writes the packet as the client does
  // (client/outbound.ts): the fixed header, the topic, the packet id, then the properties from plain values
  // straight into the packet with properties.ts's writers (the strings as bytes encoded once, as the topic
  // is), then the payload; mqtt-packet takes them as an object. Decoding reads every property: ours in place (numbers, and where each string's
  // bytes are), mqtt-packet's parser makes the object, and its handler reads the values from it.
  const encoder = new TextEncoder();
  const contentType = encoder.encode(CONTENT_TYPE);
  const userKeys = USER_PROPERTIES.map(([key]) => encoder.encode(key));
  const userValues = USER_PROPERTIES.map(([, value]) => encoder.encode(value));
  const scratch = new Uint8Array(64);
  const writeProperties5 = () => {
    let p = writeU16Property(scratch, 0, Property.TopicAlias, TOPIC_ALIAS);
    p = writeU32Property(scratch, p, Property.MessageExpiryInterval, MESSAGE_EXPIRY_INTERVAL);
    p = writeDataProperty(scratch, p, Property.ContentType, contentType);
    p = writeUserProperty(scratch, p, userKeys[0], userValues[0]);
    return writeUserProperty(scratch, p, userKeys[1], userValues[1]);
  };
  const propertiesLength5 = writeProperties5();
  const out5 = new Uint8Array(publishSize(topic.length, payload.length, 1, V5, propertiesLength5));
  const oursEncode5 = () => {
    let off = writePublishHeader(out5, 0, topic.length, 48, 1, false, false, propertiesLength5);
    out5.set(topic, off);
    off = writeU16(out5, off + topic.length, PACKET_ID);
    off = writeVarint(out5, off, propertiesLength5);
    off = writeU16Property(out5, off, Property.TopicAlias, TOPIC_ALIAS);
    off = writeU32Property(out5, off, Property.MessageExpiryInterval, MESSAGE_EXPIRY_INTERVAL);
    off = writeDataProperty(out5, off, Property.ContentType, contentType);
    off = writeUserProperty(out5, off, userKeys[0], userValues[0]);
    off = writeUserProperty(out5, off, userKeys[1], userValues[1]);
    out5.set(payload, off);
  };
  const peerPacket5 = {
    ...peerPacket,
    properties: { topicAlias: TOPIC_ALIAS, messageExpiryInterval: MESSAGE_EXPIRY_INTERVAL, contentType: CONTENT_TYPE, userProperties: Object.fromEntries(USER_PROPERTIES) },
  };
  const peerEncode5 = () => {
    mqttPacket.generate(peerPacket5, { protocolVersion: 5 });
  };
  const wire5 = mqttPacket.generate(peerPacket5, { protocolVersion: 5 });
  const bytes5 = new Uint8Array(wire5.buffer, wire5.byteOffset, wire5.length);
  oursEncode5();
  if (Buffer.compare(Buffer.from(out5), wire5) !== 0) throw new Error("ours and mqtt-packet encode the 5.0 bench packet differently");
  const frame5 = new FrameReader(1024);
  frame5.protocolVersion = 5;
  const packet5 = new IncomingPacket();
  let read5 = 0;
  const oursDecode5 = () => {
    const length = frame5.read(bytes5, 0, bytes5.length);
    if (length <= 0 || decodePacket(bytes5, frame5, packet5, V5) !== 0) throw new Error("decode failed");
    const p = packet5.properties;
    read5 += p.number(Property.TopicAlias, 0) + p.number(Property.MessageExpiryInterval, 0) + p.dataOffset(Property.ContentType) + p.dataLength(Property.ContentType);
    for (let i = 0; p.userProperty(i); i++) read5 += p.keyOffset + p.keyLength + p.valueOffset + p.valueLength;
  };
  const parser5 = mqttPacket.parser({ protocolVersion: 5 });
  let parsed5 = 0;
  parser5.on("packet", (packet) => {
    const p = (packet as mqttPacket.IPublishPacket).properties!;
    const user = p.userProperties!;
    parsed5 += p.topicAlias! + p.messageExpiryInterval! + p.contentType!.length + (user.unit as string).length + (user.site as string).length;
  });
  const peerDecode5 = () => {
    parser5.parse(wire5);
  };
  // Both decoders read the same values (the 5.0 figures would mean nothing otherwise).
  oursDecode5();
  parser5.parse(wire5);
  const p5 = packet5.properties;
  p5.userProperty(1);
  if (p5.number(Property.TopicAlias, 0) !== TOPIC_ALIAS || p5.number(Property.MessageExpiryInterval, 0) !== MESSAGE_EXPIRY_INTERVAL || p5.string(Property.ContentType) !== CONTENT_TYPE || p5.userPropertyCount !== 2 || p5.valueLength !== 3 || parsed5 !== TOPIC_ALIAS + MESSAGE_EXPIRY_INTERVAL + 16 + 1 + 3) {
    throw new Error("ours and mqtt-packet read the 5.0 bench packet's properties differently");
  }

  const cases: [string, () => void][] = [
    ["encode ours (topic handle)", oursEncodeHandle],
    ["encode mqtt-packet", peerEncode],
    ["decode ours", oursDecode],
    ["decode mqtt-packet", peerDecode],
    ["5.0 encode ours (topic handle)", oursEncode5],
    ["5.0 encode mqtt-packet", peerEncode5],
    ["5.0 decode ours", oursDecode5],
    ["5.0 decode mqtt-packet", peerDecode5],
  ];
  const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (const [, op] of cases) rate(op, 50); // warm up the JIT
  for (let round = 0; round < rounds; round++) {
    for (const [name, op] of cases) samples.get(name)!.push(rate(op, ms));
    progress(`codec (Node): round ${round + 1}/${rounds}`);
  }
  if (parsed === 0 || parsed5 === 0 || read5 === 0) throw new Error("mqtt-packet parsed nothing");
  const m = (name: string) => median(samples.get(name)!);
  return [
    { name: "codec encode PUBLISH QoS 1 (Node)", ours: m("encode ours (topic handle)"), peer: m("encode mqtt-packet"), peerName: "mqtt-packet", unit: "packets/s", higherIsBetter: true, target: 20 },
    { name: "codec decode PUBLISH QoS 1 (Node)", ours: m("decode ours"), peer: m("decode mqtt-packet"), peerName: "mqtt-packet", unit: "packets/s", higherIsBetter: true, target: 20 },
    { name: `codec encode PUBLISH QoS 1, MQTT 5.0 with ${PROPERTIES_5} (Node)`, ours: m("5.0 encode ours (topic handle)"), peer: m("5.0 encode mqtt-packet"), peerName: "mqtt-packet v5", unit: "packets/s", higherIsBetter: true, target: 20 },
    { name: `codec decode PUBLISH QoS 1, MQTT 5.0 with ${PROPERTIES_5}, read (Node)`, ours: m("5.0 decode ours"), peer: m("5.0 decode mqtt-packet"), peerName: "mqtt-packet v5", unit: "packets/s", higherIsBetter: true, target: 20 },
  ];
}
