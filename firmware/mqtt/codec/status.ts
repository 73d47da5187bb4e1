/**
 * Status codes of the codec. Hot paths return them instead of throwing: 0 is success, a positive value
 * is a length or count, a negative value is one of these errors. Each names the rule it enforces.
 */
export const DecodeError = Object.freeze({
  /** §2.2.3: the Remaining Length field takes at most four bytes (268,435,455). */
  MalformedRemainingLength: -1,
  /** §2.2.1: packet types 0 and 15 are reserved. */
  ReservedPacketType: -2,
  /** [MQTT-2.2.2-1] [MQTT-2.2.2-2]: reserved fixed-header flag bits have their listed value. */
  ReservedFlags: -3,
  /** The packet is larger than the configured maximum packet size; refused from its header alone. */
  PacketTooLarge: -4,
  /** [MQTT-3.3.1-4]: a PUBLISH must not have both QoS bits set. */
  InvalidQoS: -5,
  /** [MQTT-2.3.1-1]: a packet identifier, where one is required, is non-zero. */
  ZeroPacketId: -6,
  /** [MQTT-1.5.3-1]: UTF-8 is well formed and encodes no surrogate (U+D800..U+DFFF). */
  MalformedUtf8: -7,
  /** [MQTT-1.5.3-2] [MQTT-4.7.3-2]: a UTF-8 string must not contain U+0000. */
  NullCharacter: -8,
  /** [MQTT-3.3.2-2] [MQTT-4.7.1-1]: a topic name in a PUBLISH contains no wildcard. */
  WildcardInTopicName: -9,
  /** The Remaining Length does not match the fields it frames (too short, or bytes left over). */
  LengthMismatch: -10,
  /** A return code outside the values the spec defines (CONNACK 0-5 [§3.2.2.3], SUBACK [MQTT-3.9.3-2]). */
  InvalidReturnCode: -11,
  /** [§3.2.2.1]: CONNACK acknowledge flag bits 7-1 are reserved and 0. */
  ReservedConnackFlags: -12,
  /** [MQTT-4.7.3-1]: topic names and filters are at least one character long. */
  EmptyTopic: -13,
  /** A packet type a client never receives (CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT in 3.1.1). */
  UnexpectedPacketType: -14,
  /** The codec was asked for a protocol version it does not implement. */
  UnsupportedProtocolVersion: -15,
  /** [MQTT-3.2.2-4]: a CONNACK that refuses the connection has session present 0. */
  SessionPresentOnRefusal: -16,
  /** [MQTT-4.7.1-2] [MQTT-4.7.1-3]: `#` is last and alone in its level; `+` fills a whole level. */
  InvalidTopicFilter: -17,
  /** [MQTT-4.7.3-3]: a UTF-8 string encodes to at most 65,535 bytes. */
  StringTooLong: -18,
  /** [MQTT-1.5.5-1]: a Variable Byte Integer takes at most four bytes, in its shortest form. */
  MalformedVariableByteInteger: -19,
  /** §2.2.2.2: a property identifier the spec does not define, or not allowed in this packet (Malformed). */
  InvalidPropertyIdentifier: -20,
  /** A property that may appear once appears again (a Protocol Error, stated for each property in §3). */
  DuplicateProperty: -21,
  /** A property value the spec rules out: 0 for Receive Maximum, Maximum Packet Size, Topic Alias or a Subscription Identifier; a byte property other than 0 or 1 (Protocol Errors). */
  InvalidPropertyValue: -22,
  /** MQTT 5 reason code not defined for this packet (§2.4 Table 2-6). */
  InvalidReasonCode: -23,
  /** §3.3.2.3.4: a PUBLISH with an empty topic name needs a Topic Alias (a Protocol Error). */
  MissingTopicAlias: -24,
} as const);
export type DecodeError = (typeof DecodeError)[keyof typeof DecodeError];

/**
 * The MQTT 5 reason code a client reports when it closes the connection for a decode error
 * (MQTT 3.1.1 has no DISCONNECT reason; the client still reports this code to the app).
 */
export function reasonCodeOf(error: number): number {
  if (error === DecodeError.PacketTooLarge) return 0x95; // Packet too large
  if (
    error === DecodeError.UnexpectedPacketType ||
    error === DecodeError.SessionPresentOnRefusal ||
    error === DecodeError.DuplicateProperty ||
    error === DecodeError.InvalidPropertyValue ||
    error === DecodeError.MissingTopicAlias
  ) {
    return 0x82; // Protocol Error
  }
  if (error === DecodeError.UnsupportedProtocolVersion) return 0x84; // Unsupported Protocol Version
  return 0x81; // Malformed Packet
}
