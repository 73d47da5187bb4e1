/**
 * Status codes of the codec. Hot paths return them instead of throwing: 0 is success, a positive value
 * is a length or count, a negative value is one of these errors. Each names the rule it enforces.
 */
export const enum DecodeError {
  /** §2.2.3: the Remaining Length field takes at most four bytes (268,435,455). */
  MalformedRemainingLength = -1,
  /** §2.2.1: packet types 0 and 15 are reserved. */
  ReservedPacketType = -2,
  /** [MQTT-2.2.2-1] [MQTT-2.2.2-2]: reserved fixed-header flag bits have their listed value. */
  ReservedFlags = -3,
  /** The packet is larger than the configured maximum packet size; refused from its header alone. */
  PacketTooLarge = -4,
  /** [MQTT-3.3.1-4]: a PUBLISH must not have both QoS bits set. */
  InvalidQoS = -5,
  /** [MQTT-2.3.1-1]: a packet identifier, where one is required, is non-zero. */
  ZeroPacketId = -6,
  /** [MQTT-1.5.3-1]: UTF-8 is well formed and encodes no surrogate (U+D800..U+DFFF). */
  MalformedUtf8 = -7,
  /** [MQTT-1.5.3-2] [MQTT-4.7.3-2]: a UTF-8 string must not contain U+0000. */
  NullCharacter = -8,
  /** [MQTT-3.3.2-2] [MQTT-4.7.1-1]: a topic name in a PUBLISH contains no wildcard. */
  WildcardInTopicName = -9,
  /** The Remaining Length does not match the fields it frames (too short, or bytes left over). */
  LengthMismatch = -10,
  /** A return code outside the values the spec defines (CONNACK 0-5 [§3.2.2.3], SUBACK [MQTT-3.9.3-2]). */
  InvalidReturnCode = -11,
  /** [§3.2.2.1]: CONNACK acknowledge flag bits 7-1 are reserved and 0. */
  ReservedConnackFlags = -12,
  /** [MQTT-4.7.3-1]: topic names and filters are at least one character long. */
  EmptyTopic = -13,
  /** A packet type a client never receives (CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT in 3.1.1). */
  UnexpectedPacketType = -14,
  /** The codec was asked for a protocol version it does not implement. */
  UnsupportedProtocolVersion = -15,
  /** [MQTT-3.2.2-4]: a CONNACK that refuses the connection has session present 0. */
  SessionPresentOnRefusal = -16,
  /** [MQTT-4.7.1-2] [MQTT-4.7.1-3]: `#` is last and alone in its level; `+` fills a whole level. */
  InvalidTopicFilter = -17,
  /** [MQTT-4.7.3-3]: a UTF-8 string encodes to at most 65,535 bytes. */
  StringTooLong = -18,
}

/**
 * The MQTT 5 reason code a client reports when it closes the connection for a decode error
 * (MQTT 3.1.1 has no DISCONNECT reason; the client still reports this code to the app).
 */
export function reasonCodeOf(error: number): number {
  if (error === DecodeError.PacketTooLarge) return 0x95; // Packet too large
  if (error === DecodeError.UnexpectedPacketType || error === DecodeError.SessionPresentOnRefusal) return 0x82; // Protocol Error
  if (error === DecodeError.UnsupportedProtocolVersion) return 0x84; // Unsupported Protocol Version
  return 0x81; // Malformed Packet
}

/**
 * Why a connection ended, given to onDisconnected (and to onError for refusals): the MQTT 5 reason codes
 * (§3.14.2.1 of MQTT 5.0) where MQTT has one, and two of ours (0x100 and up) for what happens below MQTT.
 */
