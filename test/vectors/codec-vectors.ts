/**
 * Codec vectors as byte literals, shared by the Node suite (test/unit/vectors.test.ts) and the XS suite
 * (test/xs/suites/codec.xs.ts), so the firmware is held to the same bytes on both engines.
 * This module runs on XS too: no Node APIs, and strings are turned into bytes with our own encoder.
 */
import { encodeAck } from "../../firmware/mqtt/codec/packets/acks.js";
import { connectSize, encodeConnect, type ConnectFields } from "../../firmware/mqtt/codec/packets/connect.js";
import { encodeDisconnect } from "../../firmware/mqtt/codec/packets/disconnect.js";
import { encodePingreq } from "../../firmware/mqtt/codec/packets/ping.js";
import { encodePublish, publishSize } from "../../firmware/mqtt/codec/packets/publish.js";
import { encodeSubscribe, subscribeSize } from "../../firmware/mqtt/codec/packets/subscribe.js";
import { encodeUnsubscribe, unsubscribeSize } from "../../firmware/mqtt/codec/packets/unsubscribe.js";
import { decodePacket } from "../../firmware/mqtt/codec/decode.js";
import { FRAME_INCOMPLETE, FrameReader } from "../../firmware/mqtt/codec/frame.js";
import { IncomingPacket, PacketType, ProtocolVersion } from "../../firmware/mqtt/codec/packet.js";
import { ByteRing } from "../../firmware/mqtt/codec/ring.js";
import { DecodeError } from "../../firmware/mqtt/codec/status.js";
import { utf8Length, writeUtf8 } from "../../firmware/mqtt/codec/wire.js";

/** UTF-8 bytes of a string, with the firmware's own encoder. */
export function utf8(text: string): Uint8Array {
  const bytes = new Uint8Array(utf8Length(text));
  writeUtf8(bytes, 0, text);
  return bytes;
}

/** The character codes of an ASCII string, for readable byte literals. */
function ascii(text: string): number[] {
  const codes: number[] = [];
  for (let i = 0; i < text.length; i++) codes.push(text.charCodeAt(i));
  return codes;
}

export interface EncodeVector {
  name: string;
  /** Encodes into `buf` at 0 and returns the end offset. */
  encode(buf: Uint8Array): number;
  /** The encoder's own size function for the same packet, where it has one. */
  size?: () => number;
  expected: number[];
}

const V4 = ProtocolVersion.V311;

function connect(fields: Partial<ConnectFields>): ConnectFields {
  return { clientId: utf8("c1"), keepalive: 60, clean: true, will: null, username: null, password: null, ...fields };
}

function fullConnect(): ConnectFields {
  const will = { topic: utf8("s"), payload: utf8("off"), qos: 1 as const, retain: true };
  return connect({ clean: false, keepalive: 300, will, username: utf8("u"), password: utf8("pw") });
}

