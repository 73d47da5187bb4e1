/**
 * What one webSocketOver() constructor makes once and its connections (one at a time) reuse: the
 * handshake's request and parser, the frame decoder, the receive ring the reader's payload waits in, and
 * the fixed views inner reads and writes go through (views.ts). Nothing here allocates after construction
 * over TCP; over TLS (wss) the SDK's socket has no read(buffer) and copies each record anyway, so reads
 * are read(n) and each write one record through a new view.
 */
import type { BufferSource, Socket, SocketConstructor, TimerModule, TLSOptions } from "../device.js";
import { FrameDecoder } from "./frame.js";
import { HandshakeParser, HandshakeRequest, type HandshakeTarget } from "./handshake.js";
import { ViewBank } from "./views.js";

export interface WebSocketOptions extends HandshakeTarget {
  /** The `timer` module: a stalled read resumes from a timer turn, never inside the reader's call. */
  Timer: TimerModule;
  /** Uniform numbers in [0, 1) for the key and the mask keys (RFC 6455 section 10.3); default Math.random. */
  random?: () => number;
  /** The largest data frame payload accepted (section 10.4); larger fails with FrameTooLarge. Default 65,536. */
  maxFrame?: number;
  /** Payload bytes held for the reader (default 1,024). */
  receiveSize?: number;
  /** Bytes moved per inner read, and the largest frame written (default 1,024). */
  stageSize?: number;
  /** The inner socket is the SDK's TLS socket (wss): read(n), one record per write. */
  tls?: boolean;
}

/** typeof's answer, held once: XS code compiled from source makes a string per evaluated literal. */
const NUMBER = "number";
export function isNumber(value: unknown): value is number {
  return typeof value === NUMBER;
}

/** data as a Uint8Array: itself when it is one (what MqttConnection passes: no allocation), else a new view. */
export function bytesOf(data: BufferSource): Uint8Array {
  if (data instanceof Uint8Array) return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

export class Shared {
  readonly request: HandshakeRequest;
  readonly parser = new HandshakeParser();
  readonly decoder: FrameDecoder;
  /** Inner reads land at rx[0, stageSize); the reader's payload is rx[stageSize + head, stageSize + tail). */
  readonly rx: Uint8Array;
  readonly rxBank: ViewBank;
  readonly tx: ViewBank;
  /** A Ping's payload until its Pong goes (and a Close's body). */
  readonly pong = new Uint8Array(125);
  readonly random: () => number;
  readonly stageSize: number;
  readonly receiveSize: number;
  readonly tls: boolean;
  head = 0;
  tail = 0;
  /** The connection using these (the last one made). */
  owner: { resume(): void } | null = null;
  timer: unknown = null;
  readonly tick: () => void;

  constructor(readonly Inner: SocketConstructor<TLSOptions>, readonly options: WebSocketOptions) {
    this.request = new HandshakeRequest(options);
    this.decoder = new FrameDecoder(options.maxFrame ?? 65_536);
    this.stageSize = Math.max(64, options.stageSize ?? 1024);
    this.receiveSize = Math.max(1, options.receiveSize ?? 1024);
    const memory = new ArrayBuffer(this.stageSize + this.receiveSize);
    this.rx = new Uint8Array(memory);
    this.rxBank = new ViewBank(new Uint8Array(memory, 0, this.stageSize));
    this.tx = new ViewBank(new Uint8Array(Math.max(this.stageSize, this.request.length)));
    this.random = options.random ?? Math.random;
    this.tls = options.tls === true;
    this.tick = () => this.owner?.resume();
  }

  /** Payload bytes waiting for the reader. */
  available(): number {
    return this.tail - this.head;
  }

  /** Room for payload, after moving what waits to the front (copyWithin allocates nothing). */
  room(): number {
    if (this.head > 0) {
      const base = this.stageSize;
      this.rx.copyWithin(base, base + this.head, base + this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
    return this.receiveSize - this.tail;
  }

  /** Appends rx[from, to) (payload in the read stage) to what waits. */
  append(from: number, to: number): void {
    this.rx.copyWithin(this.stageSize + this.tail, from, to);
    this.tail += to - from;
  }

  /** Moves the next n waiting bytes into `into` (a byte loop: a view of the ring would allocate). */
  take(into: Uint8Array, n: number): void {
    const rx = this.rx;
    const from = this.stageSize + this.head;
    for (let i = 0; i < n; i++) into[i] = rx[from + i];
    this.head += n;
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  /** Writes tx[0, length) to `inner`: one or two calls through fixed views (one record over TLS). Returns write()'s count, or -1. */
  emit(inner: Socket, length: number): number {
    const tx = this.tx;
    let left: number | void = undefined;
    if (this.tls) left = inner.write(new Uint8Array(tx.bytes.buffer, tx.bytes.byteOffset, length));
    else {
      const head = tx.head(length);
      if (head !== null) left = inner.write(head);
      const tail = tx.tail(length);
      if (tail !== null) {
        tx.bytes.copyWithin(0, tx.tailAt(length), length);
        left = inner.write(tail);
      }
    }
    return isNumber(left) ? left : -1;
  }

  /** Asks for a timer turn (a repeating timer, rescheduled: allocates only the first time). */
  later(): void {
    const Timer = this.options.Timer;
    if (this.timer === null) this.timer = Timer.set(this.tick, 0, 3_600_000);
    else Timer.schedule(this.timer, 0, 3_600_000);
  }

  /** Lets the buffers go: the timer cleared (a live timer would keep a host's event loop running). */
  release(owner: object): void {
    if (this.owner !== owner) return;
    this.owner = null;
    if (this.timer !== null) this.options.Timer.clear(this.timer);
    this.timer = null;
  }
}
