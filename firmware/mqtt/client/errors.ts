/**
 * The client's codes: why a connection ended (onDisconnected, and onError for a broker's fault), and why
 * a call was refused or what went wrong beside a call (ClientError, negative). Hot paths return these
 * numbers; errorMessage() gives the words, for logs.
 */
import { reasonWords } from "../codec/reasons.js";

/**
 * Why a connection ended: the MQTT 5 reason codes (§3.14.2.1 of MQTT 5.0) where MQTT has one, and ours
 * (0x100 and up) for what happens below MQTT or in the client's own timers.
 */
export const DisconnectReason = Object.freeze({
  /** The app called end(). */
  Normal: 0x00,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  /** CONNACK return code 1. */
  UnsupportedProtocolVersion: 0x84,
  /** CONNACK return code 2. */
  ClientIdentifierNotValid: 0x85,
  /** CONNACK return code 4. */
  BadUserNameOrPassword: 0x86,
  /** CONNACK return code 5. */
  NotAuthorized: 0x87,
  /** CONNACK return code 3. */
  ServerUnavailable: 0x88,
  /** No PINGRESP within pingTimeout. */
  KeepAliveTimeout: 0x8d,
  /** 5.0: the broker had more QoS 1/2 PUBLISH unacknowledged towards us than our Receive Maximum [MQTT-3.3.4-9]. */
  ReceiveMaximumExceeded: 0x93,
  /** 5.0: the broker used a Topic Alias we did not allow (we announce a Topic Alias Maximum of 0). */
  TopicAliasInvalid: 0x94,
  /** A packet from the broker larger than maxPacketSize that cannot be skipped (not a PUBLISH). */
  PacketTooLarge: 0x95,
  /** The transport closed or failed (TCP reset, Wi-Fi gone, DNS failed). */
  ConnectionLost: 0x100,
  /** No connection and CONNACK within connectTimeout. */
  ConnectTimeout: 0x101,
  /** A QoS 1/2 PUBLISH (or PUBREL) waited ackTimeout for its ack: the link is taken as dead. */
  AckTimeout: 0x102,
  /** 5.0: the broker sent DISCONNECT with reason 0x00 (Normal disconnection); its other reasons are reported as they are. */
  ServerDisconnected: 0x103,
} as const);
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

/** Codes a call returns (negative) when it refuses the app's input, and onError's codes beside a call. */
export const ClientError = Object.freeze({
  /** The outbox is full (policy "reject", or "drop-oldest" with nothing it may drop): back-pressure. */
  QueueFull: -100,
  /** The outbox is full and the policy "drop-newest" dropped this message. */
  MessageDropped: -101,
  /** "drop-oldest" dropped the oldest message not yet sent to make room (through onError). */
  OldestDropped: -102,
  /** The topic is not a valid topic name (or filter), or not a string or TopicHandle. */
  InvalidTopic: -103,
  /** QoS is not 0, 1 or 2. */
  InvalidQoS: -104,
  /** The PUBLISH would not fit the transmit buffer even when empty. */
  PayloadTooLarge: -105,
  /** Every packet identifier is in use. */
  NoPacketId: -106,
  /** The client was ended. */
  Ended: -107,
  /** A handler the app gave threw; the client carried on. */
  HandlerThrew: -108,
  /** An argument has the wrong type or is out of range: offset, length, retain, a handler, a list. */
  InvalidArgument: -109,
  /** The payload is neither a Uint8Array nor a string, or a string with a lone surrogate [MQTT-1.5.3-1]. */
  InvalidPayload: -110,
  /** A PUBLISH from the broker over maxPacketSize was skipped and acknowledged (through onError). */
  MessageTooLarge: -111,
  /** A SUBSCRIBE/UNSUBSCRIBE of this one filter would not fit the control buffer. */
  SubscriptionTooLarge: -112,
  /** The subscription table is full. */
  SubscriptionsFull: -113,
  /**
   * The composed client (mqtt-xs/net's Mqtt) was ended, or its connection lost while end() waited, with
   * messages not yet delivered: they stay in the client (queuedCount()), and a later start() sends them.
   */
  EndedUndelivered: -114,
  /** 5.0: the QoS is above the broker's Maximum QoS [MQTT-3.2.2-11]. */
  QoSNotSupported: -115,
  /** 5.0: the broker does not keep retained messages (Retain Available 0) [MQTT-3.2.2-14]. */
  RetainNotSupported: -116,
  /** 5.0: the PUBLISH is larger than the broker's Maximum Packet Size [MQTT-3.2.2-15]. */
  PacketTooLargeForServer: -117,
  /** 5.0: a message's Message Expiry Interval ran out while it waited in the outbox: dropped, never sent. */
  MessageExpired: -118,
  /** 5.0: an AUTH (method and data) does not fit the control buffer: raise controlBufferSize. */
  AuthTooLarge: -119,
  /**
   * With a flash store (mqtt-xs/store): the message could not be written to flash (the flash refused the
   * write, or the message is larger than a flash sector allows): refused, nothing of it kept; the store's
   * onError says why.
   */
  StoreFailed: -120,
  /** With a flash store's latestPerTopic: an unsent message was replaced by a newer one on its topic (through onError). */
  MessageReplaced: -121,
} as const);
export type ClientError = (typeof ClientError)[keyof typeof ClientError];

