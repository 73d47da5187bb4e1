// The connection machinery shared by the simulated TCP and TLS sockets: one Node socket, the device's
// writable count, the bytes received but not yet surfaced, the network's holds and faults, and the
// asynchronous delivery of onReadable / onWritable / onError in the order the SDK delivers them
// (readable, then writable, then error: tcpDeliver() in modules/io/socket/lwip/tcp.c, reportTrigger()
// in modules/io/socket/lin/tcp.c). Every callback runs from a fresh Node turn (setImmediate), never from
// inside read() or write(), as a device runs them from its message queue.
import type { Socket } from "node:net";
import { TransportCause } from "../../firmware/mqtt/client/errors.js";
import type { NetworkMember, SimNetwork } from "../network.js";
import { causeOf } from "./common.js";

/** What the owning socket class (TCP or TLS) implements. */
export interface CoreOwner {
  /** Moves bytes from the core's wire queue into what read() serves; true if new bytes became readable. */
  pump(): boolean;
  /** Bytes read() can serve now. */
  readable(): number;
  callReadable(count: number): void;
  callWritable(count: number): void;
  /** cause: a TransportCause, or undefined when the network gives none (SimNetwork's `causes: false`, as a device). */
  callError(cause: number | undefined): void;
  /** TLS: the cause of an error before the handshake finished, when the owner knows better than causeOf (a server's alert). */
  handshakeCause?(error: Error): number | undefined;
}

const READABLE = 1;
const WRITABLE = 2;
/** Node-side flow control of the wire queue (bytes received, not yet taken by the device). */
const WIRE_HIGH = 256 * 1024;
const WIRE_LOW = 64 * 1024;

export class SocketCore implements NetworkMember {
  readonly network: SimNetwork;
  /** The socket buffer: the most the writable count ever is. */
  readonly capacity: number;
  /** Bytes write() may still take (the count onWritable reports). */
  writable = 0;
  /** Connected and no error noticed: write() is allowed. */
  ready = false;
  /** close() was called: nothing is delivered any more. */
  closed = false;
  /** The connection has failed or ended, as the device knows it (reads drain what is left). */
  errorNoticed = false;
  /** The connection is gone under the device but the device has not noticed yet: writes vanish. */
  get broken(): boolean {
    return this.#hardError || (this.#socket !== null && !this.#socket.writable);
  }
  /** Received bytes not yet taken by the owner. */
  wireBytes = 0;
  /** Why the connection failed or ended (a TransportCause), once it has: what onError passes. */
  cause = 0;
  /** The Node socket (for remoteAddress, the TLS cipher). */
  get socket(): Socket | null {
    return this.#socket;
  }

  #owner: CoreOwner;
  #socket: Socket | null = null;
  #wire: Buffer[] = [];
  #wireOffset = 0;
  #paused = false;
  #nodeConnected = false;
  /** TCP is connected (for TLS: the handshake is under way or done). */
  #tcpUp = false;
  #tls = false;
  #connectReported = false;
  #remoteClosed = false;
  #hardError = false;
  #errorDelivered = false;
  #heldOut: { bytes: Buffer; cost: number }[] = [];
  #triggered = 0;
  #scheduled = false;

  constructor(network: SimNetwork, owner: CoreOwner, capacity: number) {
    this.network = network;
    this.#owner = owner;
    this.capacity = capacity;
    network.add(this);
  }

