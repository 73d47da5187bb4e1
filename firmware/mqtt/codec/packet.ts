import { Properties } from "./properties.js";

/** §2.2.1 MQTT Control Packet types (the high nibble of the fixed header's first byte). */
export const PacketType = Object.freeze({
  Connect: 1,
  Connack: 2,
  Publish: 3,
  Puback: 4,
  Pubrec: 5,
  Pubrel: 6,
  Pubcomp: 7,
  Subscribe: 8,
  Suback: 9,
  Unsubscribe: 10,
  Unsuback: 11,
  Pingreq: 12,
  Pingresp: 13,
  Disconnect: 14,
  /** MQTT 5.0 only (§3.15). */
  Auth: 15,
} as const);
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** The protocol level of CONNECT (§3.1.2.2): 4 is MQTT 3.1.1, 5 is MQTT 5.0. */
export const ProtocolVersion = Object.freeze({
  V311: 4,
  V5: 5,
} as const);
export type ProtocolVersion = (typeof ProtocolVersion)[keyof typeof ProtocolVersion];

/** Quality of service levels (§4.3). */
export type QoS = 0 | 1 | 2;

/**
 * One decoded packet from the broker, reused for every packet: the decoders fill its fields and point
 * into the receive buffer (offsets and lengths) instead of copying or creating strings.
 */
export class IncomingPacket {
  /** The receive buffer the offsets below point into. */
  buffer: Uint8Array = EMPTY;
  type = 0;
  /** The low nibble of the fixed header. */
  flags = 0;
  /** PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK; 0 where the packet has none. */
  packetId = 0;
  /** PUBLISH fields. */
  qos: QoS = 0;
  retain = false;
  dup = false;
  /** The buffer the topic is in: `buffer`, or (5.0, an alias-only PUBLISH) the client's alias table. */
  topicBuffer: Uint8Array = EMPTY;
  topicOffset = 0;
  topicLength = 0;
  payloadOffset = 0;
  payloadLength = 0;
  /** CONNACK fields. */
  sessionPresent = false;
  returnCode = 0;
  /** SUBACK (and UNSUBACK in 5.0): the codes are `buffer[returnCodesOffset + i]` for i < returnCodesCount. */
  returnCodesOffset = 0;
  returnCodesCount = 0;
  /** 5.0: the reason code of PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT and AUTH (0 when omitted). */
  reasonCode = 0;
  /** 5.0: the packet's properties (the will's never arrive); empty in 3.1.1. */
  readonly properties = new Properties();

  /** Clears the fields a decoder may leave untouched, so no value survives from the previous packet. */
  reset(buffer: Uint8Array, type: number, flags: number): void {
    this.buffer = buffer;
    this.type = type;
    this.flags = flags;
    this.packetId = 0;
    this.qos = 0;
    this.retain = false;
    this.dup = false;
    this.topicBuffer = buffer;
    this.topicOffset = 0;
    this.topicLength = 0;
    this.payloadOffset = 0;
    this.payloadLength = 0;
    this.sessionPresent = false;
    this.returnCode = 0;
    this.returnCodesOffset = 0;
    this.returnCodesCount = 0;
    this.reasonCode = 0;
    this.properties.clear(buffer);
  }
}

const EMPTY = new Uint8Array(0);