export const enum DisconnectReason {
  /** The app called end(). */
  Normal = 0x00,
  MalformedPacket = 0x81,
  ProtocolError = 0x82,
  /** CONNACK return code 1. */
  UnsupportedProtocolVersion = 0x84,
  /** CONNACK return code 2. */
  ClientIdentifierNotValid = 0x85,
  /** CONNACK return code 4. */
  BadUserNameOrPassword = 0x86,
  /** CONNACK return code 5. */
  NotAuthorized = 0x87,
  /** CONNACK return code 3. */
  ServerUnavailable = 0x88,
  /** No PINGRESP within pingTimeout. */
  KeepAliveTimeout = 0x8d,
  /** The inbound QoS 2 table filled up: a reconnect has the broker send the unacknowledged messages again. */
  ReceiveMaximumExceeded = 0x93,
  PacketTooLarge = 0x95,
  /** The transport closed or failed (TCP reset, Wi-Fi gone, DNS failed). */
  ConnectionLost = 0x100,
  /** No connection and CONNACK within connectTimeout. */
  ConnectTimeout = 0x101,
}

/** Codes a call returns (negative) when it refuses the app's input, and onError's codes for dropped messages. */
export const enum ClientError {
  /** The outbox is full and the policy is "reject" (or nothing could be dropped to make room). */
  QueueFull = -100,
  /** The outbox is full and the policy "drop-newest" dropped this message. */
  MessageDropped = -101,
  /** "drop-oldest" dropped the oldest queued message to make room (reported through onError). */
  OldestDropped = -102,
  /** The topic is not a valid topic name (empty, a wildcard, U+0000, a lone surrogate, over 65,535 bytes), or neither a string nor a TopicHandle. */
  InvalidTopic = -103,
  /** QoS is not 0, 1 or 2. */
  InvalidQoS = -104,
  /** The packet would not fit the transmit buffer, the payload range is outside the payload array, a payload string has a lone surrogate, or the payload is neither bytes nor a string. */
  PayloadTooLarge = -105,
  /** Every packet identifier is in use. */
  NoPacketId = -106,
  /** The client was ended. */
  Ended = -107,
  /** A handler the app gave threw; the client carried on. */
  HandlerThrew = -108,
}

/** A sentence for a DisconnectReason, ClientError or DecodeError code: for logs, not for hot paths. */
export function errorMessage(code: number): string {
  switch (code) {
    case DisconnectReason.Normal: return "disconnected by the app";
    case DisconnectReason.MalformedPacket: return "malformed packet from the broker";
    case DisconnectReason.ProtocolError: return "protocol error by the broker";
    case DisconnectReason.UnsupportedProtocolVersion: return "refused: unacceptable protocol version";
    case DisconnectReason.ClientIdentifierNotValid: return "refused: client identifier rejected";
    case DisconnectReason.BadUserNameOrPassword: return "refused: bad user name or password";
    case DisconnectReason.NotAuthorized: return "refused: not authorized";
    case DisconnectReason.ServerUnavailable: return "refused: server unavailable";
    case DisconnectReason.KeepAliveTimeout: return "no PINGRESP in time: connection dead";
    case DisconnectReason.ReceiveMaximumExceeded: return "inbound QoS 2 table was full: reconnecting to receive the rest";
    case DisconnectReason.PacketTooLarge: return "packet from the broker larger than maxPacketSize";
    case DisconnectReason.ConnectionLost: return "connection lost";
    case DisconnectReason.ConnectTimeout: return "no CONNACK within connectTimeout";
    case ClientError.QueueFull: return "outbox full: message refused";
    case ClientError.MessageDropped: return "outbox full: this message dropped (drop-newest)";
    case ClientError.OldestDropped: return "outbox full: oldest queued message dropped (drop-oldest)";
    case ClientError.InvalidTopic: return "invalid topic name";
    case ClientError.InvalidQoS: return "QoS must be 0, 1 or 2";
    case ClientError.PayloadTooLarge: return "message larger than the transmit buffer, payload range outside the array, or a payload string that is not valid UTF-8";
    case ClientError.NoPacketId: return "every packet identifier is in use";
    case ClientError.Ended: return "the client was ended";
    case ClientError.HandlerThrew: return "an app handler threw";
    default: return code < 0 && code > -100 ? "decode error " + code : "code " + code;
  }
}