export const encodeVectors: EncodeVector[] = [
  {
    name: "CONNECT with client id, clean session and keepalive 60",
    encode: (buf) => encodeConnect(buf, 0, connect({}), V4),
    size: () => connectSize(connect({}), V4),
    expected: [0x10, 14, 0, 4, ...ascii("MQTT"), 4, 0x02, 0, 60, 0, 2, ...ascii("c1")],
  },
  {
    name: "CONNECT with will (QoS 1, retained), username and password, persistent session",
    encode: (buf) => encodeConnect(buf, 0, fullConnect(), V4),
    size: () => connectSize(fullConnect(), V4),
    // flags: username 0x80 | password 0x40 | will retain 0x20 | will QoS 1 0x08 | will 0x04
    expected: [0x10, 29, 0, 4, ...ascii("MQTT"), 4, 0xec, 0x01, 0x2c, 0, 2, ...ascii("c1"), 0, 1, ...ascii("s"), 0, 3, ...ascii("off"), 0, 1, ...ascii("u"), 0, 2, ...ascii("pw")],
  },
  {
    name: "PUBLISH QoS 0",
    encode: (buf) => encodePublish(buf, 0, utf8("a/b"), utf8("hi"), 0, 2, 0, false, false, 0),
    expected: [0x30, 7, 0, 3, ...ascii("a/b"), ...ascii("hi")],
  },
  {
    name: "PUBLISH QoS 1 retained with packet id 10",
    encode: (buf) => encodePublish(buf, 0, utf8("a/b"), utf8("hi"), 0, 2, 1, true, false, 10),
    size: () => publishSize(3, 2, 1, V4),
    expected: [0x33, 9, 0, 3, ...ascii("a/b"), 0, 10, ...ascii("hi")],
  },
  {
    name: "PUBLISH QoS 2 DUP with packet id 65535 and part of a payload buffer",
    encode: (buf) => encodePublish(buf, 0, utf8("t"), utf8("xxhiyy"), 2, 2, 2, false, true, 65535),
    expected: [0x3c, 7, 0, 1, ...ascii("t"), 0xff, 0xff, ...ascii("hi")],
  },
  {
    name: "PUBLISH with a 200-byte payload takes a two-byte Remaining Length",
    encode: (buf) => encodePublish(buf, 0, utf8("t"), new Uint8Array(200), 0, 200, 0, false, false, 0),
    size: () => publishSize(1, 200, 0, V4),
    expected: [0x30, 0xcb, 0x01, 0, 1, 0x74, ...new Array<number>(200).fill(0)],
  },
  { name: "PUBACK", encode: (buf) => encodeAck(buf, 0, PacketType.Puback, 0x1234, V4), expected: [0x40, 2, 0x12, 0x34] },
  { name: "PUBREC", encode: (buf) => encodeAck(buf, 0, PacketType.Pubrec, 1, V4), expected: [0x50, 2, 0, 1] },
  { name: "PUBREL carries flags 0b0010", encode: (buf) => encodeAck(buf, 0, PacketType.Pubrel, 1, V4), expected: [0x62, 2, 0, 1] },
  { name: "PUBCOMP", encode: (buf) => encodeAck(buf, 0, PacketType.Pubcomp, 65535, V4), expected: [0x70, 2, 0xff, 0xff] },
  {
    name: "SUBSCRIBE with two filters",
    encode: (buf) => encodeSubscribe(buf, 0, 7, [utf8("a/+"), utf8("b/#")], [1, 2], 2),
    size: () => subscribeSize([utf8("a/+"), utf8("b/#")], 2, V4),
    expected: [0x82, 14, 0, 7, 0, 3, ...ascii("a/+"), 1, 0, 3, ...ascii("b/#"), 2],
  },
  {
    name: "UNSUBSCRIBE with two filters",
    encode: (buf) => encodeUnsubscribe(buf, 0, 8, [utf8("a/+"), utf8("b")], 2),
    size: () => unsubscribeSize([utf8("a/+"), utf8("b")], 2, V4),
    expected: [0xa2, 10, 0, 8, 0, 3, ...ascii("a/+"), 0, 1, ...ascii("b")],
  },
  { name: "PINGREQ", encode: (buf) => encodePingreq(buf, 0), expected: [0xc0, 0] },
  { name: "DISCONNECT", encode: (buf) => encodeDisconnect(buf, 0), expected: [0xe0, 0] },
];

/** Fields of IncomingPacket a decode vector checks; only those given are compared. */
export interface ExpectedFields {
  type?: number;
  packetId?: number;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  topic?: number[];
  payload?: number[];
  sessionPresent?: boolean;
  returnCode?: number;
  returnCodes?: number[];
}

/** A decode vector's status for bytes that are a valid start but not yet a whole packet. */
export const INCOMPLETE = 1;

export interface DecodeVector {
  name: string;
  bytes: number[];
  /** 0 for a packet that decodes, INCOMPLETE for a header still waiting for its body, else the DecodeError. */
  status: number;
  fields?: ExpectedFields;
  /** The configured maximum packet size; 1024 unless given. */
  maxPacketSize?: number;
}

