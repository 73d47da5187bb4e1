// `embedded:io/socket/tcp/tls` on Node: the TLS socket as the Moddable SDK implements it
// (examples/io/tcp/tlssocket/tlssocket.js over modules/crypt/ssl/session_419.js, mapped to this module name
// by examples/io/tcp/tlssocket/manifest.json), over node:tls, with its options and quirks:
//
// - Options: the TCP options (address, port, nodelay, callbacks) plus `host` (the server name sent in SNI)
//   and `secure`, which Moddable spreads into its SSL session: `serverName` (overrides host), `certificate`
//   (one trusted certificate in DER: an ArrayBuffer or view, added to the device's CA store; a PEM string
//   fails on a device and throws here), `verify` (false disables verification), `clientCertificates`
//   (an array of DER certificates, leaf first, sent when the server asks) and `clientKey` (the leaf's key:
//   unencrypted PKCS#8 DER, RSA only, as modules/crypt/etc/pkcs8.js parses it; another kind throws here),
//   `applicationLayerProtocolNegotiation` (a String or ArrayBuffer for one protocol, or an Array of them,
//   each 1-255 bytes: ssl_handshake.js at 48ee02d8; a string is one protocol, not split on ":").
//   `TCP: {io: TCP}` is required (the SDK constructs the TCP socket with it). TLS 1.2 only, and only the
//   SDK's cipher suites. Not simulated: the SDK signs its CertificateVerify only for the RSA and ECDHE_RSA
//   key exchanges ("certificateVerify: unimplemented" for DHE_RSA), so a server that picks a DHE_RSA suite
//   fails mutual TLS on a device and not here.
// - The server's alerts, which the SDK throws as TLSError("alert: 2, <n>"), are told apart here: a server
//   that wants a client certificate we did not send (handshake_failure after its certificate, or
//   certificate_required), one that refused ours (bad_certificate, unknown_ca, expired, revoked, ...), no
//   ALPN protocol in common (no_application_protocol), an unknown server name (unrecognized_name): see
//   alertCause.
// - The server certificate chain is verified (rejectUnauthorized), and the name too: serverName, else
//   host, else the address (the SDK's CertificateManager.verify in ssl_cert.js checks the subjectAltName
//   since 2025; older SDKs had the check commented out). A failed handshake reports onError with the
//   check that failed as a TransportCause (unknown CA, expired, name mismatch; other handshake failures
//   TLSFailed: causeOf in common.ts). On a device the SDK throws TLSError("certificate: auth err") for
//   all three alike from inside its TCP callback, an unhandled exception that aborts XS unless caught
//   (firmware/net/causes.ts watchedTCP catches it and reports TLSFailed).
// - Receive: data comes one record at a time: onReadable(count) gives the whole record's length, and the
//   next record is announced only once this one is read to the end. read() returns the rest of the record,
//   read(n) n bytes of it (more than remain throws here; on a device the socket stalls for good), format
//   "number" one byte. read(buffer) is not implemented by the SDK (it returns an empty ArrayBuffer and
//   fills nothing): it throws here.
// - Send: onWritable(count) reports the TCP writable count minus 96 (the SDK's estimate of a record's
//   overhead), only when that is positive, and write() returns the same figure. write(data) sends one
//   record: data plus the real overhead of the negotiated cipher must fit the TCP count, else
//   Error("would block"); as on the device, that record's sequence number is then lost, so the next
//   record makes the server fail the connection (onError). Larger than 16,384 bytes throws (dropped
//   silently on a device).
// - Callbacks run with `this` = a plain object holding the three callbacks, not the socket: `this.read()`
//   inside a TLS callback fails on a device, and here.
// - The `format` option must not be "number" (the SDK passes it to its TCP socket, breaking the handshake):
//   it throws here. The `format` setter switches to "number" for any value other than "buffer".
import { createPrivateKey } from "node:crypto";
import { connect, rootCertificates } from "node:tls";
import type { ConnectionOptions, PeerCertificate, TLSSocket as NodeTLSSocket } from "node:tls";
import { checkServerIdentity } from "node:tls";
import { TransportCause } from "../../firmware/mqtt/client/errors.js";
import { currentNetwork } from "../network.js";
import { bufferBytes, callbackOf, isIPv4, toInteger } from "./common.js";
import type { IOFormat } from "./common.js";
import { SocketCore } from "./socket-core.js";
import type { CoreOwner } from "./socket-core.js";
import type { TCPOptions } from "./tcp.js";

