/**
 * CONNECT (§3.1), sent by the client, and CONNACK (§3.2), its answer. Text fields arrive already
 * encoded as UTF-8 bytes: the client encodes its options once, at construction. In 5.0 both carry
 * properties, and CONNACK a reason code.
 */
import { PacketType, ProtocolVersion, type IncomingPacket, type QoS } from "../packet.js";
import { decodeProperties } from "../properties.js";
import { DecodeError } from "../status.js";
import { varintSize, writeField, writeU16, writeVarint } from "../wire.js";

/** The Last Will (§3.1.2.5): published by the broker if the client goes away without DISCONNECT. */
export interface WillFields {
  topic: Uint8Array;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** 5.0: the Will Properties' bytes (§3.1.3.2, written with properties.ts's writers); absent is none. */
  properties?: Uint8Array;
}

export interface ConnectFields {
  clientId: Uint8Array;
  /** Seconds; 0 turns keepalive off (§3.1.2.10). */
  keepalive: number;
  /** Clean Session (§3.1.2.4). */
  clean: boolean;
  will: WillFields | null;
  username: Uint8Array | null;
  password: Uint8Array | null;
  /** 5.0: the CONNECT Properties' bytes (§3.1.2.11); absent is none. */
  properties?: Uint8Array;
}

const NONE = new Uint8Array(0);

/** Bytes a property block takes with its length. */
function blockSize(properties: Uint8Array | undefined): number {
  const length = properties === undefined ? 0 : properties.length;
  return varintSize(length) + length;
}

/** Writes a property block (its length, then the bytes); returns the next offset. */
function writeBlock(buf: Uint8Array, off: number, properties: Uint8Array | undefined): number {
  const bytes = properties ?? NONE;
  off = writeVarint(buf, off, bytes.length);
  buf.set(bytes, off);
  return off + bytes.length;
}

/** §3.1.2.1 Protocol Name, "MQTT" with its length prefix. */
const PROTOCOL_NAME = Object.freeze([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54]);

/**
 * Checks the rules of CONNECT the app's options could break; returns 0 or a reason:
 * [MQTT-3.1.2-22] a password needs a user name; [MQTT-3.1.3-7] an empty client id needs clean session;
 * [MQTT-3.1.2-14] the will's QoS is 0, 1 or 2; [MQTT-3.1.3-3..5] strings fit their two-byte length.
 */
export function validateConnect(fields: ConnectFields): string | null {
  if (fields.password !== null && fields.username === null) return "a password needs a username [MQTT-3.1.2-22]";
  if (fields.clientId.length === 0 && !fields.clean) return "an empty clientId needs clean: true [MQTT-3.1.3-7]";
  if (!(fields.keepalive >= 0 && fields.keepalive <= 65_535) || Math.floor(fields.keepalive) !== fields.keepalive) {
    return "keepalive is a whole number of seconds from 0 to 65535 [§3.1.2.10]";
  }
  const will = fields.will;
  if (will !== null && !(will.qos === 0 || will.qos === 1 || will.qos === 2)) return "will.qos is 0, 1 or 2 [MQTT-3.1.2-14]";
  for (const field of [fields.clientId, will?.topic, will?.payload, fields.username, fields.password]) {
    if (field && field.length > 65_535) return "a CONNECT field is longer than 65535 bytes [§1.5.3]";
  }
  if (will !== null && will.topic.length === 0) return "will.topic is empty [MQTT-4.7.3-1]";
  return null;
}

/** Remaining Length of a CONNECT with these fields. */
function connectRemainingLength(fields: ConnectFields, version: ProtocolVersion): number {
  const v5 = version === ProtocolVersion.V5;
  let length = 10 + 2 + fields.clientId.length; // §3.1.2 variable header: 10 bytes, then 5.0's properties
  if (v5) length += blockSize(fields.properties);
  if (fields.will !== null) {
    length += 4 + fields.will.topic.length + fields.will.payload.length;
    if (v5) length += blockSize(fields.will.properties);
  }
  if (fields.username !== null) length += 2 + fields.username.length;
  if (fields.password !== null) length += 2 + fields.password.length;
  return length;
}

/** Bytes the whole CONNECT packet takes. */
export function connectSize(fields: ConnectFields, version: ProtocolVersion): number {
  const remaining = connectRemainingLength(fields, version);
  return 1 + varintSize(remaining) + remaining;
}

