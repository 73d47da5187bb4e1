/**
 * The TLS front of tls.test.ts and profiles.test.ts (a cloud broker's load balancer, in front of mosquitto):
 * what it reads of a ClientHello (SNI, ALPN), the alerts it answers with, and the front itself.
 */
import { connect as tcpConnect, createServer as createTcpServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";

/** What a ClientHello offers: the server name (SNI) and the ALPN protocols. null: not all of it arrived yet. */
export function clientHello(bytes: Buffer): { serverName: string | undefined; alpn: string[] } | null {
  if (bytes.length < 5) return null;
  const end = 5 + bytes.readUInt16BE(3);
  if (bytes.length < end) return null;
  const hello = { serverName: undefined as string | undefined, alpn: [] as string[] };
  if (bytes[0] !== 0x16 || bytes[5] !== 1) return hello; // not a handshake record with a ClientHello
  let p = 5 + 4 + 2 + 32; // handshake header, version, random
  p += 1 + bytes[p]!; // session id
  p += 2 + bytes.readUInt16BE(p); // cipher suites
  p += 1 + bytes[p]!; // compression methods
  if (p + 2 > end) return hello;
  const extensionsEnd = p + 2 + bytes.readUInt16BE(p);
  p += 2;
  while (p + 4 <= extensionsEnd) {
    const type = bytes.readUInt16BE(p);
    const data = bytes.subarray(p + 4, p + 4 + bytes.readUInt16BE(p + 2));
    p += 4 + data.length;
    if (type === 0) {
      // server_name: a list of (type 0 = host_name, length, name)
      for (let q = 2; q + 3 <= data.length; ) {
        const length = data.readUInt16BE(q + 1);
        if (data[q] === 0) hello.serverName = data.subarray(q + 3, q + 3 + length).toString("latin1");
        q += 3 + length;
      }
    } else if (type === 16) {
      // application_layer_protocol_negotiation: a list of (length, name)
      for (let q = 2; q < data.length; ) {
        hello.alpn.push(data.subarray(q + 1, q + 1 + data[q]!).toString("latin1"));
        q += 1 + data[q]!;
      }
    }
  }
  return hello;
}

/** A fatal TLS 1.2 alert record. */
export const alert = (description: number) => Buffer.from([0x15, 3, 3, 0, 2, 2, description]);
export const UNRECOGNIZED_NAME = 112;
export const NO_APPLICATION_PROTOCOL = 120;

export interface Front {
  port: number;
  /** What each ClientHello offered. */
  hellos: { serverName: string | undefined; alpn: string[] }[];
  close(): Promise<void>;
}

/**
 * A TLS front for a broker, as a cloud broker's load balancer: refuses a ClientHello without `serverName`
 * in SNI (alert unrecognized_name) or without `protocol` among its ALPN protocols (alert
 * no_application_protocol); otherwise node:tls takes the handshake (ALPN: `protocol`) and the connection
 * is piped to the broker's plain port. `tls.requestCert`: a client certificate signed by `tls.ca` is required too.
 */
export async function tlsFront(serverName: string, protocol: string, tls: { key: Buffer; cert: Buffer; ca?: Buffer; requestCert?: boolean }, brokerPort: number): Promise<Front> {
  const sockets = new Set<Socket>();
  const hellos: Front["hellos"] = [];
  const secureServer = createTlsServer(
    { ...tls, rejectUnauthorized: tls.requestCert === true, ALPNCallback: ({ protocols }) => (protocols.includes(protocol) ? protocol : undefined) },
    (secure: TLSSocket) => {
      const upstream = tcpConnect(brokerPort, "127.0.0.1");
      sockets.add(upstream);
      upstream.on("error", () => secure.destroy());
      secure.on("error", () => upstream.destroy());
      secure.pipe(upstream).pipe(secure);
    },
  );
  secureServer.on("tlsClientError", () => {});
  const server: Server = createTcpServer((raw) => {
    sockets.add(raw);
    raw.on("close", () => sockets.delete(raw));
    raw.on("error", () => {});
    let bytes = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      const hello = clientHello(bytes);
      if (hello === null) return;
      raw.removeListener("data", onData);
      raw.pause();
      hellos.push(hello);
      if (hello.serverName !== serverName) raw.end(alert(UNRECOGNIZED_NAME));
      else if (!hello.alpn.includes(protocol)) raw.end(alert(NO_APPLICATION_PROTOCOL));
      else {
        raw.unshift(bytes); // node:tls reads what the socket holds before its own reads
        secureServer.emit("connection", raw);
      }
    };
    raw.on("data", onData);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    hellos,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