type Bytes = ArrayBufferLike | ArrayBufferView;

export interface SecureOptions {
  serverName?: string;
  /** One trusted certificate, DER. */
  certificate?: Bytes;
  /** false: accept any server certificate. */
  verify?: boolean;
  clientCertificates?: Bytes[];
  clientKey?: Bytes;
  applicationLayerProtocolNegotiation?: string | string[];
  [other: string]: unknown;
}

export interface TLSOptions extends Omit<TCPOptions, "onReadable" | "onWritable" | "onError"> {
  /** The server's name, sent in SNI (and checked against its certificate here). */
  host?: string;
  secure?: SecureOptions;
  /** The TCP socket class the SDK layers TLS on. Required. */
  TCP: { io: unknown };
  onReadable?: (this: TLSCallbacks, count: number) => void;
  onWritable?: (this: TLSCallbacks, count: number) => void;
  onError?: (this: TLSCallbacks, cause?: number) => void;
}

/** What `this` is inside a TLS callback. */
export interface TLSCallbacks {
  onReadable: ((count: number) => void) | undefined;
  onWritable: ((count: number) => void) | undefined;
  onError: ((cause?: number) => void) | undefined;
}

/** The SDK's cipher suites (modules/crypt/ssl/ssl_ciphersuites.js, with config.tls.DHE_RSA and ECDHE_RSA). */
const CIPHERS = [
  "AES128-SHA",
  "AES256-SHA",
  "AES128-SHA256",
  "AES256-SHA256",
  "DHE-RSA-AES128-SHA256",
  "DHE-RSA-AES256-SHA256",
  "DHE-RSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
].join(":");
/** TLSSocket's estimate of a record's overhead, subtracted from what it reports writable. */
const OVERHEAD_ESTIMATE = 96;
/** The largest record the SDK's session writes (session_419.js maxFragmentSize). */
const MAX_FRAGMENT = 16384;

