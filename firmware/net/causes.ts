/**
 * Why a connection failed or ended, as far as the device can tell: the adapter's TransportCause
 * (codes and words in mqtt/client/errors.ts), taken from the socket when it gives one and inferred
 * when it does not, and the words with the address, port or name for logs.
 *
 * What a Moddable device tells (SDK sources, github.com/Moddable-OpenSource/moddable at 48ee02d8):
 * - TCP (`embedded:io/socket/tcp`, modules/io/socket/lwip/tcp.c on ESP32 and Pico W, lin/tcp.c on the
 *   simulator): onError() gets no argument (`xsCallFunction0(... tcp->onError ...)`; the file's to-do list
 *   says "deliver details to onError"; documentation/io/io.md: "Reporting the error type is an area for
 *   future work"). lwIP's err_t (ERR_RST, ERR_ABRT, ERR_CLSD) is dropped, and a clean close (a NULL pbuf
 *   in tcpReceive) is reported the same way. So a device tells only WHEN: onError before the first
 *   onWritable (tcpConnect's err, or tcpError while connecting) is a connect that failed (refused or
 *   unreachable: it cannot say which), after it the connection ended (the broker closed or reset it, or
 *   the network dropped it: it cannot say which).
 * - The constructor throws "connect error" when lwIP's tcp_connect() fails at once (ERR_RTE: no interface
 *   up, i.e. Wi-Fi down): that is the one network-down signal a socket gives.
 * - DNS (`embedded:network/dns/resolver/udp`, examples/io/udp/dns/dns.js): onError(host) both for an
 *   answer without an A record and after servers.length * 5 unanswered tries: "host not found" covers both.
 * - TLS (`embedded:io/socket/tcp/tls`, examples/io/tcp/tlssocket/tlssocket.js over ssl/session): a failed
 *   handshake THROWS TLSError from inside the TCP socket's callback (ssl_handshake.js: "certificate: auth
 *   err" for every certificate check: CertificateManager.verify in ssl_cert.js returns false for an
 *   unknown CA, a date outside the validity (Date.now(): an unset clock fails every certificate) and a
 *   subjectAltName mismatch alike, and only trace() says which). Uncaught, that is an unhandled exception
 *   and XS aborts (fxAbort, xsUnhandledExceptionExit: the board restarts). The adapter hands the TLS
 *   socket a watched TCP class (watchedTCP below) that catches it and reports TLSFailed, and that also
 *   learns when TCP itself connected, which the TLS socket hides until its handshake is done.
 * - Nothing reports a connect that never completes: the adapter's own deadline (connectTimeout) does.
 * So a device gets ConnectFailed, ConnectionClosed, NetworkDown, HostNotFound, TLSFailed and
 * ConnectTimeout. A broker's refusal of our client certificate (or of none), of our ALPN protocols or of
 * our server name is a fatal TLS alert, which the SDK throws as TLSError("alert: 2, <description>") from
 * the same TCP callback (ssl_alert.js): the adapter reports TLSFailed for it too, while the simulator
 * tells them apart (TLSClientCertificateRequired, TLSClientCertificateRefused, TLSNoApplicationProtocol,
 * TLSUnrecognizedName). A socket that knows more passes a TransportCause code as onError's first argument
 * (a resolver: onError's second, after the host); host-sim's sockets do (refused, reset, end of stream,
 * which TLS check failed), and the adapter takes it as it comes.
 */
import { errorMessage, TransportCause } from "../mqtt/client/errors.js";
import type { SocketConstructor, SocketOptions } from "./device.js";

/** A TransportCause code (0x200-0x2FF), as a socket may pass one to onError. */
export function isTransportCause(value: unknown): value is number {
  return typeof value === "number" && value >= 0x200 && value <= 0x2ff && (value | 0) === value;
}

/**
 * The cause of a socket's onError: the one it passed, else what its timing tells.
 * @param given - onError's argument (a device passes none)
 * @param opened - the socket had reported onWritable (the transport was up)
 * @param handshaking - TLS only: TCP was up and the handshake had not finished
 */
export function socketCause(given: unknown, opened: boolean, handshaking: boolean): number {
  if (isTransportCause(given)) return given;
  if (opened) return TransportCause.ConnectionClosed;
  return handshaking ? TransportCause.TLSFailed : TransportCause.ConnectFailed;
}