/**
 * Why the transport failed or ended, as the network adapter (firmware/net) knows it: the cause behind a
 * DisconnectReason.ConnectionLost or ConnectTimeout. 0x200 and up, apart from DisconnectReason (0x00-0x1FF),
 * ClientError (-100 and down) and DecodeError (-1 to -99). firmware/net/causes.ts says which ones a
 * device can tell and adds the address, port or name to the words.
 */
export const TransportCause = Object.freeze({
  /** No transport cause: the client's own reason says why (protocol error, keepalive, end()). */
  None: 0,
  /** The socket failed before it connected, and said no more: refused or unreachable. */
  ConnectFailed: 0x200,
  /** The broker's host answered the connect with a reset: nothing listens on that port. */
  ConnectionRefused: 0x201,
  /** No route to the broker's host (an ICMP unreachable). */
  HostUnreachable: 0x202,
  /** DNS has no address for the broker's host name (or no DNS server answered). */
  HostNotFound: 0x203,
  /** No network: Wi-Fi down or no interface up (the socket could not even be created). */
  NetworkDown: 0x204,
  /** The transport (TCP connect, TLS handshake, DNS) did not open within connectTimeout. */
  ConnectTimeout: 0x205,
  /** The TLS handshake failed and the device cannot tell which check. */
  TLSFailed: 0x210,
  /** The broker's certificate is not signed by the CA given (unknown CA, self-signed, bad signature). */
  TLSUnknownCA: 0x211,
  /** The broker's certificate is expired or not yet valid (or the device's clock is wrong). */
  TLSCertificateExpired: 0x212,
  /** The broker's certificate does not carry the name asked for (serverName, else host). */
  TLSNameMismatch: 0x213,
  /** The connection ended after it was up, and the socket said no more: the broker or the network closed it. */
  ConnectionClosed: 0x220,
  /** The broker closed the connection (end of stream). */
  ClosedByBroker: 0x221,
  /** The connection was reset (by the broker, or dropped by the network). */
  ConnectionReset: 0x222,
  /** The broker asks for a client certificate (mutual TLS) and we gave none: `cert` and `key` needed. */
  TLSClientCertificateRequired: 0x214,
  /** The broker refused our client certificate: not signed by a CA it trusts, expired, revoked, or bad. */
  TLSClientCertificateRefused: 0x215,
  /** The broker accepts none of the ALPN protocols we offered (or requires ALPN and we offered none). */
  TLSNoApplicationProtocol: 0x216,
  /** The broker does not serve the server name we sent in SNI (or requires SNI and got none). */
  TLSUnrecognizedName: 0x217,
  /** MQTT over WebSockets (firmware/net/ws/causes.ts, RFC 6455): the Upgrade answered with no 101. */
  WebSocketRefused: 0x230,
  /** A 101 with a wrong Upgrade, Connection or Sec-WebSocket-Accept, or an extension we did not ask for. */
  WebSocketHandshakeInvalid: 0x231,
  /** The server chose a subprotocol other than mqtt. */
  WebSocketSubprotocol: 0x232,
  /** The Upgrade's answer too long, or cut short. */
  WebSocketHandshakeIncomplete: 0x233,
  /** A frame that breaks RFC 6455 (masked, reserved bits or opcodes, a bad control frame or continuation). */
  WebSocketProtocolError: 0x234,
  /** A text frame: MQTT goes in binary frames only. */
  WebSocketNotBinary: 0x235,
  /** A frame longer than allowed. */
  WebSocketFrameTooLarge: 0x236,
  /** The server closed the WebSocket (a Close frame). */
  WebSocketClosed: 0x237,
} as const);
export type TransportCause = (typeof TransportCause)[keyof typeof TransportCause];