  /** Takes over a connecting Node socket; connectEvent is when the device would report onWritable. */
  attach(socket: Socket, connectEvent: "connect" | "secureConnect"): void {
    this.#socket = socket;
    this.#tls = connectEvent === "secureConnect";
    socket.once("connect", () => {
      this.#tcpUp = true;
    });
    socket.on(connectEvent, () => {
      if (this.closed) return;
      this.#nodeConnected = true;
      this.network.stats.connects++;
      this.schedule();
    });
    socket.on("data", (chunk: Buffer) => {
      if (this.closed || this.#hardError) return;
      this.network.stats.bytesIn += chunk.length;
      this.#wire.push(chunk);
      this.wireBytes += chunk.length;
      if (this.wireBytes > WIRE_HIGH && !this.#paused) {
        this.#paused = true;
        socket.pause();
      }
      this.schedule();
    });
    socket.on("end", () => this.#peerClosed(undefined));
    socket.on("error", (error: Error) => this.#peerClosed(error));
    socket.on("close", () => this.#peerClosed(undefined));
  }

  /** The connection failed before it began (Wi-Fi down): onError, even while the network holds. */
  failConnect(error: Error): void {
    this.network.stats.connectFailures++;
    this.cause = TransportCause.NetworkDown;
    this.network.lastError = error;
    this.#remoteClosed = true;
    this.#hardError = true;
    this.schedule();
  }

  /**
   * Copies up to max received bytes into target at offset, limited to the first queued chunk when
   * oneChunk is set (TLS: one decrypted chunk is one record). Returns the count copied.
   */
  takeWire(target: Uint8Array, offset: number, max: number, oneChunk = false): number {
    let copied = 0;
    while (copied < max && this.#wire.length > 0) {
      const chunk = this.#wire[0]!;
      const n = Math.min(max - copied, chunk.length - this.#wireOffset);
      target.set(chunk.subarray(this.#wireOffset, this.#wireOffset + n), offset + copied);
      copied += n;
      this.#wireOffset += n;
      if (this.#wireOffset === chunk.length) {
        this.#wire.shift();
        this.#wireOffset = 0;
        if (oneChunk) break;
      }
    }
    this.wireBytes -= copied;
    if (this.#paused && this.wireBytes < WIRE_LOW) {
      this.#paused = false;
      this.#socket?.resume();
    }
    return copied;
  }

  /** Bytes left in the first queued chunk. */
  firstChunkBytes(): number {
    return this.#wire.length > 0 ? this.#wire[0]!.length - this.#wireOffset : 0;
  }

  /**
   * Sends bytes (copied: the caller may reuse its buffer at once), taking cost from the writable count;
   * the count comes back when Node has handed the bytes to the kernel (onWritable reports it).
   */
  send(bytes: Uint8Array, cost: number): void {
    this.writable -= cost;
    const copy = Buffer.from(bytes);
    if (this.network.holding) this.#heldOut.push({ bytes: copy, cost });
    else this.#transmit(copy, cost);
  }

  /** The connection dies under the device (an injected fault, a TLS record the peer rejects). */
  hardFail(error: Error, cause: number = TransportCause.ConnectionReset): void {
    if (this.closed || this.#hardError) return;
    this.network.lastError = error;
    this.cause = cause;
    this.#hardError = true;
    this.#remoteClosed = true;
    this.#discardWire();
    this.#heldOut = [];
    this.#socket?.destroy();
    this.network.remove(this);
    this.schedule();
  }

  /** NetworkMember: drop(). */
  faultDrop(): void {
    // With Wi-Fi gone the link went with it; otherwise the network reset it.
    const cause = this.network.wifi ? TransportCause.ConnectionReset : TransportCause.NetworkDown;
    this.hardFail(new Error("connection dropped by the simulated network"), cause);
  }

  /** NetworkMember: the network flows again. */
  resume(): void {
    if (this.closed) return;
    if (!this.network.holding && this.#heldOut.length > 0) {
      const held = this.#heldOut;
      this.#heldOut = [];
      for (const { bytes, cost } of held) this.#transmit(bytes, cost);
    }
    this.schedule();
  }

  /** Runs the delivery step on a later turn (coalesced). */
  schedule(): void {
    if (this.#scheduled || this.closed) return;
    this.#scheduled = true;
    setImmediate(() => this.#run());
  }

  /** close(): no callback after this; queued bytes are still sent, then FIN (as lwIP's tcp_close). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ready = false;
    this.network.remove(this);
    this.#discardWire();
    const socket = this.#socket;
    if (socket && !socket.destroyed) {
      socket.end();
      const timer = setTimeout(() => socket.destroy(), 2000);
      timer.unref();
      socket.once("close", () => clearTimeout(timer));
    }
  }

  #transmit(bytes: Buffer, cost: number): void {
    const socket = this.#socket;
    if (!socket || !socket.writable) return; // the connection is gone: the bytes vanish, as on lwIP
    this.network.stats.bytesOut += bytes.length;
    socket.write(bytes, (error) => {
      if (error || this.closed) return;
      this.writable = Math.min(this.capacity, this.writable + cost);
      this.#triggered |= WRITABLE;
      this.schedule();
    });
  }

  #peerClosed(error: Error | undefined): void {
    if (error) this.network.lastError = error;
    if (this.#remoteClosed) return;
    this.#remoteClosed = true;
    const known = error !== undefined && !this.#nodeConnected ? this.#owner.handshakeCause?.(error) : undefined;
    this.cause = known ?? causeOf(error, this.#nodeConnected, this.#tls, this.#tcpUp);
    if (!this.#nodeConnected) this.network.stats.connectFailures++;
    this.network.remove(this);
    this.schedule();
  }

  #discardWire(): void {
    this.#wire = [];
    this.#wireOffset = 0;
    this.wireBytes = 0;
  }

  #run(): void {
    this.#scheduled = false;
    if (this.closed) return;
    const owner = this.#owner;
    const held = this.network.holding && !this.#hardError;
    if (!held) {
      if (this.#nodeConnected && !this.#connectReported) {
        this.#connectReported = true;
        this.ready = true;
        this.writable = this.capacity;
        this.#triggered |= WRITABLE;
      }
      if (owner.pump()) this.#triggered |= READABLE;
    }
    // The device learns of the end of the connection once everything received before it is in its buffers
    // (a FIN arrives after the data; an injected reset at once). From then on write() throws "not ready".
    if (!this.errorNoticed && this.#remoteClosed && (this.#hardError || (!held && this.wireBytes === 0))) {
      this.errorNoticed = true;
      this.ready = false;
    }
    const triggered = this.#triggered;
    this.#triggered = 0;
    try {
      if (triggered & READABLE) {
        const count = owner.readable();
        if (count > 0) owner.callReadable(count);
        if (this.closed) return;
      }
      if (triggered & WRITABLE && this.ready && this.writable > 0) {
        owner.callWritable(this.writable);
        if (this.closed) return;
      }
      // onError only once every received byte has been read ("error delivered after receive buffers
      // empty", lwip/tcp.c; lin/tcp.c triggers it from read() when bytesReadable reaches 0).
      if (this.errorNoticed && !this.#errorDelivered && owner.readable() === 0 && this.wireBytes === 0) {
        this.#errorDelivered = true;
        owner.callError(this.network.causes ? this.cause : undefined);
      }
    } catch (error) {
      this.network.reportException(error);
    }
  }
}