export const decodeVectors: DecodeVector[] = [
  // Packets a client receives, decoded.
  { name: "CONNACK accepted, no session", bytes: [0x20, 2, 0, 0], status: 0, fields: { type: 2, sessionPresent: false, returnCode: 0 } },
  { name: "CONNACK accepted with session present", bytes: [0x20, 2, 1, 0], status: 0, fields: { sessionPresent: true, returnCode: 0 } },
  { name: "CONNACK refused: bad user name or password", bytes: [0x20, 2, 0, 4], status: 0, fields: { returnCode: 4 } },
  {
    name: "PUBLISH QoS 0",
    bytes: [0x30, 7, 0, 3, 0x61, 0x2f, 0x62, 0x68, 0x69],
    status: 0,
    fields: { type: 3, qos: 0, retain: false, dup: false, packetId: 0, topic: [0x61, 0x2f, 0x62], payload: [0x68, 0x69] },
  },
  {
    name: "PUBLISH QoS 1 retained, packet id 10",
    bytes: [0x33, 9, 0, 3, 0x61, 0x2f, 0x62, 0, 10, 0x68, 0x69],
    status: 0,
    fields: { qos: 1, retain: true, packetId: 10, topic: [0x61, 0x2f, 0x62], payload: [0x68, 0x69] },
  },
  {
    name: "PUBLISH QoS 2 DUP with an empty payload",
    bytes: [0x3c, 5, 0, 1, 0x74, 0x12, 0x34],
    status: 0,
    fields: { qos: 2, dup: true, packetId: 0x1234, topic: [0x74], payload: [] },
  },
  {
    name: "PUBLISH with a multi-byte UTF-8 topic (é, €, 😀)",
    bytes: [0x30, 11, 0, 9, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80],
    status: 0,
    fields: { topic: [0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], payload: [] },
  },
  { name: "PUBACK", bytes: [0x40, 2, 0x12, 0x34], status: 0, fields: { type: 4, packetId: 0x1234 } },
  { name: "PUBREC", bytes: [0x50, 2, 0, 1], status: 0, fields: { type: 5, packetId: 1 } },
  { name: "PUBREL", bytes: [0x62, 2, 0xff, 0xff], status: 0, fields: { type: 6, packetId: 65535 } },
  { name: "PUBCOMP", bytes: [0x70, 2, 0, 2], status: 0, fields: { type: 7, packetId: 2 } },
  { name: "SUBACK with granted QoS and a 0x80 failure", bytes: [0x90, 6, 0, 7, 0, 1, 2, 0x80], status: 0, fields: { type: 9, packetId: 7, returnCodes: [0, 1, 2, 0x80] } },
  { name: "UNSUBACK", bytes: [0xb0, 2, 0, 8], status: 0, fields: { type: 11, packetId: 8 } },
  { name: "PINGRESP", bytes: [0xd0, 0], status: 0, fields: { type: 13 } },

  // §2.2.3 Remaining Length.
  { name: "rejects a Remaining Length of five bytes", bytes: [0x30, 0xff, 0xff, 0xff, 0xff, 0x01], status: DecodeError.MalformedRemainingLength, maxPacketSize: 0x7fffffff },
  { name: "rejects a Remaining Length over 268,435,455 (a fifth byte announced)", bytes: [0x30, 0x80, 0x80, 0x80, 0x80], status: DecodeError.MalformedRemainingLength, maxPacketSize: 0x7fffffff },
  { name: "accepts the header of a 268,435,455-byte Remaining Length as incomplete", bytes: [0x30, 0xff, 0xff, 0xff, 0x7f], status: INCOMPLETE, maxPacketSize: 0x7fffffff },
  { name: "refuses a packet over the maximum packet size from its header alone", bytes: [0x30, 0x80, 0x08], status: DecodeError.PacketTooLarge, maxPacketSize: 1024 },
  { name: "accepts a packet of exactly the maximum packet size", bytes: [0x30, 6, 0, 1, 0x74, 0x61, 0x62, 0x63], status: 0, maxPacketSize: 8 },
  { name: "refuses a packet one byte over the maximum packet size", bytes: [0x30, 7], status: DecodeError.PacketTooLarge, maxPacketSize: 8 },

  // §2.2.1 types and [MQTT-2.2.2-1] reserved flags.
  { name: "rejects reserved packet type 0", bytes: [0x00, 0], status: DecodeError.ReservedPacketType },
  { name: "rejects reserved packet type 15", bytes: [0xf0, 0], status: DecodeError.ReservedPacketType },
  { name: "rejects PUBREL without flags 0b0010", bytes: [0x60, 2, 0, 1], status: DecodeError.ReservedFlags },
  { name: "rejects PUBACK with a reserved flag set", bytes: [0x41, 2, 0, 1], status: DecodeError.ReservedFlags },
  { name: "rejects CONNACK with a reserved flag set", bytes: [0x28, 2, 0, 0], status: DecodeError.ReservedFlags },
  { name: "rejects SUBACK with a reserved flag set", bytes: [0x92, 3, 0, 1, 0], status: DecodeError.ReservedFlags },
  { name: "rejects PINGRESP with a reserved flag set", bytes: [0xd1, 0], status: DecodeError.ReservedFlags },
  { name: "rejects SUBSCRIBE without flags 0b0010", bytes: [0x80, 6, 0, 1, 0, 1, 0x61, 0], status: DecodeError.ReservedFlags },
  { name: "rejects UNSUBSCRIBE without flags 0b0010", bytes: [0xa0, 5, 0, 1, 0, 1, 0x61], status: DecodeError.ReservedFlags },
  { name: "refuses a well-formed SUBSCRIBE: a server never sends one", bytes: [0x82, 6, 0, 1, 0, 1, 0x61, 0], status: DecodeError.UnexpectedPacketType },
  { name: "refuses a CONNECT from the server", bytes: [0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 0], status: DecodeError.UnexpectedPacketType },

  // PUBLISH rules.
  { name: "rejects PUBLISH with QoS 3", bytes: [0x36, 5, 0, 1, 0x74, 0, 1], status: DecodeError.InvalidQoS },
  { name: "rejects PUBLISH QoS 1 with packet id 0", bytes: [0x32, 5, 0, 1, 0x74, 0, 0], status: DecodeError.ZeroPacketId },
  { name: "rejects PUBLISH with '+' in its topic name", bytes: [0x30, 5, 0, 3, 0x61, 0x2f, 0x2b], status: DecodeError.WildcardInTopicName },
  { name: "rejects PUBLISH with '#' in its topic name", bytes: [0x30, 3, 0, 1, 0x23], status: DecodeError.WildcardInTopicName },
  { name: "rejects PUBLISH with an empty topic name", bytes: [0x30, 2, 0, 0], status: DecodeError.EmptyTopic },
  { name: "rejects PUBLISH whose topic length runs past the packet", bytes: [0x30, 4, 0, 9, 0x61, 0x62], status: DecodeError.LengthMismatch },
  { name: "rejects PUBLISH QoS 1 too short for its packet id", bytes: [0x32, 4, 0, 1, 0x74, 0], status: DecodeError.LengthMismatch },
  { name: "rejects PUBLISH with U+0000 in its topic", bytes: [0x30, 4, 0, 2, 0x61, 0x00], status: DecodeError.NullCharacter },
  { name: "rejects PUBLISH with a UTF-8 encoded surrogate (U+D800) in its topic", bytes: [0x30, 5, 0, 3, 0xed, 0xa0, 0x80], status: DecodeError.MalformedUtf8 },
  { name: "rejects PUBLISH with an overlong UTF-8 form in its topic", bytes: [0x30, 4, 0, 2, 0xc0, 0xaf], status: DecodeError.MalformedUtf8 },
  { name: "rejects PUBLISH with a truncated UTF-8 sequence in its topic", bytes: [0x30, 4, 0, 2, 0x61, 0xe2], status: DecodeError.MalformedUtf8 },
  { name: "rejects PUBLISH with a code point above U+10FFFF in its topic", bytes: [0x30, 6, 0, 4, 0xf4, 0x90, 0x80, 0x80], status: DecodeError.MalformedUtf8 },
  { name: "rejects PUBLISH with a stray continuation byte in its topic", bytes: [0x30, 3, 0, 1, 0x80], status: DecodeError.MalformedUtf8 },

  // Acks and the rest.
  { name: "rejects PUBACK with packet id 0", bytes: [0x40, 2, 0, 0], status: DecodeError.ZeroPacketId },
  { name: "rejects PUBREL with packet id 0", bytes: [0x62, 2, 0, 0], status: DecodeError.ZeroPacketId },
  { name: "rejects PUBCOMP with a Remaining Length of 3", bytes: [0x70, 3, 0, 1, 0], status: DecodeError.LengthMismatch },
  { name: "rejects UNSUBACK with packet id 0", bytes: [0xb0, 2, 0, 0], status: DecodeError.ZeroPacketId },
  { name: "rejects SUBACK with packet id 0", bytes: [0x90, 3, 0, 0, 1], status: DecodeError.ZeroPacketId },
  { name: "rejects SUBACK with a reserved return code 0x03", bytes: [0x90, 3, 0, 1, 3], status: DecodeError.InvalidReturnCode },
  { name: "rejects SUBACK with no return code", bytes: [0x90, 2, 0, 1], status: DecodeError.LengthMismatch },
  { name: "rejects CONNACK with a reserved return code 6", bytes: [0x20, 2, 0, 6], status: DecodeError.InvalidReturnCode },
  { name: "rejects CONNACK with reserved acknowledge flags", bytes: [0x20, 2, 2, 0], status: DecodeError.ReservedConnackFlags },
  { name: "rejects CONNACK refusing with session present set", bytes: [0x20, 2, 1, 5], status: DecodeError.SessionPresentOnRefusal },
  { name: "rejects CONNACK with a Remaining Length of 3", bytes: [0x20, 3, 0, 0, 0], status: DecodeError.LengthMismatch },
  { name: "rejects PINGRESP with a body", bytes: [0xd0, 1, 0], status: DecodeError.LengthMismatch },
];

