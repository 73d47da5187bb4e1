// The simulated device modules (host-sim/device/) against real node:net / node:tls servers on 127.0.0.1:
// each test pins one device semantic, with the exact count, bytes or error the device gives.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import type { TLSSocket as NodeTLSSocket } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import Resolver from "../../host-sim/device/dns.js";
import { deviceModules } from "../../host-sim/device/index.js";
import TCP from "../../host-sim/device/tcp.js";
import Time, { setTicks } from "../../host-sim/device/time.js";
import Timer from "../../host-sim/device/timer.js";
import type { TimerHandle } from "../../host-sim/device/timer.js";
import TLSSocket from "../../host-sim/device/tls.js";
import UDP from "../../host-sim/device/udp.js";
import { SimNetwork, runOnNetwork } from "../../host-sim/network.js";
import { TransportCause } from "../../firmware/mqtt/client/errors.js";
import type { NetworkOptions } from "../../host-sim/network.js";

// ---------------------------------------------------------------------------------------------- helpers

const cleanups: (() => void)[] = [];
const callbackErrors: unknown[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  expect(callbackErrors.splice(0)).toEqual([]);
});

/** A network whose callback exceptions are collected (and checked empty after each test). */
function makeNetwork(options: NetworkOptions = {}): SimNetwork {
  return new SimNetwork({ onException: (error) => callbackErrors.push(error), ...options });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitUntil(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

interface TestServer {
  port: number;
  sockets: Socket[];
  /** Everything received, all connections. */
  received(): Buffer;
}

async function listen(server: Server, onSocket: (socket: Socket) => void, tls = false): Promise<TestServer> {
  const sockets: Socket[] = [];
  const chunks: Buffer[] = [];
  const accept = (socket: Socket) => {
    sockets.push(socket);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {});
    onSocket(socket);
  };
  if (tls) {
    server.on("secureConnection", (socket: NodeTLSSocket) => accept(socket));
    server.on("tlsClientError", () => {});
  } else server.on("connection", accept);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, sockets, received: () => Buffer.concat(chunks) };
}

