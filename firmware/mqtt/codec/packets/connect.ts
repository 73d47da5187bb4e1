/**
 * CONNECT (§3.1), sent by the client, and CONNACK (§3.2), its answer. Text fields arrive already
 * encoded as UTF-8 bytes: the client encodes its options once, at construction.
 */
import { ProtocolVersion, type IncomingPacket, type QoS } from "../packet.js";
import { DecodeError } from "../status.js";
import { varintSize, writeField, writeU16, writeVarint } from "../wire.js";

/** The Last Will (§3.1.2.5): published by the broker if the client goes away without DISCONNECT. */
export interface WillFields {
  topic: Uint8Array;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
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
function connectRemainingLength(fields: ConnectFields): number {
  let length = 10 + 2 + fields.clientId.length; // §3.1.2 variable header is 10 bytes in 3.1.1
  if (fields.will !== null) length += 4 + fields.will.topic.length + fields.will.payload.length;
  if (fields.username !== null) length += 2 + fields.username.length;
  if (fields.password !== null) length += 2 + fields.password.length;
  return length;
}

/** Bytes the whole CONNECT packet takes, or DecodeError.UnsupportedProtocolVersion. */
export function connectSize(fields: ConnectFields, version: ProtocolVersion): number {
  if (version !== ProtocolVersion.V311) return DecodeError.UnsupportedProtocolVersion; // 5.0 adds properties here
  const remaining = connectRemainingLength(fields);
  return 1 + varintSize(remaining) + remaining;
}

/** Writes CONNECT at `off` (connectSize bytes must be free there); returns the next offset. */
export function encodeConnect(buf: Uint8Array, off: number, fields: ConnectFields, version: ProtocolVersion): number {
  buf[off++] = 0x10; // §3.1.1 type 1, flags 0
  off = writeVarint(buf, off, connectRemainingLength(fields));
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
  // §3.1.3 payload order: client id, will topic, will message, user name, password [MQTT-3.1.3-1]
  off = writeField(buf, off, fields.clientId);
  if (will !== null) {
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

/** Decodes a CONNACK body at `off` into `out`; returns 0 or a DecodeError. */
export function decodeConnack(buf: Uint8Array, off: number, remainingLength: number, out: IncomingPacket): number {
  if (remainingLength !== 2) return DecodeError.LengthMismatch; // §3.2.1 Remaining Length is 2
  const ackFlags = buf[off];
  const code = buf[off + 1];
  if ((ackFlags & 0xfe) !== 0) return DecodeError.ReservedConnackFlags; // §3.2.2.1 bits 7-1 reserved, 0
  if (code > ConnectReturnCode.NotAuthorized) return DecodeError.InvalidReturnCode; // §3.2.2.3 6-255 reserved
  if (code !== 0 && ackFlags !== 0) return DecodeError.SessionPresentOnRefusal; // [MQTT-3.2.2-4]
  out.sessionPresent = ackFlags === 1;
  out.returnCode = code;
  return 0;
}