/** Runs an encode vector; returns null when the bytes match, else what differs. */
export function checkEncodeVector(vector: EncodeVector): string | null {
  const buf = new Uint8Array(vector.expected.length + 16);
  const end = vector.encode(buf);
  if (end !== vector.expected.length) return "encoded " + end + " bytes, expected " + vector.expected.length;
  if (vector.size && vector.size() !== end) return "size() says " + vector.size() + ", encoded " + end;
  for (let i = 0; i < end; i++) {
    if (buf[i] !== vector.expected[i]) return "byte " + i + " is " + buf[i] + ", expected " + vector.expected[i];
  }
  return null;
}

/**
 * Runs a decode vector twice: the whole packet at once, then dripped into a ByteRing one byte at a time
 * with the frame reader asked after every byte. Both must give the vector's status; while dripping, no
 * answer may come before the bytes that decide it. Returns null on success, else what differs.
 */
export function checkDecodeVector(vector: DecodeVector): string | null {
  const bytes = Uint8Array.from(vector.bytes);
  const frame = new FrameReader(vector.maxPacketSize ?? 1024);
  const out = new IncomingPacket();
  const whole = decodeOnce(frame, out, bytes, bytes.length);
  if (whole !== vector.status) return "decoded whole: status " + whole + ", expected " + vector.status;
  if (whole === 0 && vector.fields) {
    const mismatch = compareFields(out, vector.fields);
    if (mismatch) return mismatch;
  }
  const ring = new ByteRing(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    ring.push(bytes[i]);
    const status = decodeOnce(frame, out, ring.buffer, ring.tail);
    if (i < bytes.length - 1 && status !== INCOMPLETE && status !== vector.status) {
      return "dripped: status " + status + " after " + (i + 1) + " bytes";
    }
    if (i < bytes.length - 1 && status === 0) return "dripped: decoded after " + (i + 1) + " of " + bytes.length + " bytes";
    if (i === bytes.length - 1 && status !== vector.status) return "dripped: status " + status + ", expected " + vector.status;
  }
  if (vector.status === 0 && vector.fields) return compareFields(out, vector.fields);
  return null;
}

