/**
 * Why a WebSocket connection failed, as codes in the TransportCause range (0x200-0x2FF: the adapter's
 * isTransportCause passes them through from onError unchanged). Local until errors.ts adopts them as
 * TransportCause members; words for logs only (they allocate).
 */
export const WebSocketCause = Object.freeze({
  /** The server answered the Upgrade request with something other than 101 Switching Protocols (RFC 6455 section 4.1). */
  HandshakeRefused: 0x230,
  /** A 101 response without the Upgrade/Connection headers, with a wrong Sec-WebSocket-Accept, or an extension we did not ask for (section 4.1). */
  HandshakeInvalid: 0x231,
  /** The server chose a subprotocol other than `mqtt` (section 4.1; MQTT 3.1.1 section 6). */
  SubprotocolRefused: 0x232,
  /** The server's handshake response did not end within the bytes allowed, or the connection ended during it. */
  HandshakeIncomplete: 0x233,
  /** A frame broke RFC 6455: masked (5.1), reserved bits or opcode (5.2), a control frame fragmented or over 125 bytes (5.5), a continuation out of place (5.4). */
  ProtocolError: 0x234,
  /** A text frame: MQTT goes in binary frames only (MQTT 3.1.1 section 6, MQTT 5 section 6). */
  NotBinary: 0x235,
  /** A frame longer than the maxFrame option, or a 64-bit length with its top bit set (section 5.2). */
  FrameTooLarge: 0x236,
  /** The server closed the WebSocket with a Close frame (section 5.5.1); its status code is the socket's closeCode. */
  Closed: 0x237,
} as const);

/** Words for a WebSocketCause, or "" for another code. */
export function webSocketCauseMessage(code: number): string {
  switch (code) {
    case WebSocketCause.HandshakeRefused: return "WebSocket upgrade refused (no 101 Switching Protocols)";
    case WebSocketCause.HandshakeInvalid: return "WebSocket upgrade invalid (Upgrade, Connection or Sec-WebSocket-Accept wrong)";
    case WebSocketCause.SubprotocolRefused: return "WebSocket: the server did not accept the mqtt subprotocol";
    case WebSocketCause.HandshakeIncomplete: return "WebSocket upgrade response too long or cut short";
    case WebSocketCause.ProtocolError: return "WebSocket protocol error by the server";
    case WebSocketCause.NotBinary: return "WebSocket: a text frame (MQTT needs binary frames)";
    case WebSocketCause.FrameTooLarge: return "WebSocket frame larger than allowed";
    case WebSocketCause.Closed: return "WebSocket closed by the server";
    default: return "";
  }
}

/** The Close status a failure sends (RFC 6455 section 7.4.1): 1009 too big, 1003 not binary, else 1002 protocol error. */
export function closeCodeFor(cause: number): number {
  return cause === WebSocketCause.FrameTooLarge ? 1009 : cause === WebSocketCause.NotBinary ? 1003 : 1002;
}