function toPem(der: Bytes, label: string, what: string): string {
  if (typeof der === "string") {
    throw new TypeError(
      `${what}: DER bytes (an ArrayBuffer or view) expected, not a string: the SDK decodes it with ` +
        `X509.decode(new Uint8Array(cert)), so PEM text fails on a device`,
    );
  }
  const bytes = Buffer.from(bufferBytes(der, what));
  const base64 = bytes.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN ${label}-----\n${base64}${base64.endsWith("\n") ? "" : "\n"}-----END ${label}-----\n`;
}

/** TLS alert descriptions (RFC 5246 §7.2, RFC 6066, RFC 7301, RFC 8446) a server sends when it refuses us. */
const ALERT = {
  handshakeFailure: 40,
  badCertificate: 42,
  unsupportedCertificate: 43,
  certificateRevoked: 44,
  certificateExpired: 45,
  certificateUnknown: 46,
  unknownCA: 48,
  accessDenied: 49,
  unrecognizedName: 112,
  certificateRequired: 116,
  noApplicationProtocol: 120,
} as const;

/**
 * The cause of a handshake that ended with an alert from the server (Node: "... SSL alert number N"), or
 * undefined for causeOf to decide.
 * @param sentCertificate - we had a client certificate to send
 * @param sawServerCertificate - the server's certificate had arrived (and passed, or we would have failed it)
 */
export function alertCause(error: Error, sentCertificate: boolean, sawServerCertificate: boolean): number | undefined {
  const match = /SSL alert number (\d+)/.exec(error.message);
  if (match === null) return undefined;
  switch (Number(match[1])) {
    case ALERT.certificateRequired:
      return TransportCause.TLSClientCertificateRequired;
    case ALERT.handshakeFailure:
      // TLS 1.2 has no certificate_required: OpenSSL (mosquitto) sends handshake_failure for a missing client
      // certificate. After the server's certificate, with none of ours, that is the likely reason.
      return !sentCertificate && sawServerCertificate ? TransportCause.TLSClientCertificateRequired : undefined;
    case ALERT.badCertificate:
    case ALERT.unsupportedCertificate:
    case ALERT.certificateRevoked:
    case ALERT.certificateExpired:
    case ALERT.certificateUnknown:
    case ALERT.unknownCA:
    case ALERT.accessDenied:
      return sentCertificate ? TransportCause.TLSClientCertificateRefused : TransportCause.TLSClientCertificateRequired;
    case ALERT.unrecognizedName:
      return TransportCause.TLSUnrecognizedName;
    case ALERT.noApplicationProtocol:
      return TransportCause.TLSNoApplicationProtocol;
    default:
      return undefined;
  }
}

/** The ALPN option as the SDK's ClientHello encodes it (one protocol or an array, each 1-255 bytes), in wire format for Node. */
function alpnProtocols(value: unknown): Buffer {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item: unknown, i) => {
    let bytes: Buffer;
    if (typeof item === "string") bytes = Buffer.from(item, "utf8");
    else if (item instanceof ArrayBuffer) bytes = Buffer.from(item);
    else throw new TypeError(`secure.applicationLayerProtocolNegotiation[${i}]: a String or an ArrayBuffer (the SDK's ClientHello takes nothing else)`);
    if (bytes.length < 1 || bytes.length > 255) {
      throw new Error(`invalid protocol (secure.applicationLayerProtocolNegotiation[${i}]: ${bytes.length} bytes, not 1-255; on a device its TLS socket throws this from the handshake)`);
    }
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  }).reduce((all, one) => Buffer.concat([all, one]), Buffer.alloc(0));
}

/** The bytes a record of n bytes of data takes on the wire with the negotiated cipher. */
function recordOverhead(cipher: string, n: number): number {
  if (cipher.includes("GCM")) return 5 + 8 + 16; // header, explicit nonce, tag
  const mac = cipher.endsWith("SHA256") ? 32 : cipher.endsWith("SHA384") ? 48 : 20;
  const padded = Math.ceil((n + mac + 1) / 16) * 16; // data, MAC, padding length byte, padding
  return 5 + 16 + padded - n; // header, explicit IV
}

export default class TLSSocket {
  #core: SocketCore | null;
  #callbacks: TLSCallbacks;
  #format = true; // true: "buffer"; false: "number" (as the SDK keeps it)
  #record: Uint8Array | undefined;
  #position = 0;
  #cipher = "";
  #lostRecord = false;

  constructor(options: TLSOptions) {
    if (options === undefined || options === null) throw new TypeError("TLSSocket: options required");
    this.#callbacks = {
      onReadable: callbackOf(options, "onReadable") as TLSCallbacks["onReadable"],
      onWritable: callbackOf(options, "onWritable") as TLSCallbacks["onWritable"],
      onError: callbackOf(options, "onError") as TLSCallbacks["onError"],
    };
    const secure: SecureOptions = { ...(options.secure ?? {}) };
    const serverName = secure.serverName ?? (secure.tls_server_name as string | undefined) ?? options.host;