function decodeOnce(frame: FrameReader, out: IncomingPacket, buf: Uint8Array, end: number): number {
  const length = frame.read(buf, 0, end);
  if (length < 0) return length;
  if (length === FRAME_INCOMPLETE) return INCOMPLETE;
  return decodePacket(buf, frame, out, ProtocolVersion.V311);
}

function compareFields(out: IncomingPacket, fields: ExpectedFields): string | null {
  const scalar: [string, unknown, unknown][] = [
    ["type", out.type, fields.type],
    ["packetId", out.packetId, fields.packetId],
    ["qos", out.qos, fields.qos],
    ["retain", out.retain, fields.retain],
    ["dup", out.dup, fields.dup],
    ["sessionPresent", out.sessionPresent, fields.sessionPresent],
    ["returnCode", out.returnCode, fields.returnCode],
  ];
  for (const [name, actual, expected] of scalar) {
    if (expected !== undefined && actual !== expected) return name + " is " + actual + ", expected " + expected;
  }
  const spans: [string, number, number, number[] | undefined][] = [
    ["topic", out.topicOffset, out.topicLength, fields.topic],
    ["payload", out.payloadOffset, out.payloadLength, fields.payload],
    ["returnCodes", out.returnCodesOffset, out.returnCodesCount, fields.returnCodes],
  ];
  for (const [name, offset, length, expected] of spans) {
    if (expected === undefined) continue;
    if (length !== expected.length) return name + " has " + length + " bytes, expected " + expected.length;
    for (let i = 0; i < length; i++) {
      if (out.buffer[offset + i] !== expected[i]) return name + " byte " + i + " is " + out.buffer[offset + i];
    }
  }
  return null;
}
