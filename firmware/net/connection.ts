/**
 * Drives an MqttClient over the device's ECMA-419 TCP or TLS socket, its DNS resolver and one timer.
 * The client decides (connect, what to send, when to give up); this only moves bytes and time.
 *
 * Allocation: the client allocates nothing. What the device API forces here, and nothing more:
 * - one socket object (and its three callbacks) per connection, and one DNS request per connection to a
 *   host name;
 * - nothing per socket read or write over TCP: ECMA-419's read(buffer) fills exactly buffer's bytes and
 *   write(data) sends all of data, so each call needs a buffer of exactly the bytes at hand; the client's
 *   SocketMemory (codec/socket-memory.ts) lends one stage, resized to n bytes, instead of a new view (4
 *   slots on XS) per call. A read or write moves at most the stage's size (ClientOptions.socketStage,
 *   1,536 bytes) per call; with socketStage 0 (the simulator: V8 resizes slowly), a view per call.
 * - over TLS, the SDK's socket copies every record (and has no read(buffer): read(n) returns a new
 *   ArrayBuffer), so TLS allocates per record whatever we do; and per connection, the watched TCP class
 *   it runs over (causes.ts).
 * A cause (why a connection failed or ended) is a number; its words (describeCause) are made only for logs.
 * The timer is one Timer, rescheduled (not re-created) for every deadline.
 */
import { ClientState, type MqttClient } from "../mqtt/index.js";
import { DisconnectReason } from "../mqtt/index.js";
import { TransportCause } from "../mqtt/client/errors.js";
import { socketCause, thrownCause, watchedTCP, type CauseContext } from "./causes.js";
import type { NetDevice, Resolver, Socket, SocketConstructor, TLSOptions } from "./device.js";
import { webSocketOver } from "./ws/socket.js";
import { checkBroker, type BrokerAddress, type DerBytes } from "./broker.js";

export { checkBroker, type BrokerAddress, type DerBytes } from "./broker.js";

/** What the connection tells its owner (the app's status display, logs), beyond the client's own callbacks. */
export interface ConnectionEvents {
  /** A connection attempt starts: resolving `host`, or connecting to `address`. */
  onAttempt?: (host: string, address: string | null) => void;
  /** DNS could not resolve the broker's host. */
  onResolveFailed?: (host: string) => void;
}

/** typeof's answer compared with a const: a string literal in a hot path is made again per call on XS run from source (24 chunk bytes). */
const NUMBER = "number";

/** The timer's period when nothing is due: a wake-up that finds nothing to do. */
const IDLE = 3_600_000;

/**
 * Why an attempt failed or a connection ended reaches the app as a TransportCause (causes.ts): read
 * `cause` in the client's onDisconnected (describeCause(cause, connection) has the words). The client's
 * own reason stays what it knows: ConnectionLost, or ConnectTimeout.
 */
export class MqttConnection implements CauseContext {
  readonly client: MqttClient;
  readonly broker: BrokerAddress;
  private readonly device: NetDevice;
  private readonly events: ConnectionEvents;
  private socket: Socket | null = null;
  private resolver: Resolver | null = null;
  /** Bytes the socket said it can take, minus what was written since. */
  private writable = 0;
  /** Bytes the socket said are readable and not yet read (when the client had no room). */
  private readable = 0;
  /** Bumped per attempt, so callbacks of an old socket or DNS request are ignored. */
  private attempt = 0;
  private timer: unknown = null;
  /** The deadline the timer is set for. */
  private scheduledFor = -1;
  private servicing = false;
  private readonly tick: () => void;
  /** The last raw tick value, and the milliseconds added for the wraps seen so far. */
  private lastTicks = 0;
  private epoch = 0;
  private lastCause: number = TransportCause.None;
  private resolved: string | null = null;
  /** When the attempt in progress must have opened (connectTimeout after shouldOpen). */
  private openDeadline = 0;
  /** TLS: TCP is up (the TLS socket is handshaking); from the watched TCP class. */
  private tcpUp = false;

  /** TLS: our certificate chain, as the SDK's clientCertificates (made once). */
  /** Over WebSockets: the framing layer's socket class, made at the first connection. */
  private webSocket: SocketConstructor<TLSOptions> | null = null;
  private readonly clientCertificates: DerBytes[] | undefined;

