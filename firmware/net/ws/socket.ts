/**
 * MQTT over WebSockets (RFC 6455) as an ECMA-419 socket: webSocketOver(TCP, options) returns a socket
 * constructor that MqttConnection (or anything written for `embedded:io/socket/tcp`) uses unchanged. Each
 * socket opens the inner TCP (or TLS) socket, sends the Upgrade request, checks the 101 response
 * (handshake.ts), then carries the bytes written to it as masked binary frames and reports the payload of
 * the server's data frames as readable bytes (frame.ts): pings answered, the close handshake done,
 * protocol errors failing the connection with a cause (causes.ts) through onError.
 *
 * Allocation: buffers and views are made once per constructor returned by webSocketOver; a connection
 * makes its socket object and its three inner callbacks. A message in or out then allocates nothing over
 * TCP: inner reads and writes go through fixed views (views.ts), frames are built and decoded in place.
 * Over TLS (wss) the SDK's socket has no read(buffer) and copies every record anyway: reads are read(n)
 * and a write is one record through a new view.
 */
import type { BufferSource, Socket, SocketConstructor, TLSOptions } from "../device.js";
import { closeCodeFor, WebSocketCause } from "./causes.js";
import { encodeHeader, FrameEvent, maskInto, Opcode } from "./frame.js";
import { Handshake } from "./handshake.js";
import { bytesOf, isNumber, Shared, type WebSocketOptions } from "./shared.js";

export type { WebSocketOptions } from "./shared.js";

/** TransportCause codes this passes on (errors.ts), local to keep this module's imports within net/. */
const ConnectFailed = 0x200;
const ConnectionClosed = 0x220;
const ClosedByBroker = 0x221;

const CONNECTING = 0;
const HANDSHAKE = 1;
const OPEN = 2;
const CLOSED = 3;

/** One WebSocket connection, shaped as an ECMA-419 TCP socket (device.ts's Socket). */
export class WebSocketSocket implements Socket {
  /** The status code of the server's Close frame (1005: none given), once one came. */
  closeCode = 0;
  private readonly shared: Shared;
  private readonly inner: Socket;
  private readonly options: TLSOptions;
  private phase = CONNECTING;
  private innerReadable = 0;
  private innerWritable = 0;
  private pongLength = -1;
  private closeSent = false;
  /** A cause to report once the reader has every byte that came before it. */
  private pendingError = 0;
  private reportedError = false;
  /** The reader has not been told of bytes that came, or the connection opened. */
  private notifyReadable = false;
  private notifyWritable = false;
  /** close() was called: no callback after it (ECMA-419). */
  private closedByReader = false;

  constructor(shared: Shared, options: TLSOptions) {
    this.shared = shared;
    this.options = options;
    shared.owner = this;
    shared.head = shared.tail = 0;
    shared.decoder.reset();
    shared.request.newKey(shared.random); // a fresh Sec-WebSocket-Key per connection (section 4.1)
    shared.parser.reset(shared.request);
    const inner: TLSOptions = { ...options };
    inner.onReadable = (count: number) => this.innerReadableEvent(count);
    inner.onWritable = (count: number) => this.innerWritableEvent(count);
    inner.onError = (cause?: number) => this.innerError(cause);
    this.inner = new shared.Inner(inner);
  }

  /** Reads payload bytes: read(view) fills exactly the view (throws if fewer are readable), as TCP's does. */
  read(buffer?: BufferSource | number): ArrayBuffer | number | undefined {
    const shared = this.shared;
    const available = shared.available();
    if (buffer === undefined || isNumber(buffer)) {
      // The TLS socket's forms: a new ArrayBuffer (allocates; MqttConnection over TCP never asks this).
      const n = buffer === undefined ? available : buffer;
      if (n > available || n <= 0) throw new Error("invalid");
      const copy = new Uint8Array(n);
      this.take(copy, n);
      return copy.buffer;
    }
    const view = bytesOf(buffer);
    const n = view.length;
    if (n > available) throw new Error("invalid");
    this.take(view, n);
    return n;
  }

  private take(into: Uint8Array, n: number): void {
    const shared = this.shared;
    shared.take(into, n);
    // Bytes left in the inner socket for want of room, or an end waiting for this read: a timer turn goes on.
    if ((this.innerReadable > 0 && this.phase !== CLOSED) || (this.pendingError !== 0 && shared.available() === 0)) shared.later();
  }