/** The cause of a socket constructor that threw: lwIP's "connect error" is no route (Wi-Fi down). */
export function thrownCause(error: unknown): number {
  const message = error instanceof Error ? error.message : "";
  return message.indexOf("connect") >= 0 ? TransportCause.NetworkDown : TransportCause.ConnectFailed;
}

/** What the TLS socket's TCP does that the adapter wants to know. */
export interface TCPWatch {
  /** TCP connected (its first onWritable, before the TLS handshake). */
  up(): void;
  /** The TLS socket threw from a TCP callback: its handshake (or a record) failed. */
  threw(error: unknown): void;
}

/**
 * The TCP class for the SDK's TLS socket (its `TCP: {io}` option), watched: the first onWritable says TCP
 * is up, and an exception the TLS socket throws from a TCP callback is caught (the device would abort)
 * and reported. Allocates per connection (a constructor, its options, two callbacks).
 */
export function watchedTCP(TCP: SocketConstructor, watch: TCPWatch): SocketConstructor {
  return function (options: SocketOptions) {
    const onReadable = options.onReadable;
    const onWritable = options.onWritable;
    const watched: SocketOptions = { ...options };
    watched.onReadable = function (count) {
      try {
        onReadable?.call(this, count);
      } catch (error) {
        watch.threw(error);
      }
    };
    watched.onWritable = function (count) {
      watch.up();
      try {
        onWritable?.call(this, count);
      } catch (error) {
        watch.threw(error);
      }
    };
    return new TCP(watched);
  } as unknown as SocketConstructor;
}

/** What the words of a cause name: the connection's broker, resolved address and connect bound. */
export interface CauseContext {
  readonly broker: { readonly host: string; readonly port: number; readonly serverName?: string; readonly ALPNProtocols?: readonly string[]; readonly websocket?: string };
  /** The address of the last attempt, once resolved (null while resolving). */
  readonly address: string | null;
  /** Milliseconds the transport has to open. */
  readonly connectTimeout: number;
}

/**
 * A cause in words, with the address, port or name it concerns, e.g. "connection refused by
 * 127.0.0.1:1884". For logs: it allocates (disconnects are rare; the hot paths carry only the code).
 * @param cause - a TransportCause (other codes get errorMessage's words)
 * @param at - the connection (MqttConnection is one)
 */
export function describeCause(cause: number, at: CauseContext): string {
  const broker = at.broker;
  const where = (at.address ?? broker.host) + ":" + broker.port;
  switch (cause) {
    case TransportCause.ConnectFailed: return "could not connect to " + where + " (refused or unreachable)";
    case TransportCause.ConnectionRefused: return "connection refused by " + where;
    case TransportCause.HostUnreachable: return "host unreachable: " + where;
    case TransportCause.HostNotFound: return "host not found: " + broker.host;
    case TransportCause.ConnectTimeout: return "connect timeout after " + at.connectTimeout / 1000 + " s (" + where + ")";
    case TransportCause.TLSFailed: return "TLS handshake failed with " + where;
    case TransportCause.TLSNameMismatch: return "TLS: certificate name mismatch (expected " + (broker.serverName ?? broker.host) + ")";
    case TransportCause.ClosedByBroker: return "closed by the broker (" + where + ")";
    case TransportCause.TLSClientCertificateRequired: return "TLS: " + where + " requires a client certificate (give cert and key)";
    case TransportCause.TLSClientCertificateRefused: return "TLS: " + where + " refused our client certificate (signed by a CA it does not trust, expired or revoked)";
    case TransportCause.TLSNoApplicationProtocol:
      return "TLS: " + where + " accepts none of our ALPN protocols (" + (broker.ALPNProtocols !== undefined ? "offered: " + broker.ALPNProtocols.join(", ") : "none offered: give ALPNProtocols") + ")";
    case TransportCause.TLSUnrecognizedName: return "TLS: " + where + " does not know the server name " + (broker.serverName ?? broker.host) + " (SNI)";
    case TransportCause.WebSocketRefused: return "WebSocket upgrade refused by " + where + " (no 101 Switching Protocols: is " + (broker.websocket ?? "/") + " its path?)";
    default: return errorMessage(cause);
  }
}
