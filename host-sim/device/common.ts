// Conversions the device modules share, each matching what the Moddable SDK's native code does with a
// JavaScript value (xsmcToInteger, xsmcGetBufferReadable/Writable, builtinInitializeFormat, inet_aton),
// and the cause a socket reports with onError (causeOf).
import { TransportCause } from "../../firmware/mqtt/client/errors.js";

/** XS's xsmcToInteger: ToNumber, then to a 32-bit integer (NaN gives 0). */
export function toInteger(value: unknown): number {
  return Number(value) | 0;
}

/**
 * The bytes of a buffer argument, as xsmcGetBufferReadable/Writable take it: an ArrayBuffer,
 * a SharedArrayBuffer, or any view of one (typed array, DataView), over exactly the view's bytes.
 */
export function bufferBytes(value: unknown, what: string): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`${what}: not a buffer (an ArrayBuffer or a view of one)`);
}

export type IOFormat = "buffer" | "number";

/**
 * The `format` option as builtinInitializeFormat() (modules/io/common/builtinCommon.c) reads it: absent
 * or falsy gives the default; "number" and "buffer" are what TCP implements; any other string
 * ("string;ascii", "socket/tcp", typos) is refused with RangeError("unimplemented").
 */
export function initialFormat(options: object, fallback: IOFormat): IOFormat {
  if (!("format" in options)) return fallback;
  const value = (options as { format?: unknown }).format;
  if (!value) return fallback;
  return checkFormat(value);
}

/** builtinSetFormat + the TCP check: "number" or "buffer", else RangeError("unimplemented"). */
export function checkFormat(value: unknown): IOFormat {
  const format = String(value);
  if (format === "number" || format === "buffer") return format;
  throw new RangeError("unimplemented");
}

/**
 * A strict dotted-quad IPv4 address (four decimal parts, 0-255, no leading zeros): what a device can
 * connect to. Host names are refused (a device resolves them first with the DNS resolver), and so are
 * IPv6 and inet_aton's short forms ("127.1", "0x7f.0.0.1"): stricter than lwIP, never looser.
 */
export function isIPv4(value: unknown): value is string {
  if (typeof value !== "string") return false;
  const parts = value.split(".");
  if (parts.length !== 4) return false;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return false;
  }
  return true;
}

/** What the SDK's native code throws when a closed instance is used (xsmcGetHostDataValidate on NULL). */
export function closedError(what: string): SyntaxError {
  return new SyntaxError(`C: xsGetHostData: invalid (${what} used after close())`);
}

/** The callback a native constructor keeps (builtinGetCallback): functions only, anything else is absent. */
export function callbackOf(options: object, name: string): ((...args: never[]) => unknown) | undefined {
  const value = (options as Record<string, unknown>)[name];
  return typeof value === "function" ? (value as (...args: never[]) => unknown) : undefined;
}

/** Node's certificate errors that mean the chain does not lead to a trusted CA. */
const UNKNOWN_CA = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
]);

/**
 * The TransportCause (firmware/mqtt/client/errors.ts) a socket that knows why would pass to onError, for
 * the Node error that ended the connection (undefined: the peer closed it, end of stream).
 * @param connected - the device had been told the socket is up (its first onWritable)
 * @param tls - a TLS socket; tcpUp: its TCP had connected (the handshake was under way)
 */
export function causeOf(error: Error | undefined, connected: boolean, tls: boolean, tcpUp: boolean): number {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? "";
  if (connected) {
    if (error === undefined) return TransportCause.ClosedByBroker;
    return code === "ECONNRESET" || code === "EPIPE" ? TransportCause.ConnectionReset : TransportCause.ConnectionClosed;
  }
  if (code === "ECONNREFUSED") return TransportCause.ConnectionRefused;
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return TransportCause.HostUnreachable;
  if (code === "ENETDOWN") return TransportCause.NetworkDown;
  if (code === "ETIMEDOUT") return TransportCause.ConnectTimeout;
  if (UNKNOWN_CA.has(code)) return TransportCause.TLSUnknownCA;
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") return TransportCause.TLSCertificateExpired;
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return TransportCause.TLSNameMismatch;
  return tls && tcpUp ? TransportCause.TLSFailed : TransportCause.ConnectFailed; // e.g. closed during the handshake
}