/** Writes CONNECT at `off` (connectSize bytes must be free there); returns the next offset. */
export function encodeConnect(buf: Uint8Array, off: number, fields: ConnectFields, version: ProtocolVersion): number {
  buf[off++] = 0x10; // §3.1.1 type 1, flags 0
  off = writeVarint(buf, off, connectRemainingLength(fields, version));
  for (let i = 0; i < 6; i++) buf[off++] = PROTOCOL_NAME[i];
  buf[off++] = version; // §3.1.2.2 Protocol Level
  const will = fields.will;
  let flags = 0; // §3.1.2.3; bit 0 is reserved and 0 [MQTT-3.1.2-3]
  if (fields.username !== null) flags |= 0x80;
  if (fields.password !== null) flags |= 0x40;
  if (will !== null) flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
  if (fields.clean) flags |= 0x02;
  buf[off++] = flags;
  off = writeU16(buf, off, fields.keepalive);
  const v5 = version === ProtocolVersion.V5;
  if (v5) off = writeBlock(buf, off, fields.properties); // §3.1.2.11
  // §3.1.3 payload order: client id, (5.0: will properties,) will topic, will message, user name, password [MQTT-3.1.3-1]
  off = writeField(buf, off, fields.clientId);
  if (will !== null) {
    if (v5) off = writeBlock(buf, off, will.properties); // §3.1.3.2
    off = writeField(buf, off, will.topic);
    off = writeField(buf, off, will.payload);
  }
  if (fields.username !== null) off = writeField(buf, off, fields.username);
  if (fields.password !== null) off = writeField(buf, off, fields.password);
  return off;
}

/** §3.2.2.3 CONNACK return codes. */
export const ConnectReturnCode = Object.freeze({
  Accepted: 0,
  UnacceptableProtocolVersion: 1,
  IdentifierRejected: 2,
  ServerUnavailable: 3,
  BadUsernameOrPassword: 4,
  NotAuthorized: 5,
} as const);
export type ConnectReturnCode = (typeof ConnectReturnCode)[keyof typeof ConnectReturnCode];

/** §3.2.2.2 Table 3-1: the CONNACK reason codes of 5.0. */
function isConnackReason(code: number): boolean {
  if (code === 0x00) return true;
  if (code < 0x80 || code > 0x9f) return false;
  return code !== 0x8b && code !== 0x8d && code !== 0x8e && code !== 0x8f && code !== 0x91 && code !== 0x92 && code !== 0x93 && code !== 0x94 && code !== 0x96 && code !== 0x98 && code !== 0x9e;
}

/**
 * Decodes a CONNACK body at `off` into `out`; returns 0 or a DecodeError. `out.returnCode` is the 3.1.1
 * return code or the 5.0 reason code; in 5.0 the properties are in `out.properties`.
 */
export function decodeConnack(buf: Uint8Array, off: number, remainingLength: number, out: IncomingPacket, version: ProtocolVersion = ProtocolVersion.V311): number {
  const v5 = version === ProtocolVersion.V5;
  if (v5 ? remainingLength < 3 : remainingLength !== 2) return DecodeError.LengthMismatch; // §3.2.1 (3.1.1: 2)
  const ackFlags = buf[off];
  const code = buf[off + 1];
  if ((ackFlags & 0xfe) !== 0) return DecodeError.ReservedConnackFlags; // §3.2.2.1 bits 7-1 reserved, 0
  if (v5 ? !isConnackReason(code) : code > ConnectReturnCode.NotAuthorized) return DecodeError.InvalidReturnCode; // §3.2.2.3 (3.1.1: 6-255 reserved)
  if (code !== 0 && ackFlags !== 0) return DecodeError.SessionPresentOnRefusal; // [MQTT-3.2.2-4] (5.0: [MQTT-3.2.2-6])
  out.sessionPresent = ackFlags === 1;
  out.returnCode = code;
  if (!v5) return 0;
  const taken = decodeProperties(buf, off + 2, off + remainingLength, PacketType.Connack, out.properties);
  if (taken < 0) return taken;
  return 2 + taken === remainingLength ? 0 : DecodeError.LengthMismatch;
}
