/**
 * Why a WebSocket connection failed: TransportCause codes (0x230-0x237, words in errorMessage), under the
 * names this layer uses. The adapter's isTransportCause passes them through from onError unchanged.
 */
import { TransportCause } from "../../mqtt/client/errors.js";

export const WebSocketCause = Object.freeze({
  /** The server answered the Upgrade request with something other than 101 Switching Protocols (RFC 6455 section 4.1). */
  HandshakeRefused: TransportCause.WebSocketRefused,
  /** A 101 response without the Upgrade/Connection headers, with a wrong Sec-WebSocket-Accept, or an extension we did not ask for (section 4.1). */
  HandshakeInvalid: TransportCause.WebSocketHandshakeInvalid,
  /** The server chose a subprotocol other than `mqtt` (section 4.1; MQTT 3.1.1 section 6). */
  SubprotocolRefused: TransportCause.WebSocketSubprotocol,
  /** The server's handshake response did not end within the bytes allowed, or the connection ended during it. */
  HandshakeIncomplete: TransportCause.WebSocketHandshakeIncomplete,
  /** A frame broke RFC 6455: masked (5.1), reserved bits or opcode (5.2), a control frame fragmented or over 125 bytes (5.5), a continuation out of place (5.4). */
  ProtocolError: TransportCause.WebSocketProtocolError,
  /** A text frame: MQTT goes in binary frames only (MQTT 3.1.1 section 6, MQTT 5 section 6). */
  NotBinary: TransportCause.WebSocketNotBinary,
  /** A frame longer than the maxFrame option, or a 64-bit length with its top bit set (section 5.2). */
  FrameTooLarge: TransportCause.WebSocketFrameTooLarge,
  /** The server closed the WebSocket with a Close frame (section 5.5.1); its status code is the socket's closeCode. */
  Closed: TransportCause.WebSocketClosed,
} as const);

/** The Close status a failure sends (RFC 6455 section 7.4.1): 1009 too big, 1003 not binary, else 1002 protocol error. */
export function closeCodeFor(cause: number): number {
  return cause === WebSocketCause.FrameTooLarge ? 1009 : cause === WebSocketCause.NotBinary ? 1003 : 1002;
}