  /** Sends data as one masked binary frame (sections 5.2, 5.3, 5.6). Returns the count still writable. */
  write(data: BufferSource): number {
    if (this.phase !== OPEN) throw new Error("not ready");
    const bytes = bytesOf(data);
    const n = bytes.length;
    if (n > this.room()) throw new Error("would block");
    if (n > 0) this.send(Opcode.Binary, bytes, n);
    return this.room();
  }

  /** Closes: a Close frame (1000, section 7.1.2) if it fits now, then the inner socket. No callback after. */
  close(): void {
    if (this.phase === OPEN && !this.closeSent) this.sendClose(1000);
    this.closedByReader = true;
    this.shut();
  }

  /** The payload a frame may carry now: the inner writable count less the header and a pending Pong. */
  private room(): number {
    let a = this.innerWritable - (this.pongLength >= 0 ? 6 + this.pongLength : 0);
    if (a > this.shared.tx.size) a = this.shared.tx.size;
    if (a <= 6) return 0;
    return a - 6 <= 125 ? a - 6 : a - 8;
  }

  /** Writes one masked frame of src[0, n) (section 5.3: a fresh key per frame); the caller checked it fits. */
  private send(opcode: number, src: Uint8Array, n: number): void {
    const shared = this.shared;
    const out = shared.tx.bytes;
    const key = (shared.random() * 0x100000000) >>> 0;
    const h = encodeHeader(out, 0, opcode, n, key);
    maskInto(src, 0, n, out, h, key);
    this.wrote(shared.emit(this.inner, h + n), h + n);
  }

  private wrote(left: number, length: number): void {
    this.innerWritable = left >= 0 ? left : this.innerWritable - length;
  }

  private sendClose(code: number): void {
    const out = this.shared.pong; // Close is the last frame: the Pong buffer is free to hold its body
    const n = code === 1005 ? 0 : 2; // 1005 means "no code": echo an empty body (section 7.4.1)
    if (this.innerWritable < 6 + n) return;
    out[0] = code >> 8;
    out[1] = code & 0xff;
    this.closeSent = true;
    this.send(Opcode.Close, out, n);
  }

  private flushPong(): void {
    const n = this.pongLength;
    if (n >= 0 && this.innerWritable >= 6 + n) {
      this.pongLength = -1;
      this.send(Opcode.Pong, this.shared.pong, n);
    }
  }

  private innerWritableEvent(count: number): void {
    if (this.phase === CLOSED) return;
    this.innerWritable = count;
    if (this.phase === CONNECTING) {
      const shared = this.shared;
      const request = shared.request;
      if (count < request.length) return; // wait for room for the whole request
      shared.tx.bytes.set(request.bytes);
      this.phase = HANDSHAKE;
      this.wrote(shared.emit(this.inner, request.length), request.length);
      return;
    }
    if (this.phase !== OPEN) return;
    this.flushPong();
    this.notifyWritable = true;
    this.deliver();
  }

  private innerReadableEvent(count: number): void {
    if (this.phase === CLOSED) return;
    this.innerReadable = count;
    this.pull();
    this.deliver();
  }

  private innerError(cause?: number): void {
    if (this.phase === CLOSED) return;
    const given = isNumber(cause) && cause >= 0x200 && cause <= 0x2ff ? cause : 0;
    const inferred = this.phase === CONNECTING ? ConnectFailed : this.phase === HANDSHAKE ? WebSocketCause.HandshakeIncomplete : ConnectionClosed;
    // The server ending the stream during the handshake is a failed handshake; a reset or a refusal is itself.
    const ended = given === ConnectionClosed || given === ClosedByBroker;
    this.fail(given !== 0 && !(this.phase === HANDSHAKE && ended) ? given : inferred, false);
    this.deliver();
  }

  /** A timer turn: reads what waited for room, and tells the reader what it has not been told. */
  resume(): void {
    if (this.phase !== CLOSED && this.innerReadable > 0) this.pull();
    this.deliver();
  }

  /** Calls the reader back for what happened, in the SDK's order: writable, readable, error. */
  private deliver(): void {
    const options = this.options;
    const shared = this.shared;
    if (this.closedByReader) return;
    if (this.notifyWritable && this.phase === OPEN) {
      this.notifyWritable = false;
      const room = this.room();
      if (room > 0) options.onWritable?.call(this, room);
      if (this.closedByReader) return;
    }
    if (this.notifyReadable && shared.available() > 0) {
      this.notifyReadable = false;
      options.onReadable?.call(this, shared.available());
      if (this.closedByReader) return;
    }
    if (this.pendingError !== 0 && shared.available() === 0 && !this.reportedError) {
      this.reportedError = true;
      this.shut();
      options.onError?.call(this, this.pendingError);
    }
  }