  /**
   * @throws TypeError for a bad broker option (checkBroker), or mqtts without the device's TLS module
   */
  constructor(client: MqttClient, broker: BrokerAddress, device: NetDevice, events: ConnectionEvents = {}) {
    if (broker.tls && !device.TLS) throw new TypeError("mqtts needs the device's TLS socket module");
    checkBroker(broker, "broker");
    const cert = broker.cert;
    this.clientCertificates = cert === undefined ? undefined : Array.isArray(cert) ? cert.slice() : [cert];
    this.client = client;
    this.broker = broker;
    this.device = device;
    this.events = events;
    this.tick = () => this.service();
  }

  /**
   * Why the last connection failed or ended, as the transport knows it (a TransportCause); None when the
   * client ended it for its own reason (see the reason onDisconnected gives). Valid from onDisconnected on.
   */
  get cause(): number {
    return this.lastCause;
  }

  /** The IPv4 address of the last attempt (resolved from the host), or null while resolving. */
  get address(): string | null {
    return this.resolved;
  }

  /** How long an attempt has to open the transport (DNS, TCP, TLS handshake): the client's connectTimeout. */
  get connectTimeout(): number {
    return this.client.options.connectTimeout;
  }

  /**
   * The client's clock: milliseconds that never wrap. Time.ticks is 32-bit and wraps negative after
   * 2^31 ms (24.8 days); a device runs for months, so each wrap is carried into `epoch`.
   */
  now(): number {
    const ticks = this.device.ticks() | 0;
    if (ticks < this.lastTicks && this.lastTicks - ticks > 0x40000000) this.epoch += 0x100000000;
    this.lastTicks = ticks;
    return this.epoch + ticks;
  }

  /** Starts the client and its first connection attempt. */
  start(): void {
    this.lastTicks = this.device.ticks() | 0;
    this.epoch = 0x80000000; // so the first value is positive even when ticks already read negative
    this.client.start(this.now());
    this.service();
  }

  /**
   * Ends the session: DISCONNECT if connected and the socket takes it now, then close; no reconnect. The
   * client is stopped when this returns, whatever the socket's state (start() connects again).
   */
  stop(): void {
    const client = this.client;
    client.end(this.now());
    this.service();
    this.clearTimer();
    this.closeSocket();
    // DISCONNECT could not go (the socket was full): the transport is closed all the same.
    this.lastCause = TransportCause.None;
    if (client.state !== ClientState.Stopped) client.closed(this.now(), DisconnectReason.Normal);
  }

  /** Runs the client once: opens, writes, closes, and sets the timer for its next deadline. Call after any app call. */
  service(): void {
    if (this.servicing) return; // a callback during a write: the outer call finishes the work
    this.servicing = true;
    try {
      const client = this.client;
      let now = this.now();
      if (client.wantsClose) this.lose(now);
      if (client.shouldOpen(now)) {
        // The same deadline as the client's connectTimeout, checked first so that the cause is known.
        this.openDeadline = now + client.options.connectTimeout;
        this.open();
      }
      this.exchange();
      // Nothing reports a connect that never completes (a SYN or a ClientHello unanswered): this does.
      if (client.state === ClientState.Opening && now >= this.openDeadline) this.fail(TransportCause.ConnectTimeout, DisconnectReason.ConnectTimeout);
      const deadline = client.poll(now); // may queue PINGREQ, or give up on a silent connection
      this.flush();
      if (client.wantsClose) this.lose(now);
      now = this.now();
      // A client that stopped by itself (reconnectPeriod 0, or it gave up) needs no timer: one left set
      // would keep a host's event loop alive, and wake a device for nothing. start() sets it again.
      if (client.state === ClientState.Stopped && this.socket === null) this.clearTimer();
      else this.schedule(client.state === ClientState.Waiting ? client.poll(now) : deadline, now);
    } finally {
      this.servicing = false;
    }
  }

  private clearTimer(): void {
    if (this.timer !== null) this.device.Timer.clear(this.timer);
    this.timer = null;
    this.scheduledFor = -1;
  }

