// `embedded:io/socket/tcp` on Node: the ECMA-419 TCP socket as the Moddable SDK implements it
// (modules/io/socket/lwip/tcp.c on ESP32 / Pico W; modules/io/socket/lin/tcp.c on the lin simulator),
// over node:net, with the device's limits and quirks:
//
// - `address` is a dotted IPv4 string; anything else throws Error("invalid address") (no host names).
//   `port` undefined throws Error("invalid"), outside 0-65535 RangeError("invalid port").
// - Receive: the device holds at most `socketBuffer` bytes (1,536 as on lin); onReadable(count) reports all
//   that is readable, and fires again only when more bytes arrive (not because some are still unread).
//   read() returns a new ArrayBuffer of everything; read(n) a new ArrayBuffer of n bytes; read(buffer)
//   fills exactly buffer.byteLength bytes and returns that count; asking for more than is readable (or 0)
//   throws Error("invalid"). With nothing readable, read() in any form returns undefined. Format "number":
//   one byte per read(), undefined when none.
// - Send: the writable count starts at `socketBuffer` when connected (the first onWritable) and comes back
//   as Node drains the bytes (onWritable(count) again). write(data) throws Error("would block") when data
//   is larger than the count, Error("not ready") before the connection is up and after its end is known;
//   otherwise it returns the count left.
// - onError fires on refusal, reset, drop() and on the peer's close, but only after every byte already
//   received has been read. After close() no callback fires; read/write/format then throw. It passes the
//   cause as a TransportCause (refused, unreachable, reset, closed by the peer, Wi-Fi down: causeOf in
//   common.ts), which the SDK's socket does not (it passes nothing): SimNetwork's `causes: false` passes
//   nothing either, as a device.
// - Callbacks run with `this` = the socket, from a later turn, never inside read() or write().
import { connect } from "node:net";
import { currentNetwork } from "../network.js";
import { bufferBytes, callbackOf, checkFormat, closedError, initialFormat, isIPv4, toInteger } from "./common.js";
import type { IOFormat } from "./common.js";
import { SocketCore } from "./socket-core.js";
import type { CoreOwner } from "./socket-core.js";

export interface TCPOptions {
  /** The remote IPv4 address, dotted ("192.168.1.10"). */
  address: string;
  port: number;
  nodelay?: boolean;
  format?: IOFormat;
  onReadable?: (this: TCP, count: number) => void;
  onWritable?: (this: TCP, count: number) => void;
  onError?: (this: TCP, cause?: number) => void;
  /** Stored as the instance's `target` property. */
  target?: unknown;
}

type Callback = (...args: never[]) => unknown;

export default class TCP {
  declare target: unknown;

  #core: SocketCore | null;
  #format: IOFormat;
  #rx: Uint8Array;
  #rxStart = 0;
  #rxCount = 0;
  #onReadable: Callback | undefined;
  #onWritable: Callback | undefined;
  #onError: Callback | undefined;

