/**
 * The shapes of the device modules the network adapter drives (ECMA-419 as Moddable implements it):
 * `embedded:io/socket/tcp`, `embedded:io/socket/tcp/tls`, `embedded:network/dns/resolver/udp` and
 * `timer`. firmware/main.ts imports the real modules by those names and passes them in, so the adapter
 * itself is testable with any implementation of these shapes (host-sim/ provides them on Node).
 */

export type BufferSource = ArrayBuffer | ArrayBufferView;

/** An open ECMA-419 TCP (or TLS) socket. */
export interface Socket {
  /**
   * format "buffer": read(buffer) fills exactly buffer's bytes and throws if fewer are readable; read()
   * returns everything readable as a new ArrayBuffer; TLS has read(n) (a new ArrayBuffer of n bytes).
   */
  read(buffer?: BufferSource | number): ArrayBuffer | number | undefined;
  /** Throws "would block" if data is larger than the writable count; returns the count still writable. */
  write(data: BufferSource): number | void;
  close(): void;
}

export interface SocketOptions {
  /** An IPv4 address: no host names (resolve them first). */
  address: string;
  port: number;
  nodelay?: boolean;
  format?: "buffer" | "number";
  onReadable?: (this: Socket, count: number) => void;
  onWritable?: (this: Socket, count: number) => void;
  /**
   * The connection failed or ended. Moddable's sockets pass nothing; a socket that knows why may pass a
   * TransportCause code (firmware/net/causes.ts), as host-sim's do.
   */
  onError?: (this: Socket, cause?: number) => void;
}

export interface TLSOptions extends SocketOptions {
  /** The TCP socket class the SDK's TLS socket runs over. */
  TCP?: { io: unknown };
  /** The server's name, for SNI and the certificate check. */
  host?: string;
  /**
   * Spread into the SDK's SSL session (examples/io/tcp/tlssocket/tlssocket.js: `new Session({serverName:
   * options.host, ...options.secure, protocolVersion: 0x303})`; modules/crypt/ssl/session_419.js renames
   * serverName and applicationLayerProtocolNegotiation to the tls_ extension names; ssl_cert.js keeps the
   * certificates; documentation/network/securesocket.md lists them). Moddable SDK at 48ee02d8.
   */
  secure?: {
    /** The CA certificate that must sign the server's, DER. */
    certificate?: ArrayBuffer | ArrayBufferView;
    /** SNI, and the name the server's certificate must carry (overrides host). */
    serverName?: string;
    /**
     * Our certificate and its chain (leaf first), each DER: sent when the server asks (CertificateRequest;
     * ssl_cert.js findPreferredCert returns them as given).
     */
    clientCertificates?: (ArrayBuffer | ArrayBufferView)[];
    /**
     * The private key of clientCertificates[0]: unencrypted PKCS#8 DER, RSA only (ssl_cert.js getKey:
     * PKCS8.parse, modules/crypt/etc/pkcs8.js "RSA only"; ssl_handshake.js certificateVerify signs with
     * PKCS1_5 and SHA-256, and only for the RSA and ECDHE_RSA key exchanges, not DHE_RSA).
     */
    clientKey?: ArrayBuffer | ArrayBufferView;
    /**
     * ALPN (RFC 7301): a String or ArrayBuffer for one protocol, or an Array of them (ssl_handshake.js
     * clientHello; each 1-255 bytes, else Error("invalid protocol")). The server's choice is not checked.
     */
    applicationLayerProtocolNegotiation?: string | ArrayBuffer | (string | ArrayBuffer)[];
    [key: string]: unknown;
  };
}

export type SocketConstructor<O extends SocketOptions = SocketOptions> = new (options: O) => Socket;

export interface ResolveRequest {
  host: string;
  onResolved: (host: string, address: string) => void;
  /** The SDK's resolver passes the host only; one that knows why may pass a TransportCause after it (NetworkDown). */
  onError: (host: string, cause?: number) => void;
}

export interface Resolver {
  resolve(request: ResolveRequest): void;
  close?(): void;
}

/** The SDK's resolver (examples/io/udp/dns) as `embedded:network/dns/resolver/udp`: it sends its queries over a UDP socket class. */
export type ResolverConstructor = new (options: { socket: { io: unknown }; servers: string[] }) => Resolver;

/** The `timer` module. */
export interface TimerModule {
  set(callback: (timer: unknown) => void, interval?: number, repeat?: number): unknown;
  schedule(timer: unknown, interval: number, repeat?: number): void;
  clear(timer: unknown): void;
}

/** Everything the adapter needs from the device. */
export interface NetDevice {
  TCP: SocketConstructor;
  TLS?: SocketConstructor<TLSOptions>;
  Resolver: ResolverConstructor;
  /** `embedded:io/socket/udp`, for the resolver. */
  UDP: unknown;
  /** DNS servers to ask (IPv4 addresses). */
  dnsServers: string[];
  Timer: TimerModule;
  /** Time.ticks: milliseconds as a 32-bit signed integer that wraps (the adapter unwraps it). */
  ticks: () => number;
}