  /**
   * Points the one timer at the next deadline. The timer repeats (a one-shot timer is dead once it has
   * fired on Moddable, and rescheduling it then throws), and every call reschedules it.
   */
  private schedule(deadline: number, now: number): void {
    const Timer = this.device.Timer;
    if (deadline === this.scheduledFor && deadline > now) return; // already set for it: most calls
    this.scheduledFor = deadline;
    if (deadline === Infinity) {
      if (this.timer !== null) Timer.schedule(this.timer, IDLE, IDLE);
      return;
    }
    const delay = deadline > now ? Math.ceil(deadline - now) : 0;
    if (this.timer === null) this.timer = Timer.set(this.tick, delay, IDLE);
    else Timer.schedule(this.timer, delay, IDLE);
  }

  private open(): void {
    const attempt = ++this.attempt;
    const host = this.broker.host;
    this.lastCause = TransportCause.None;
    this.resolved = null;
    // A literal here, not a module-level const: a RegExp made when the module is preloaded has no match data,
    // and Moddable SDK 8.2.3's XS then mallocs it per test() and never frees it (fxAllocateRegExpData lost its
    // `else`); a compacting GC during that test() reads malloc's header as a chunk and crashes.
    if (/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(host)) {
      this.connect(host, attempt);
      return;
    }
    this.events.onAttempt?.(host, null);
    try {
      if (this.resolver === null) this.resolver = new this.device.Resolver({ socket: { io: this.device.UDP }, servers: this.device.dnsServers });
      this.resolve(host, attempt);
    } catch {
      this.events.onResolveFailed?.(host);
      this.fail(TransportCause.HostNotFound);
    }
  }

  private resolve(host: string, attempt: number): void {
    this.resolver!.resolve({
      host,
      onResolved: (_host, address) => {
        if (attempt === this.attempt) this.connect(address, attempt);
      },
      // The SDK's resolver passes the host only; a resolver that knows more passes a TransportCause after it.
      onError: (_host: string, cause?: number) => {
        if (attempt !== this.attempt) return;
        this.events.onResolveFailed?.(host);
        this.fail(cause === TransportCause.NetworkDown ? cause : TransportCause.HostNotFound);
        this.service();
      },
    });
  }

  private connect(address: string, attempt: number): void {
    this.resolved = address;
    this.tcpUp = false;
    this.events.onAttempt?.(this.broker.host, address);
    const self = this;
    const options: TLSOptions = {
      address,
      port: this.broker.port,
      nodelay: true,
      format: "buffer",
      onReadable(count: number) {
        if (attempt === self.attempt) self.onReadable(count);
      },
      onWritable(count: number) {
        if (attempt === self.attempt) self.onWritable(count);
      },
      onError(given?: number) {
        if (attempt !== self.attempt) return;
        const opened = self.client.state !== ClientState.Opening; // the first onWritable came
        self.fail(socketCause(given, opened, self.broker.tls === true && self.tcpUp));
        self.service();
      },
    };
    this.writable = 0;
    this.readable = 0;
    try {
      if (this.broker.tls) {
        // The server name is always sent (SNI), and checked against the broker's certificate: serverName, else host.
        const broker = this.broker;
        const serverName = broker.serverName ?? broker.host;
        options.host = serverName;
        const secure: NonNullable<TLSOptions["secure"]> = { serverName };
        if (broker.ca !== undefined) secure.certificate = broker.ca;
        // Mutual TLS and ALPN, in the SDK's names (device.ts TLSOptions, from its tlssocket.js and ssl modules).
        if (this.clientCertificates !== undefined) secure.clientCertificates = this.clientCertificates;
        if (broker.key !== undefined) secure.clientKey = broker.key;
        if (broker.ALPNProtocols !== undefined) secure.applicationLayerProtocolNegotiation = broker.ALPNProtocols;
        options.secure = secure;
        // The SDK's TLS socket runs over this TCP class, watched (causes.ts): TCP up, and a TLSError caught.
        const up = (): void => {
          if (attempt === self.attempt) self.tcpUp = true;
        };
        const threw = (): void => {
          if (attempt !== self.attempt) return;
          self.fail(TransportCause.TLSFailed);
          self.service();
        };
        options.TCP = { io: watchedTCP(this.device.TCP, { up, threw }) };
        this.socket = new (this.socketClass(true))(options);
      } else this.socket = new (this.socketClass(false))(options);
    } catch (error) {
      this.socket = null;
      this.fail(thrownCause(error));
    }
  }

  private onWritable(count: number): void {
    this.writable = count;
    const client = this.client;
    if (client.state === ClientState.Opening) {
      this.lastCause = TransportCause.None;
      client.opened(this.now()); // the first onWritable: connected
    }
    this.service();
  }