function tcpServer(onSocket: (socket: Socket) => void = () => {}): Promise<TestServer> {
  return listen(createServer(), onSocket);
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP socket that records what the device reports. */
interface Probe {
  socket: TCP;
  readable: number[];
  writable: number[];
  errors: number;
  /** onError's argument, per call: the TransportCause host-sim passes (undefined with causes: false). */
  causes: unknown[];
  /** Set while one of its callbacks runs: a callback seen while set was re-entrant. */
  reentered: boolean;
}

function probeTCP(
  network: SimNetwork,
  options: { address?: string; port: number; format?: "buffer" | "number" },
  onReadable?: (probe: Probe, count: number) => void,
  onWritable?: (probe: Probe, count: number) => void,
): Probe {
  let inside = false;
  const enter = (probe: Probe, fn: () => void) => {
    if (inside) probe.reentered = true;
    inside = true;
    try {
      fn();
    } finally {
      inside = false;
    }
  };
  const probe: Probe = runOnNetwork(network, () => {
    const p: Probe = { socket: undefined as unknown as TCP, readable: [], writable: [], errors: 0, causes: [], reentered: false };
    p.socket = new TCP({
      address: options.address ?? "127.0.0.1",
      port: options.port,
      ...(options.format ? { format: options.format } : {}),
      onReadable(count) {
        enter(p, () => {
          p.readable.push(count);
          onReadable?.(p, count);
        });
      },
      onWritable(count) {
        enter(p, () => {
          p.writable.push(count);
          onWritable?.(p, count);
        });
      },
      onError(...args: unknown[]) {
        enter(p, () => {
          p.errors++;
          p.causes.push(args[0]);
        });
      },
    });
    return p;
  });
  cleanups.push(() => probe.socket.close());
  return probe;
}

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (buffer: ArrayBuffer | Uint8Array) => Buffer.from(buffer as ArrayBuffer).toString("latin1");

// ---------------------------------------------------------------------------------------------- TCP

describe("TCP (embedded:io/socket/tcp)", () => {
  it("takes only a dotted IPv4 address: host names, IPv6 and short forms throw", async () => {
    const server = await tcpServer();
    const network = makeNetwork();
    for (const address of ["localhost", "::1", "127.1", "127.0.0.01", "", "1.2.3.256"]) {
      expect(() => runOnNetwork(network, () => new TCP({ address, port: server.port })), address).toThrow(
        /^invalid address/,
      );
    }
    expect(() => runOnNetwork(network, () => new TCP({ address: 2130706433 as never, port: server.port }))).toThrow(
      /^invalid address/,
    );
    expect(() => runOnNetwork(network, () => new TCP({ address: "127.0.0.1" } as never))).toThrow("invalid");
    expect(() => runOnNetwork(network, () => new TCP({ address: "127.0.0.1", port: 65536 }))).toThrow(RangeError);
    expect(() => runOnNetwork(network, () => new TCP({ address: "127.0.0.1", port: 1, format: "string;ascii" as never }))).toThrow(
      "unimplemented",
    );
    expect(network.sockets).toBe(0);
    const probe = probeTCP(network, { port: server.port });
    await waitUntil(() => probe.writable.length > 0, "onWritable");
    expect(probe.writable).toEqual([1536]);
  });

  it("reports onWritable(1536) at connect; write throws 'not ready' before it and 'would block' past the count", async () => {
    const server = await tcpServer();
    const network = makeNetwork();
    const probe = probeTCP(network, { port: server.port });
    expect(() => probe.socket.write(bytes(1))).toThrow("not ready");
    await waitUntil(() => probe.writable.length > 0, "onWritable");
    expect(probe.writable).toEqual([1536]);
    expect(() => probe.socket.write(new Uint8Array(1537))).toThrow(/^would block/);
    expect(probe.socket.write(new Uint8Array(1000))).toBe(536);
    expect(() => probe.socket.write(new Uint8Array(537))).toThrow(/^would block/);
    expect(probe.socket.write(new Uint8Array(536).fill(7))).toBe(0);
    expect(() => probe.socket.write(bytes(1))).toThrow(/^would block/);
    expect(probe.reentered).toBe(false);
  });

  it("gives the writable count back as Node drains the bytes (onWritable grows back to 1536)", async () => {
    const server = await tcpServer();
    const network = makeNetwork();
    const probe = probeTCP(network, { port: server.port });
    await waitUntil(() => probe.writable.length === 1, "onWritable at connect");
    const payload = new Uint8Array(1536).map((_, i) => i & 0xff);
    expect(probe.socket.write(payload)).toBe(0);
    payload.fill(0); // the socket copied the bytes: reusing the buffer at once is safe
    await waitUntil(() => probe.writable.length > 1 && probe.writable.at(-1) === 1536, "onWritable(1536) again");
    expect(Math.max(...probe.writable.slice(1))).toBe(1536);
    await waitUntil(() => server.received().length === 1536, "the server to receive 1536 bytes");
    expect([...server.received().subarray(0, 4)]).toEqual([0, 1, 2, 3]);
    expect(probe.socket.write(new Uint8Array(1536))).toBe(0);
    expect(network.stats.bytesOut).toBe(3072);
  });

  it("read(buffer) fills exactly its byteLength and throws when that is more than readable", async () => {
    const server = await tcpServer((socket) => socket.write(bytes(1, 2, 3, 4)));
    const network = makeNetwork();
    const results: unknown[] = [];
    const probe = probeTCP(network, { port: server.port }, (p) => {
      const socket = p.socket;
      results.push(catchError(() => socket.read(new Uint8Array(5))));
      results.push(catchError(() => socket.read(new ArrayBuffer(0))));
      const backing = new Uint8Array(10);
      results.push(socket.read(backing.subarray(3, 6))); // a view: exactly its 3 bytes
      results.push([...backing]);
      results.push(catchError(() => socket.read(new ArrayBuffer(2))));
      const last = new ArrayBuffer(1);
      results.push(socket.read(last), [...new Uint8Array(last)]);
      results.push(socket.read(new Uint8Array(8))); // nothing readable: undefined, not a throw
      results.push(socket.read());
    });
    await waitUntil(() => results.length > 0, "onReadable");
    expect(probe.readable).toEqual([4]);
    expect(results).toEqual([
      "Error: invalid (read of 5 bytes, 4 readable)",
      "Error: invalid (read of 0 bytes, 4 readable)",
      3,
      [0, 0, 0, 1, 2, 3, 0, 0, 0, 0],
      "Error: invalid (read of 2 bytes, 1 readable)",
      1,
      [4],
      undefined,
      undefined,
    ]);
    expect(probe.reentered).toBe(false);
  });

  it("read() returns a new ArrayBuffer of everything readable, read(n) of n bytes", async () => {
    const server = await tcpServer((socket) => socket.write("hello world"));
    const network = makeNetwork();
    const got: unknown[] = [];
    probeTCP(network, { port: server.port }, (p) => {
      const first = p.socket.read(5);
      const rest = p.socket.read();
      got.push(first instanceof ArrayBuffer, text(first as ArrayBuffer), rest instanceof ArrayBuffer, text(rest as ArrayBuffer));
      got.push(p.socket.read());
    });
    await waitUntil(() => got.length > 0, "onReadable");
    expect(got).toEqual([true, "hello", true, " world", undefined]);
  });

  it("holds at most 1,536 received bytes, and calls onReadable again only when more arrive", async () => {
    const big = Buffer.alloc(4000, 0x61);
    let peer: Socket | undefined;
    const server = await tcpServer((socket) => (peer = socket));
    const network = makeNetwork();
    let reading = false;
    const received: number[] = [];
    const probe = probeTCP(network, { port: server.port }, (p) => {
      if (!reading) return; // leave the bytes unread
      const chunk = p.socket.read() as ArrayBuffer;
      received.push(chunk.byteLength);
    });
    await waitUntil(() => peer !== undefined && probe.writable.length > 0, "the connection");
    peer!.write(Buffer.from("0123456789"));
    await waitUntil(() => probe.readable.length === 1, "onReadable");
    await sleep(60);
    expect(probe.readable).toEqual([10]); // not again while the 10 bytes stay unread
    peer!.write(Buffer.from("abcde"));
    await waitUntil(() => probe.readable.length === 2, "onReadable for new bytes");
    expect(probe.readable).toEqual([10, 15]); // the count is everything readable
    expect(text(probe.socket.read() as ArrayBuffer)).toBe("0123456789abcde");
    reading = true;
    peer!.write(big);
    await waitUntil(() => received.reduce((a, b) => a + b, 0) === 4000, "4000 bytes");
    expect(Math.max(...received)).toBeLessThanOrEqual(1536);
    expect(received.length).toBeGreaterThanOrEqual(3);
  });

  it('format "number" reads one byte per read(), undefined when none', async () => {
    const server = await tcpServer((socket) => socket.write(bytes(7, 8, 255)));
    const network = makeNetwork();
    const got: unknown[] = [];
    const probe = probeTCP(network, { port: server.port, format: "number" }, (p) => {
      for (let i = 0; i < 4; i++) got.push(p.socket.read());
    });
    await waitUntil(() => got.length > 0, "onReadable");
    expect(probe.readable).toEqual([3]);
    expect(got).toEqual([7, 8, 255, undefined]);
    expect(probe.socket.format).toBe("number");
    probe.socket.format = "buffer";
    expect(() => (probe.socket.format = "string;utf8" as never)).toThrow("unimplemented");
  });

  it("drip(true): each received byte comes in its own onReadable(1)", async () => {
    let peer: Socket | undefined;
    const server = await tcpServer((socket) => (peer = socket));
    const network = makeNetwork();
    network.drip(true);
    let collected = "";
    const probe = probeTCP(network, { port: server.port }, (p) => {
      collected += text(p.socket.read() as ArrayBuffer);
    });
    await waitUntil(() => peer !== undefined && probe.writable.length > 0, "the connection");
    peer!.write("hello");
    await waitUntil(() => collected.length === 5, "5 bytes");
    expect(collected).toBe("hello");
    expect(probe.readable).toEqual([1, 1, 1, 1, 1]);
    network.drip(false);
    peer!.write("world!");
    await waitUntil(() => collected.length === 11, "6 more bytes");
    expect(probe.readable.slice(5)).toEqual([6]);
  });

  it("the peer's close gives onError only after the bytes received before it are read", async () => {
    const server = await tcpServer((socket) => socket.end("bye"));
    const network = makeNetwork();
    const probe = probeTCP(network, { port: server.port });
    await waitUntil(() => probe.readable.length === 1, "onReadable");
    await sleep(60);
    expect(probe.errors).toBe(0); // 3 bytes unread: no onError yet
    expect(() => probe.socket.write(bytes(1))).toThrow("not ready"); // but the end is known
    expect(text(probe.socket.read() as ArrayBuffer)).toBe("bye");
    await waitUntil(() => probe.errors === 1, "onError");
    await sleep(20);
    expect(probe.errors).toBe(1);
    expect(probe.readable).toEqual([3]);
  });

  it("a refused connection gives onError and never onWritable", async () => {
    const port = await closedPort();
    const network = makeNetwork();
    const probe = probeTCP(network, { port });
    await waitUntil(() => probe.errors === 1, "onError");
    expect(probe.writable).toEqual([]);
    expect(network.stats.connectFailures).toBe(1);
    expect(network.stats.connects).toBe(0);
    expect(probe.causes).toEqual([TransportCause.ConnectionRefused]); // ECONNREFUSED, passed to onError
  });

  it("with causes: false, onError gets no argument, as the SDK's (lwip/tcp.c xsCallFunction0)", async () => {
    const port = await closedPort();
    const probe = probeTCP(makeNetwork({ causes: false }), { port });
    await waitUntil(() => probe.errors === 1, "onError");
    expect(probe.causes).toEqual([undefined]);
  });

  it("drop() resets every connection of the network: onError, then write throws 'not ready'", async () => {
    const server = await tcpServer();
    const network = makeNetwork();
    const other = makeNetwork();
    const a = probeTCP(network, { port: server.port });
    const b = probeTCP(network, { port: server.port });
    const c = probeTCP(other, { port: server.port });
    await waitUntil(() => a.writable.length > 0 && b.writable.length > 0 && c.writable.length > 0, "3 connections");
    expect(network.drop()).toBe(2);
    await waitUntil(() => a.errors === 1 && b.errors === 1, "onError on both");
    expect(a.causes).toEqual([TransportCause.ConnectionReset]);
    await sleep(30);
    expect(c.errors).toBe(0); // another device's network is untouched
    expect(network.stats.drops).toBe(2);
    expect(() => a.socket.write(bytes(1))).toThrow("not ready");
    expect(a.socket.read()).toBeUndefined();
    await waitUntil(() => server.sockets.filter((s) => s.destroyed).length === 2, "the server to see 2 resets");
  });

  it("stall(ms) holds bytes both ways, then lets them through in order", async () => {
    let peer: Socket | undefined;
    const server = await tcpServer((socket) => (peer = socket));
    const network = makeNetwork();
    let collected = "";
    const probe = probeTCP(network, { port: server.port }, (p) => (collected += text(p.socket.read() as ArrayBuffer)));
    await waitUntil(() => peer !== undefined && probe.writable.length === 1, "the connection");
    network.stall(250);
    expect(network.holding).toBe(true);
    expect(probe.socket.write(Buffer.from("up"))).toBe(1534);
    peer!.write("down");
    await sleep(150);
    expect(server.received().length).toBe(0);
    expect(collected).toBe("");
    expect(probe.writable).toEqual([1536]); // nothing drained
    await waitUntil(() => collected === "down" && server.received().toString() === "up", "the held bytes", 2000);
    await waitUntil(() => probe.writable.at(-1) === 1536 && probe.writable.length === 2, "the count back");
  });

  it("after close() no callback fires and the socket throws on use", async () => {
    let peer: Socket | undefined;
    const server = await tcpServer((socket) => (peer = socket));
    const network = makeNetwork();
    const probe = probeTCP(network, { port: server.port }, undefined, (p) => p.socket.close());
    await waitUntil(() => peer !== undefined && probe.writable.length === 1, "the connection");
    peer!.write("ignored");
    network.drop();
    await sleep(80);
    expect(probe.readable).toEqual([]);
    expect(probe.errors).toBe(0);
    expect(() => probe.socket.read()).toThrow(SyntaxError);
    expect(() => probe.socket.write(bytes(1))).toThrow(SyntaxError);
    expect(() => probe.socket.close()).not.toThrow();
    await waitUntil(() => peer!.readableEnded, "the server to see the FIN");
  });

  it("Wi-Fi down: connecting throws 'connect error' (or reports onError) and DNS times out", async () => {
    const server = await tcpServer();
    const network = makeNetwork({ dnsRetryMs: 10 });
    network.wifiDown();
    expect(() => runOnNetwork(network, () => new TCP({ address: "127.0.0.1", port: server.port }))).toThrow(
      "connect error",
    );
    const soft = makeNetwork({ connectWhileDown: "onError" });
    soft.wifiDown();
    const probe = probeTCP(soft, { port: server.port });
    await waitUntil(() => probe.errors === 1, "onError");
    expect(probe.writable).toEqual([]);
    expect(server.sockets.length).toBe(0);

    const outcomes: string[] = [];
    const resolver = runOnNetwork(network, () => new Resolver({ socket: { io: UDP }, servers: ["8.8.8.8", "1.1.1.1"] }));
    const started = Date.now();
    const request = () =>
      resolver.resolve({
        host: "localhost",
        onResolved: (host, address) => outcomes.push(`resolved ${host} ${address}`),
        onError: (host) => outcomes.push(`error ${host} after ${Date.now() - started} ms`),
      });
    request();
    await waitUntil(() => outcomes.length === 1, "onError");
    expect(outcomes[0]).toMatch(/^error localhost after \d+ ms$/);
    expect(Number(/after (\d+)/.exec(outcomes[0]!)![1])).toBeGreaterThanOrEqual(85); // (2 servers * 5 - 1) * 10 ms
    network.wifiUp();
    request();
    await waitUntil(() => outcomes.length === 2, "onResolved");
    expect(outcomes[1]).toBe("resolved localhost 127.0.0.1");
    expect(network.stats.dnsFailures).toBe(1);
    const probe2 = probeTCP(network, { port: server.port });
    await waitUntil(() => probe2.writable.length === 1, "a connection once Wi-Fi is back");
  });

  it("Wi-Fi down holds an open connection without an error; Wi-Fi up lets it flow", async () => {
    let peer: Socket | undefined;
    const server = await tcpServer((socket) => (peer = socket));
    const network = makeNetwork();
    let collected = "";
    const probe = probeTCP(network, { port: server.port }, (p) => (collected += text(p.socket.read() as ArrayBuffer)));
    await waitUntil(() => peer !== undefined && probe.writable.length === 1, "the connection");
    network.wifiDown();
    peer!.write("later");
    await sleep(60);
    expect(collected).toBe("");
    expect(probe.errors).toBe(0);
    network.wifiUp();
    await waitUntil(() => collected === "later", "the held bytes");
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (error) {
    return String(error);
  }
}

// ---------------------------------------------------------------------------------------------- DNS

describe("DNS resolver (embedded:network/dns/resolver/udp)", () => {
  it("calls onResolved(host, address) later, with this = the resolver; IPv4 literals fail as on a device", async () => {
    const network = makeNetwork();
    const resolver = runOnNetwork(network, () => new Resolver({ socket: { io: UDP }, servers: ["1.1.1.1"] }));
    const outcomes: unknown[] = [];
    resolver.resolve({
      host: "localhost",
      onResolved(host, address) {
        outcomes.push([this === resolver, host, address]);
      },
    });
    expect(outcomes).toEqual([]); // never synchronous
    resolver.resolve({ host: "127.0.0.1", onError: (host) => outcomes.push(["error", host]) });
    await waitUntil(() => outcomes.length === 2, "both answers");
    expect(outcomes).toContainEqual([true, "localhost", "127.0.0.1"]);
    expect(outcomes).toContainEqual(["error", "127.0.0.1"]);
    expect(() => resolver.resolve({ host: "" })).toThrow(Error);
    expect(() => new Resolver({ socket: { io: UDP } } as never)).toThrow(TypeError);
  });

  it("close() cancels pending requests and refuses new ones", async () => {
    const network = makeNetwork();
    const resolver = runOnNetwork(network, () => new Resolver({ socket: { io: UDP }, servers: ["1.1.1.1"] }));
    let called = 0;
    resolver.resolve({ host: "localhost", onResolved: () => called++, onError: () => called++ });
    resolver.close();
    await sleep(100);
    expect(called).toBe(0);
    expect(() => resolver.resolve({ host: "localhost", onResolved: () => {} })).toThrow(Error);
  });
});

// ---------------------------------------------------------------------------------------------- TLS

describe("TLS (embedded:io/socket/tcp/tls)", () => {
  let dir = "";
  let caDer: ArrayBuffer;
  let caPem = "";
  let otherCaDer: ArrayBuffer;
  let key = "";
  let cert = "";

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mqtt-xs-tls-"));
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    const makeCa = (name: string) =>
      openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.pem`,
        "-days", "2", "-subj", `/CN=${name}`,
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
      );
    makeCa("test-ca");
    makeCa("other-ca");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost");
    writeFileSync(
      join(dir, "leaf.ext"),
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n" +
        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    );
    openssl(
      "x509", "-req", "-in", "leaf.csr", "-CA", "test-ca.pem", "-CAkey", "test-ca.key", "-CAcreateserial",
      "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext",
    );
    const der = (file: string) => {
      const raw = new X509Certificate(readFileSync(join(dir, file))).raw;
      return raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
    };
    caPem = readFileSync(join(dir, "test-ca.pem"), "utf8");
    caDer = der("test-ca.pem");
    otherCaDer = der("other-ca.pem");
    key = readFileSync(join(dir, "leaf.key"), "utf8");
    cert = readFileSync(join(dir, "leaf.pem"), "utf8");
  });
  afterAll(() => {
    if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  });

  function echoServer(): Promise<TestServer> {
    return listen(
      createTlsServer({ key, cert }),
      (socket) => socket.on("data", (chunk: Buffer) => socket.write(chunk)),
      true,
    );
  }

  interface TlsProbe {
    socket: TLSSocket;
    readable: number[];
    writable: number[];
    errors: number;
    causes: unknown[];
    thisValues: unknown[];
    data: string;
  }

  function probeTLS(network: SimNetwork, port: number, secure: Record<string, unknown>, host?: string): TlsProbe {
    const p: TlsProbe = { socket: undefined as unknown as TLSSocket, readable: [], writable: [], errors: 0, causes: [], thisValues: [], data: "" };
    p.socket = runOnNetwork(
      network,
      () =>
        new TLSSocket({
          address: "127.0.0.1",
          port,
          ...(host ? { host } : {}),
          secure,
          TCP: { io: TCP },
          onReadable(count) {
            p.thisValues.push(this);
            p.readable.push(count);
            p.data += text(p.socket.read() as ArrayBuffer);
          },
          onWritable(count) {
            p.writable.push(count);
          },
          onError(cause?: number) {
            p.errors++;
            p.causes.push(cause);
          },
        }),
    );
    cleanups.push(() => p.socket.close());
    return p;
  }

  it("fails with onError when the server's certificate is not signed by the given CA", async () => {
    const server = await echoServer();
    const network = makeNetwork();
    const probe = probeTLS(network, server.port, { certificate: otherCaDer, serverName: "localhost" });
    await waitUntil(() => probe.errors === 1, "onError");
    expect(probe.writable).toEqual([]);
    expect(network.stats.connectFailures).toBe(1);
    expect(String(network.lastError)).toMatch(/certificate/i);
    expect(probe.causes).toEqual([TransportCause.TLSUnknownCA]);
  });

  it("fails with onError when the certificate does not name the server", async () => {
    const server = await echoServer();
    const network = makeNetwork();
    const probe = probeTLS(network, server.port, { certificate: caDer, serverName: "mqtt.example.com" });
    await waitUntil(() => probe.errors === 1, "onError");
    expect(probe.writable).toEqual([]);
    expect(String(network.lastError)).toMatch(/mqtt\.example\.com/);
    expect(probe.causes).toEqual([TransportCause.TLSNameMismatch]);
  });

  it("connects with the right CA (DER) and serverName: onWritable(1536 - 96), records both ways, this = the callbacks", async () => {
    const server = await echoServer();
    const network = makeNetwork();
    const probe = probeTLS(network, server.port, { certificate: caDer }, "localhost");
    await waitUntil(() => probe.writable.length === 1, "onWritable after the handshake");
    expect(probe.writable).toEqual([1440]);
    expect(() => probe.socket.write(new Uint8Array(16385))).toThrow(RangeError);
    expect(probe.socket.write(Buffer.from("ping"))).toBeLessThan(1440);
    await waitUntil(() => probe.data === "ping", "the echo");
    expect(probe.readable).toEqual([4]);
    expect(probe.thisValues[0]).not.toBe(probe.socket);
    expect(Object.keys(probe.thisValues[0] as object).sort()).toEqual(["onError", "onReadable", "onWritable"]);
    expect(network.stats.connects).toBe(1);
    const tlsSockets = server.sockets as NodeTLSSocket[];
    expect(tlsSockets[0]!.getProtocol()).toBe("TLSv1.2");
    expect(tlsSockets[0]!.servername).toBe("localhost");
  });

  it("takes what the SDK takes: DER bytes (not PEM text), TCP: {io: TCP}; read(buffer) is not implemented", async () => {
    const server = await echoServer();
    const network = makeNetwork();
    const base = { address: "127.0.0.1", port: server.port, TCP: { io: TCP } };
    expect(() => runOnNetwork(network, () => new TLSSocket({ ...base, secure: { certificate: caPem as never } }))).toThrow(
      /DER bytes/,
    );
    expect(() => runOnNetwork(network, () => new TLSSocket({ ...base, TCP: undefined as never }))).toThrow(/TCP\.io/);
    expect(() => runOnNetwork(network, () => new TLSSocket({ ...base, address: "localhost" }))).toThrow(/invalid address/);
    expect(() => runOnNetwork(network, () => new TLSSocket({ ...base, format: "number" }))).toThrow(/format "number"/);

    let readError = "";
    const socket = runOnNetwork(
      network,
      () =>
        new TLSSocket({
          ...base,
          host: "localhost",
          secure: { certificate: caDer },
          onWritable() {
            socket.write(Buffer.from("x"));
          },
          onReadable() {
            readError = String(catchError(() => socket.read(new Uint8Array(1) as never)));
          },
        }),
    );
    cleanups.push(() => socket.close());
    await waitUntil(() => readError !== "", "onReadable");
    expect(readError).toMatch(/^TypeError: TLSSocket: read\(buffer\) is not implemented/);
  });
});

// ---------------------------------------------------------------------------------------------- timers

describe("timer", () => {
  it("Timer.set fires once, later, with this = globalThis and the timer; clearing it afterwards throws", async () => {
    const calls: unknown[] = [];
    const timer: TimerHandle = Timer.set(function (this: unknown, t) {
      calls.push([this === globalThis, t === timer]);
    }, 5);
    expect(calls).toEqual([]);
    await sleep(40);
    expect(calls).toEqual([[true, true]]);
    expect(() => Timer.clear(timer)).toThrow(SyntaxError);
    expect(() => Timer.schedule(timer, 10)).toThrow(SyntaxError);
    expect(() => Timer.clear(undefined)).not.toThrow();
  });

  it("Timer.repeat fires every interval until cleared", async () => {
    let count = 0;
    const timer = Timer.repeat(() => count++, 10);
    await waitUntil(() => count >= 3, "3 firings");
    Timer.clear(timer);
    const at = count;
    await sleep(50);
    expect(count).toBe(at);
    expect(() => Timer.clear(timer)).toThrow(SyntaxError);
  });

  it("Timer.schedule moves a timer; Timer.schedule(t) unschedules it and keeps it alive", async () => {
    const fired: number[] = [];
    const start = performance.now();
    const timer = Timer.set(() => fired.push(performance.now() - start), 10000);
    Timer.schedule(timer, 20);
    await waitUntil(() => fired.length === 1, "the rescheduled firing");
    expect(fired[0]).toBeGreaterThanOrEqual(19);
    expect(fired[0]).toBeLessThan(1000);

    const kept: string[] = [];
    const keeper = Timer.set(() => kept.push("fired"), 10);
    Timer.schedule(keeper);
    await sleep(40);
    expect(kept).toEqual([]);
    Timer.schedule(keeper, 5);
    await waitUntil(() => kept.length === 1, "the firing after rescheduling");
    // Rescheduled without a repeat, it is a one-shot again: dead after that firing.
    expect(() => Timer.clear(keeper)).toThrow(SyntaxError);

    // Unscheduled from inside its callback (repeat -1), a one-shot survives the callback.
    let survivor = 0;
    const phoenix = Timer.set((t) => {
      survivor++;
      Timer.schedule(t);
    }, 5);
    await waitUntil(() => survivor === 1, "the first firing");
    await sleep(20);
    Timer.schedule(phoenix, 5);
    await waitUntil(() => survivor === 2, "the firing after rescheduling the unscheduled timer");
  });

  it("a one-shot rescheduled inside its own callback without a repeat still dies; with one it lives", async () => {
    let plain = 0;
    const dies = Timer.set((t) => {
      plain++;
      Timer.schedule(t, 5);
    }, 5);
    let repeated = 0;
    const lives = Timer.set((t) => {
      repeated++;
      if (repeated === 1) Timer.schedule(t, 5, 5);
    }, 5);
    await sleep(80);
    expect(plain).toBe(1);
    expect(() => Timer.clear(dies)).toThrow(SyntaxError);
    expect(repeated).toBeGreaterThanOrEqual(3);
    Timer.clear(lives);
  });

  it("Time.ticks is a 32-bit millisecond clock that wraps negative", async () => {
    const a = Time.ticks;
    await sleep(20);
    const b = Time.ticks;
    expect(Number.isInteger(a)).toBe(true);
    expect(((b - a) | 0) >= 15).toBe(true);
    setTicks(2 ** 31 - 5);
    await sleep(20);
    const wrapped = Time.ticks;
    expect(wrapped).toBeLessThan(0);
    expect(((wrapped - (2 ** 31 - 5)) | 0) >= 15).toBe(true);
    setTicks(b + 20);
  });
});

describe("device module map", () => {
  it("maps every device module name to an existing file", () => {
    expect(Object.keys(deviceModules).sort()).toEqual([
      "Resource",
      "embedded:io/socket/tcp",
      "embedded:io/socket/tcp/tls",
      "embedded:io/socket/udp",
      "embedded:network/dns/resolver/udp",
      "time",
      "timer",
    ]);
    for (const path of Object.values(deviceModules)) expect(existsSync(path), path).toBe(true);
  });
});