  constructor(options: TCPOptions) {
    if (arguments.length === 0 || options === undefined || options === null) {
      // new TCP() with no options makes an empty socket for a Listener to fill: not simulated.
      throw new TypeError("TCP: options required (sockets from a Listener are not simulated)");
    }
    const format = initialFormat(options, "buffer");
    this.#onReadable = callbackOf(options, "onReadable");
    this.#onWritable = callbackOf(options, "onWritable");
    this.#onError = callbackOf(options, "onError");
    if ("from" in options) throw new TypeError("TCP: the from option (a Listener's socket) is not simulated");
    const nodelay = "nodelay" in options ? Boolean(options.nodelay) : undefined;
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
    this.#format = format;
    this.#rx = new Uint8Array(network.socketBuffer);
    if ("target" in options) this.target = options.target;

    const owner: CoreOwner = {
      pump: () => this.#pump(),
      readable: () => this.#rxCount,
      callReadable: (count) => this.#onReadable?.call(this, count as never),
      callWritable: (count) => this.#onWritable?.call(this, count as never),
      callError: (cause) => (cause === undefined ? this.#onError?.call(this) : this.#onError?.call(this, cause as never)),
    };
    const core = new SocketCore(network, owner, network.socketBuffer);
    this.#core = core;
    if (!network.wifi) {
      core.failConnect(new Error("connect error: Wi-Fi is down"));
      return;
    }
    const socket = connect({ host: address, port, ...(nodelay === undefined ? {} : { noDelay: nodelay }) });
    core.attach(socket, "connect");
  }

  /** Reads received bytes; see the module comment for the forms and what each returns or throws. */
  read(): ArrayBuffer | number | undefined;
  read(byteLength: number): ArrayBuffer | undefined;
  read(buffer: ArrayBufferLike | ArrayBufferView): number | undefined;
  read(arg?: unknown): ArrayBuffer | number | undefined {
    const core = this.#live();
    if (this.#rxCount === 0) return undefined;
    const rx = this.#rx;
    if (this.#format === "number") {
      const value = rx[this.#rxStart]!;
      this.#consume(1, core);
      return value;
    }
    let requested: number;
    let into: Uint8Array | undefined;
    if (arguments.length === 0) requested = this.#rxCount;
    else if ((typeof arg === "object" && arg !== null) || typeof arg === "function") {
      into = bufferBytes(arg, "read");
      requested = into.byteLength;
    } else requested = toInteger(arg);
    if (requested <= 0 || requested > this.#rxCount) {
      throw new Error(`invalid (read of ${requested} bytes, ${this.#rxCount} readable)`);
    }
    const bytes = rx.subarray(this.#rxStart, this.#rxStart + requested);
    let result: ArrayBuffer | number;
    if (into) {
      into.set(bytes);
      result = requested;
    } else result = bytes.slice().buffer;
    this.#consume(requested, core);
    return result;
  }

  /** Sends bytes (format "buffer": an ArrayBuffer or view; "number": one byte). Returns the writable count. */
  write(data: ArrayBufferLike | ArrayBufferView | number): number | undefined {
    const core = this.#live();
    if (!core.ready) throw new Error("not ready");
    let bytes: Uint8Array;
    if (this.#format === "buffer") bytes = bufferBytes(data, "write");
    else bytes = Uint8Array.of(toInteger(data) & 0xff);
    if (core.broken) return undefined; // reset under the device, not yet noticed: the bytes vanish
    if (bytes.byteLength > core.writable) {
      throw new Error(`would block (write of ${bytes.byteLength} bytes, ${core.writable} writable)`);
    }
    core.send(bytes, bytes.byteLength);
    return core.writable;
  }

  /** Closes the socket: no callback fires after this. Closing twice is allowed. */
  close(): void {
    const core = this.#core;
    if (!core) return;
    this.#core = null;
    core.close();
  }

  get format(): IOFormat {
    this.#live();
    return this.#format;
  }
  set format(value: IOFormat) {
    this.#live();
    this.#format = checkFormat(value);
  }

  get remoteAddress(): string | undefined {
    return this.#live().socket?.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.#live().socket?.remotePort;
  }

  #live(): SocketCore {
    if (!this.#core) throw closedError("TCP");
    return this.#core;
  }

  #consume(count: number, core: SocketCore): void {
    this.#rxStart += count;
    this.#rxCount -= count;
    if (this.#rxCount === 0) this.#rxStart = 0;
    // The device refills its buffer (and reports onError once it is empty) on a later turn.
    core.schedule();
  }

  #pump(): boolean {
    const core = this.#core;
    if (!core || core.wireBytes === 0) return false;
    let max: number;
    if (core.network.dripping) {
      if (this.#rxCount > 0) return false;
      max = 1;
    } else max = this.#rx.length - this.#rxCount;
    if (max <= 0) return false;
    if (this.#rxStart > 0) {
      this.#rx.copyWithin(0, this.#rxStart, this.#rxStart + this.#rxCount);
      this.#rxStart = 0;
    }
    const n = core.takeWire(this.#rx, this.#rxCount, max);
    this.#rxCount += n;
    return n > 0;
  }
}