  private onReadable(count: number): void {
    this.read(count);
    this.service();
  }

  /**
   * Reads what the socket holds and writes what the client has, until neither moves: a flush that sends
   * acks lets the client take packets that waited for room for theirs, which frees its receive buffer for
   * bytes the socket still holds, and no socket event may come to say so (the broker has sent them all).
   */
  private exchange(): void {
    for (;;) {
      if (this.readable > 0 && this.socket !== null) this.read(this.readable);
      this.flush();
      if (!(this.readable > 0 && this.socket !== null && this.client.inputSpace() > 0)) return;
    }
  }

  /**
   * The socket class: the device's TCP or TLS, or over WebSockets the framing layer on top of it (made
   * once: its buffers serve every connection).
   */
  private socketClass(tls: boolean): SocketConstructor<TLSOptions> {
    const inner = tls ? this.device.TLS! : this.device.TCP;
    const path = this.broker.websocket;
    if (path === undefined) return inner;
    if (this.webSocket === null) {
      const broker = this.broker;
      this.webSocket = webSocketOver(inner, { host: broker.host, port: broker.port, path, defaultPort: tls ? 443 : 80, Timer: this.device.Timer, tls });
    }
    return this.webSocket;
  }

  /** Reads up to `count` bytes straight into the client's receive buffer. */
  private read(count: number): void {
    const client = this.client;
    const socket = this.socket;
    this.readable = count;
    while (this.readable > 0 && socket !== null && this.socket === socket) {
      const space = client.inputSpace();
      if (space === 0) return; // the client is waiting for output room: read the rest after the next flush
      let n = space < this.readable ? space : this.readable;
      const buffer = client.inputBuffer();
      if (this.broker.tls && this.broker.websocket === undefined) {
        // The SDK's TLS socket has no read(buffer): read(n) returns a copy of the record's next n bytes.
        buffer.set(new Uint8Array(socket.read(n as never) as ArrayBuffer), client.inputOffset());
      } else {
        // read(buffer) fills exactly buffer's bytes: the client's stage, made exactly n bytes (no new view).
        const memory = client.memory;
        if (n > memory.callLimit) n = memory.callLimit;
        const offset = client.inputOffset();
        const stage = memory.empty(buffer, offset, n);
        try {
          socket.read(stage);
        } finally {
          memory.unstage(stage, buffer, offset, n);
        }
      }
      this.readable -= n;
      client.received(n, this.now());
    }
    if (this.socket !== socket) this.readable = 0;
  }

  /** Writes what the client has to send, as far as the socket takes it. */
  private flush(): void {
    const client = this.client;
    for (;;) {
      const socket = this.socket;
      if (socket === null || this.writable <= 0) return;
      const length = client.outputLength();
      if (length === 0) return;
      const memory = client.memory;
      let n = length < this.writable ? length : this.writable;
      if (n > memory.callLimit) n = memory.callLimit;
      // write(buffer) sends all of buffer: the bytes copied to the client's stage, made exactly n bytes (no new view).
      const stage = memory.staged(client.outputBuffer(), client.outputOffset(), n);
      let left: number | void;
      try {
        left = socket.write(stage);
      } catch {
        this.writable = 0; // would block after all: wait for onWritable
        return;
      } finally {
        memory.restore();
      }
      // write() returns what is still writable: over TLS each record costs more than its data.
      this.writable = typeof left === NUMBER ? (left as number) : this.writable - n;
      client.written(n, this.now());
    }
  }

  /** The transport failed or ended for `cause`: close it, and tell the client (whose onDisconnected may read `cause`). */
  private fail(cause: number, reason: number = DisconnectReason.ConnectionLost): void {
    this.lastCause = cause;
    this.closeSocket();
    this.client.closed(this.now(), reason);
  }

  /** The client gave up on the connection (protocol error, timeout, end): close it. */
  private lose(now: number): void {
    this.closeSocket();
    this.client.closed(now);
  }

  private closeSocket(): void {
    this.attempt++; // late callbacks of this socket are ignored from here on
    const socket = this.socket;
    this.socket = null;
    this.writable = 0;
    this.readable = 0;
    if (socket !== null) {
      try {
        socket.close();
      } catch {
        // already closed by the peer
      }
    }
  }
}