  /** Moves bytes from the inner socket through the handshake parser or the frame decoder, while there is room. */
  private pull(): void {
    const shared = this.shared;
    const bank = shared.rxBank;
    const inner = this.inner;
    while (this.innerReadable > 0 && this.phase !== CLOSED && this.pendingError === 0) {
      let k = shared.room(); // payload never outgrows the bytes it came in
      if (k > bank.size) k = bank.size;
      if (k > this.innerReadable) k = this.innerReadable;
      if (k <= 0) return; // full: take() asks for a timer turn once the reader frees room
      this.innerReadable -= k;
      if (shared.tls) {
        shared.rx.set(new Uint8Array(inner.read(k as never) as ArrayBuffer), 0);
        this.consume(k);
        continue;
      }
      const head = bank.head(k);
      if (head !== null) {
        inner.read(head);
        this.consume(head.length);
      }
      const tail = bank.tail(k);
      if (tail !== null && this.phase !== CLOSED && this.pendingError === 0) {
        inner.read(tail);
        this.consume(tail.length);
      }
    }
  }

  /** Decodes rx[0, to): the 101 response (section 4.1), then frames (section 5). */
  private consume(to: number): void {
    const shared = this.shared;
    const rx = shared.rx;
    let i = 0;
    if (this.phase === HANDSHAKE) {
      const result = shared.parser.feed(rx, i, to);
      if (result === Handshake.NeedMore) return;
      if (result !== Handshake.Done) return this.fail(result, false);
      this.phase = OPEN;
      this.notifyWritable = true; // the reader's first onWritable: connected
      i = shared.parser.pos;
    }
    const decoder = shared.decoder;
    for (;;) {
      const event = decoder.step(rx, i, to);
      i = decoder.pos;
      switch (event) {
        case FrameEvent.NeedMore:
          return;
        case FrameEvent.Data:
          shared.append(decoder.dataFrom, decoder.dataTo);
          this.notifyReadable = true;
          break;
        case FrameEvent.Ping: {
          // Section 5.5.2: a Pong with the same payload; only the latest Ping need be answered (5.5.3).
          const n = decoder.controlLength;
          for (let j = 0; j < n; j++) shared.pong[j] = decoder.control[j];
          this.pongLength = n;
          this.flushPong();
          break;
        }
        case FrameEvent.Pong:
        case FrameEvent.MessageEnd:
          break;
        case FrameEvent.Close:
          // Section 5.5.1: answer with a Close (echoing the code), then close the TCP connection.
          this.closeCode = decoder.closeCode;
          return this.fail(WebSocketCause.Closed, true);
        default:
          return this.fail(event, true); // a WebSocketCause: fail the connection (section 7.1.7)
      }
    }
  }

  /**
   * Fails the connection for `cause`: a Close frame when open (1002 protocol error, 1003 not binary, 1009
   * too big, or the server's code echoed: section 7.4.1), the inner socket closed, and onError once the
   * reader has the bytes that came before.
   */
  private fail(cause: number, frame: boolean): void {
    if (this.pendingError !== 0) return;
    this.pendingError = cause;
    if (frame && this.phase === OPEN && !this.closeSent) this.sendClose(cause === WebSocketCause.Closed ? this.closeCode : closeCodeFor(cause));
    this.innerReadable = 0;
    this.phase = CLOSED;
    try {
      this.inner.close();
    } catch {
      // already closed
    }
  }

  /** Closes the inner socket and lets the shared buffers go to the next connection. */
  private shut(): void {
    this.phase = CLOSED;
    this.innerReadable = 0;
    try {
      this.inner.close();
    } catch {
      // already closed by the peer
    }
    this.shared.release(this);
  }
}

/**
 * A socket constructor for MQTT over WebSockets on `Inner` (`embedded:io/socket/tcp`, or the TLS socket
 * for wss with options.tls): give it where MqttConnection takes the device's TCP (or TLS) class.
 */
export function webSocketOver(Inner: SocketConstructor<TLSOptions>, options: WebSocketOptions): SocketConstructor<TLSOptions> {
  const shared = new Shared(Inner, options);
  return function (socketOptions: TLSOptions) {
    return new WebSocketSocket(shared, socketOptions);
  } as unknown as SocketConstructor<TLSOptions>;
}