/** A sentence for a DisconnectReason, ClientError, DecodeError or TransportCause code: for logs, not for hot paths. */
export function errorMessage(code: number): string {
  switch (code) {
    case DisconnectReason.Normal: return "success (for a connection: ended by the app)";
    case DisconnectReason.MalformedPacket: return "malformed packet from the broker";
    case DisconnectReason.ProtocolError: return "protocol error by the broker";
    case DisconnectReason.UnsupportedProtocolVersion: return "refused: unacceptable protocol version";
    case DisconnectReason.ClientIdentifierNotValid: return "refused: client identifier rejected";
    case DisconnectReason.BadUserNameOrPassword: return "refused: bad user name or password";
    case DisconnectReason.NotAuthorized: return "refused: not authorized";
    case DisconnectReason.ServerUnavailable: return "refused: server unavailable";
    case DisconnectReason.KeepAliveTimeout: return "no PINGRESP in time: connection dead";
    case DisconnectReason.PacketTooLarge: return "packet from the broker larger than maxPacketSize";
    case DisconnectReason.ConnectionLost: return "connection lost";
    case DisconnectReason.ConnectTimeout: return "no CONNACK within connectTimeout";
    case DisconnectReason.AckTimeout: return "no acknowledgement within ackTimeout: connection dead";
    case DisconnectReason.ReceiveMaximumExceeded: return "the broker sent more unacknowledged QoS 1/2 messages than our Receive Maximum";
    case DisconnectReason.TopicAliasInvalid: return "the broker used a topic alias we did not allow";
    case DisconnectReason.ServerDisconnected: return "the broker disconnected us (normal disconnection)";
    case TransportCause.ConnectFailed: return "could not connect (refused or unreachable)";
    case TransportCause.ConnectionRefused: return "connection refused";
    case TransportCause.HostUnreachable: return "host unreachable";
    case TransportCause.HostNotFound: return "host not found";
    case TransportCause.NetworkDown: return "Wi-Fi down (no network)";
    case TransportCause.ConnectTimeout: return "connect timeout";
    case TransportCause.TLSFailed: return "TLS handshake failed";
    case TransportCause.TLSUnknownCA: return "TLS: certificate not signed by the CA given (unknown CA)";
    case TransportCause.TLSCertificateExpired: return "TLS: certificate expired or not yet valid (check the clock)";
    case TransportCause.TLSNameMismatch: return "TLS: certificate name mismatch";
    case TransportCause.ConnectionClosed: return "connection closed (by the broker or the network)";
    case TransportCause.ClosedByBroker: return "closed by the broker";
    case TransportCause.ConnectionReset: return "connection reset";
    case TransportCause.TLSClientCertificateRequired: return "TLS: the broker requires a client certificate (give cert and key)";
    case TransportCause.TLSClientCertificateRefused: return "TLS: the broker refused our client certificate (signed by a CA it does not trust, expired or revoked)";
    case TransportCause.TLSNoApplicationProtocol: return "TLS: the broker accepts none of our ALPN protocols";
    case TransportCause.TLSUnrecognizedName: return "TLS: the broker does not know the server name sent (SNI)";
    case TransportCause.WebSocketRefused: return "WebSocket upgrade refused (no 101 Switching Protocols: check the path)";
    case TransportCause.WebSocketHandshakeInvalid: return "WebSocket upgrade invalid (Upgrade, Connection or Sec-WebSocket-Accept wrong)";
    case TransportCause.WebSocketSubprotocol: return "WebSocket: the server did not accept the mqtt subprotocol";
    case TransportCause.WebSocketHandshakeIncomplete: return "WebSocket upgrade response too long or cut short";
    case TransportCause.WebSocketProtocolError: return "WebSocket protocol error by the server";
    case TransportCause.WebSocketNotBinary: return "WebSocket: a text frame (MQTT needs binary frames)";
    case TransportCause.WebSocketFrameTooLarge: return "WebSocket frame larger than allowed";
    case TransportCause.WebSocketClosed: return "WebSocket closed by the server";
    case ClientError.QueueFull: return "outbox full: message refused";
    case ClientError.MessageDropped: return "outbox full: this message dropped (drop-newest)";
    case ClientError.OldestDropped: return "outbox full: oldest unsent message dropped (drop-oldest)";
    case ClientError.InvalidTopic: return "invalid topic name or filter";
    case ClientError.InvalidQoS: return "QoS must be 0, 1 or 2";
    case ClientError.PayloadTooLarge: return "message larger than the transmit buffer";
    case ClientError.NoPacketId: return "every packet identifier is in use";
    case ClientError.Ended: return "the client was ended";
    case ClientError.HandlerThrew: return "an app handler threw";
    case ClientError.InvalidArgument: return "argument of the wrong type or out of range";
    case ClientError.InvalidPayload: return "payload must be a Uint8Array or a well-formed string";
    case ClientError.MessageTooLarge: return "message from the broker larger than maxPacketSize: skipped and acknowledged";
    case ClientError.SubscriptionTooLarge: return "topic filter too long for the control buffer";
    case ClientError.SubscriptionsFull: return "the subscription table is full";
    case ClientError.EndedUndelivered: return "ended with messages not yet delivered (still queued: a later start() sends them)";
    case ClientError.QoSNotSupported: return "QoS above the broker's Maximum QoS";
    case ClientError.RetainNotSupported: return "the broker does not support retained messages";
    case ClientError.PacketTooLargeForServer: return "message larger than the broker's Maximum Packet Size";
    case ClientError.MessageExpired: return "message expired in the outbox before it could be sent (messageExpiryInterval)";
    case ClientError.AuthTooLarge: return "AUTH (authentication method and data) larger than the control buffer";
    case ClientError.StoreFailed: return "the message could not be written to the flash store: refused, nothing kept";
    case ClientError.MessageReplaced: return "an unsent message was replaced by a newer one on its topic (latestPerTopic)";
    default: {
      if (code < 0 && code > -100) return "decode error " + code;
      const words = reasonWords(code); // an MQTT 5.0 reason code from the broker
      return words === "" ? "code " + code : words;
    }
  }
}

/**
 * Why a connection ended, in words: errorMessage's, except that 0 (Normal) is the app's end() here (the
 * same 0 is an ack's Success, which errorMessage must also cover).
 */
export function disconnectMessage(reason: number): string {
  return reason === DisconnectReason.Normal ? "ended by the app" : errorMessage(reason);
}

/** An error thrown by a set-up call (subscribe, unsubscribe, the constructor's options) with its code. */
export class ClientArgumentError extends TypeError {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message + " (" + errorMessage(code) + ")");
    this.code = code;
  }
}
