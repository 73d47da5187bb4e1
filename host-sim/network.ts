// The simulated network of one device. Every socket that host-sim/device/tcp.ts, tls.ts and udp.ts create
// belongs to the network that is current when it is constructed, and so does every DNS request: faults
// injected here (drop, stall, drip, Wi-Fi down) reach exactly the sockets of that device.
//
// Which network is current: the one a caller runs device code under with runOnNetwork(network, fn) (an
// AsyncLocalStorage context, so it follows every timer and socket callback started from inside fn: several
// simulated devices can share one Node process), else the one set with setCurrentNetwork(), else a default.
import { AsyncLocalStorage } from "node:async_hooks";

/** What the network asks of a socket it holds (implemented by device/socket-core.ts and device/udp.ts). */
export interface NetworkMember {
  /** The connection was reset under the device (drop()): the socket reports onError. */
  faultDrop(): void;
  /** Traffic may flow again (a stall ended, Wi-Fi came back, drip changed): move held bytes. */
  resume(): void;
}

export interface NetworkOptions {
  /** A name for logs. */
  name?: string;
  /**
   * The socket buffer, each way, in bytes: the most `onWritable` reports and the most one `onReadable`
   * reports on a TCP socket. Default 1,536 (`kBufferSize` in the SDK's modules/io/socket/lin/tcp.c).
   */
  socketBuffer?: number;
  /**
   * What `new TCP()` / `new TLS()` does while Wi-Fi is down. "throw" (default): the constructor throws
   * Error("connect error"), as lwIP's tcp_connect() fails with ERR_RTE when no interface is up and
   * modules/io/socket/lwip/tcp.c turns that into xsUnknownError("connect error"). "onError": the socket
   * is created and reports onError asynchronously.
   */
  connectWhileDown?: "throw" | "onError";
  /**
   * The DNS resolver's retry period in ms (default 1,000, as in the SDK's examples/io/udp/dns/dns.js).
   * A request that gets no answer (Wi-Fi down) fails after (servers.length * 5 - 1) periods.
   */
  dnsRetryMs?: number;
  /**
   * Whether sockets and DNS pass the cause of a failure (a TransportCause) to onError, as a socket that
   * knows why would (default true); false: they pass nothing, as the Moddable SDK's do (the adapter then
   * infers what it can: firmware/net/causes.ts).
   */
  causes?: boolean;
  /**
   * Called with an exception thrown by a device callback (onReadable, onWritable, onError, onResolved...).
   * On a device that is an unhandled exception: XS aborts. Default: rethrown from the Node callback,
   * so it reaches process 'uncaughtException' (vitest reports it).
   */
  onException?: (error: unknown) => void;
}

/** Counters for one network. */
export interface NetworkStats {
  /** Bytes received from the peers (before any hold), all sockets. */
  bytesIn: number;
  /** Bytes handed to the peers, all sockets. */
  bytesOut: number;
  /** Sockets destroyed by drop(). */
  drops: number;
  /** TCP/TLS connections established (TLS: after the handshake). */
  connects: number;
  /** Connections that failed before being established (refused, Wi-Fi down, TLS verification...). */
  connectFailures: number;
  /** DNS requests made, and those that ended in onError. */
  dnsRequests: number;
  dnsFailures: number;
}

export class SimNetwork {
  readonly name: string;
  readonly socketBuffer: number;
  readonly connectWhileDown: "throw" | "onError";
  readonly dnsRetryMs: number;
  readonly causes: boolean;
  onException: ((error: unknown) => void) | undefined;
  readonly stats: NetworkStats = {
    bytesIn: 0,
    bytesOut: 0,
    drops: 0,
    connects: 0,
    connectFailures: 0,
    dnsRequests: 0,
    dnsFailures: 0,
  };
  /** The last connection or DNS error seen, for logs (the device API itself reports no detail). */
  lastError: Error | undefined;

  #members = new Set<NetworkMember>();
  #wifi = true;
  #drip = false;
  #stallUntil = 0;
  #stallTimer: NodeJS.Timeout | undefined;

  constructor(options: NetworkOptions = {}) {
    this.name = options.name ?? "device";
    this.socketBuffer = options.socketBuffer ?? 1536;
    this.connectWhileDown = options.connectWhileDown ?? "throw";
    this.dnsRetryMs = options.dnsRetryMs ?? 1000;
    this.causes = options.causes ?? true;
    this.onException = options.onException;
    if (!(this.socketBuffer >= 1)) throw new RangeError("socketBuffer must be at least 1");
  }

  /** Wi-Fi is associated and has an address. */
  get wifi(): boolean {
    return this.#wifi;
  }
  /** Received bytes are delivered one at a time. */
  get dripping(): boolean {
    return this.#drip;
  }
  /** A stall is in effect. */
  get stalled(): boolean {
    return this.#stallTimer !== undefined;
  }
  /** Traffic is held both ways: stalled, or Wi-Fi down. */
  get holding(): boolean {
    return !this.#wifi || this.stalled;
  }
  /** Sockets currently open on this network. */
  get sockets(): number {
    return this.#members.size;
  }

  /** Resets every open connection: each reports onError (after the bytes it already holds are read). */
  drop(): number {
    const members = [...this.#members];
    for (const member of members) {
      this.stats.drops++;
      member.faultDrop();
    }
    return members.length;
  }

  /** Holds every byte, both ways, for ms; then everything held flows again, in order. Stalls extend. */
  stall(ms: number): void {
    const until = Date.now() + Math.max(0, ms);
    if (until <= this.#stallUntil) return;
    this.#stallUntil = until;
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = undefined;
      this.#stallUntil = 0;
      this.#resumeAll();
    }, ms);
    this.#stallTimer.unref();
  }

  /** Ends a stall now. */
  unstall(): void {
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    this.#stallUntil = 0;
    this.#resumeAll();
  }

  /** On: each received byte comes in its own onReadable(1), the next only after the previous is read. */
  drip(on: boolean): void {
    this.#drip = on;
    this.#resumeAll();
  }

  /**
   * Wi-Fi lost: new connections fail (see connectWhileDown), DNS requests time out, UDP writes throw, and
   * open connections are held (no bytes either way, no error: as lwIP keeps a TCP connection through a
   * short outage) until wifiUp(). drop() kills them if the outage should.
   */
  wifiDown(): void {
    this.#wifi = false;
  }

  /** Wi-Fi back: held connections flow again. */
  wifiUp(): void {
    this.#wifi = true;
    this.#resumeAll();
  }

  /** Reports an exception thrown by a device callback (see NetworkOptions.onException). */
  reportException(error: unknown): void {
    if (this.onException) this.onException(error);
    else throw error;
  }

  /** @internal sockets register while open. */
  add(member: NetworkMember): void {
    this.#members.add(member);
  }
  /** @internal */
  remove(member: NetworkMember): void {
    this.#members.delete(member);
  }

  #resumeAll(): void {
    if (this.holding) return;
    for (const member of [...this.#members]) member.resume();
  }
}

const context = new AsyncLocalStorage<SimNetwork>();
let fallback = new SimNetwork({ name: "default" });

/** Runs fn (and everything it schedules) with network as the current network. */
export function runOnNetwork<T>(network: SimNetwork, fn: () => T): T {
  return context.run(network, fn);
}

/** Sets the network used outside any runOnNetwork(): the simplest set-up for one device per process. */
export function setCurrentNetwork(network: SimNetwork): void {
  fallback = network;
}

/** The network a socket created now belongs to. */
export function currentNetwork(): SimNetwork {
  return context.getStore() ?? fallback;
}