    const connection: ConnectionOptions = {
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.2", // TLSSocket forces protocolVersion 0x303
      ciphers: CIPHERS,
      ecdhCurve: "P-256", // the only curve the SDK offers (tls_elliptic_curves = [secp256r1])
      rejectUnauthorized: secure.verify !== false,
    };
    if (secure.certificate !== undefined) {
      // Added to the device's store: Node's bundled roots stand in for the SDK's ca.ski / ca*.der resources.
      connection.ca = [...rootCertificates, toPem(secure.certificate, "CERTIFICATE", "secure.certificate")];
    }
    const certificates = secure.clientCertificates;
    if (certificates !== undefined) {
      // ssl_cert.js reads clientCertificates[0] and sends the list as given: a lone certificate breaks it.
      if (!Array.isArray(certificates)) throw new TypeError("secure.clientCertificates: an array of DER certificates (leaf first)");
      connection.cert = certificates.map((der, i) => toPem(der, "CERTIFICATE", `secure.clientCertificates[${i}]`)).join("");
      if (secure.clientKey === undefined) throw new TypeError("secure.clientKey: required with clientCertificates (ssl_cert.js getKey)");
    }
    if (secure.clientKey !== undefined) {
      if (typeof secure.clientKey === "string") throw new TypeError("secure.clientKey: DER bytes (PKCS#8), not a string: PEM text fails on a device");
      const der = Buffer.from(bufferBytes(secure.clientKey, "secure.clientKey"));
      let key;
      try {
        key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
      } catch (error) {
        throw new TypeError(`secure.clientKey: not an unencrypted PKCS#8 DER key (${(error as Error).message}); the SDK's pkcs8.js parses that form only`);
      }
      if (key.asymmetricKeyType !== "rsa") {
        throw new TypeError(`secure.clientKey: a ${String(key.asymmetricKeyType)} key; the SDK's TLS signs with RSA keys only (modules/crypt/etc/pkcs8.js)`);
      }
      connection.key = key.export({ format: "pem", type: "pkcs8" });
    }
    const alpn = secure.applicationLayerProtocolNegotiation;
    if (alpn !== undefined) connection.ALPNProtocols = alpnProtocols(alpn);

    const TCP = (options as { TCP?: { io?: unknown } }).TCP;
    if (typeof TCP?.io !== "function") throw new TypeError("TLSSocket: options.TCP.io (the TCP class) is required");
    if (options.format === "number") {
      throw new TypeError(
        'TLSSocket: format "number" in the options breaks the handshake on a device (the SDK passes it to ' +
          'its TCP socket); construct with "buffer" and set the format property afterwards',
      );
    }
    // What the SDK's TCP constructor checks.
    const address = options.address;
    if (!isIPv4(address)) throw new Error(`invalid address (a dotted IPv4 address, not ${JSON.stringify(address)})`);
    if (options.port === undefined) throw new Error("invalid");
    const port = toInteger(options.port);
    if (port < 0 || port > 65535) throw new RangeError("invalid port");

    const network = currentNetwork();
    if (!network.wifi && network.connectWhileDown === "throw") {
      network.stats.connectFailures++;
      throw new Error("connect error");
    }
    const owner: CoreOwner = {
      pump: () => this.#pump(),
      readable: () => (this.#record ? this.#record.length - this.#position : 0),
      callReadable: (count) => this.#callbacks.onReadable?.(count),
      callWritable: (count) => {
        if (count > OVERHEAD_ESTIMATE) this.#callbacks.onWritable?.(count - OVERHEAD_ESTIMATE);
      },
      callError: (cause) => (cause === undefined ? this.#callbacks.onError?.() : this.#callbacks.onError?.(cause)),
      handshakeCause: (error) => alertCause(error, certificates !== undefined, sawServerCertificate()),
    };
    const core = new SocketCore(network, owner, network.socketBuffer);
    this.#core = core;
    if (!network.wifi) {
      core.failConnect(new Error("connect error: Wi-Fi is down"));
      return;
    }
    const name = serverName ?? address;
    connection.host = address;
    connection.port = port;
    if (serverName !== undefined && !isIPv4(serverName)) connection.servername = serverName;
    connection.checkServerIdentity = (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert);
    let socket: NodeTLSSocket;
    try {
      socket = connect(connection);
    } catch (error) {
      // e.g. "key values mismatch": a key that is not the certificate's. On a device the server refuses the handshake.
      this.#core = null;
      core.close();
      throw new TypeError(`TLSSocket: ${(error as Error).message} (secure.clientKey and secure.clientCertificates[0])`);
    }
    const sawServerCertificate = (): boolean => {
      try {
        const peer = socket.getPeerCertificate();
        return peer !== null && Object.keys(peer).length > 0;
      } catch {
        return false;
      }
    };
    if ("nodelay" in options) socket.setNoDelay(Boolean(options.nodelay));
    socket.once("secureConnect", () => {
      this.#cipher = socket.getCipher()?.name ?? "";
    });
    core.attach(socket, "secureConnect");
  }

  /** Reads from the current record; see the module comment. */
  read(): ArrayBuffer | number | undefined;
  read(byteLength: number): ArrayBuffer | undefined;
  read(count?: unknown): ArrayBuffer | number | undefined {
    const record = this.#record;
    if (!record) return undefined;
    const core = this.#core;
    if (!core) throw new TypeError("TLSSocket: read() after close()");
    if (!this.#format) {
      const value = record[this.#position++]!;
      this.#consumed(core);
      return value;
    }
    const remaining = record.length - this.#position;
    let n = remaining;
    if (count) {
      if (typeof count !== "number") {
        throw new TypeError(
          "TLSSocket: read(buffer) is not implemented by the SDK's TLS socket (it returns an empty " +
            "ArrayBuffer and fills nothing); use read() or read(count)",
        );
      }
      n = Math.trunc(count);
      if (n <= 0 || n > remaining) {
        throw new Error(
          `invalid (read of ${n} bytes, ${remaining} left in the record: on a device the TLS socket stalls for good)`,
        );
      }
    }
    const result = record.slice(this.#position, this.#position + n).buffer;
    this.#position += n;
    this.#consumed(core);
    return result;
  }

  /** Sends data as one record. Returns the writable count as onWritable reports it. */
  write(data: ArrayBufferLike | ArrayBufferView): number {
    const core = this.#core;
    if (!core) throw new TypeError("TLSSocket: write() after close()");
    if (!core.ready) throw new Error("not ready");
    const bytes = bufferBytes(data, "TLSSocket write");
    if (bytes.byteLength > MAX_FRAGMENT) {
      throw new RangeError(`TLS record of ${bytes.byteLength} bytes: more than 16,384 (dropped silently on a device)`);
    }
    if (!core.broken) {
      if (this.#lostRecord) {
        core.hardFail(new Error("TLS record sequence broken by an earlier 'would block': the server closes"), TransportCause.ClosedByBroker);
      } else {
        const cost = bytes.byteLength + recordOverhead(this.#cipher, bytes.byteLength);
        if (cost > core.writable) {
          this.#lostRecord = true; // the SDK encrypted the record (sequence number used) before TCP refused it
          throw new Error(`would block (a ${cost}-byte record, ${core.writable} writable on TCP)`);
        }
        core.send(bytes, cost);
      }
    }
    return Math.max(0, core.writable - OVERHEAD_ESTIMATE);
  }

  close(): void {
    const core = this.#core;
    this.#core = null;
    core?.close();
  }

  get format(): IOFormat {
    return this.#format ? "buffer" : "number";
  }
  set format(value: IOFormat) {
    this.#format = value === "buffer";
  }

  #consumed(core: SocketCore): void {
    if (this.#record && this.#position >= this.#record.length) {
      this.#record = undefined;
      this.#position = 0;
      core.schedule(); // the SDK announces the next record from a Timer.set(..., 0)
    }
  }

  #pump(): boolean {
    const core = this.#core;
    if (!core || this.#record || core.wireBytes === 0) return false;
    const size = core.network.dripping ? 1 : Math.min(MAX_FRAGMENT, core.firstChunkBytes());
    const record = new Uint8Array(size);
    const n = core.takeWire(record, 0, size, true);
    this.#record = n === size ? record : record.subarray(0, n);
    this.#position = 0;
    return n > 0;
  }
}
