// A scripted device for the network adapter's tests, on XS and on Node: sockets whose peer the test plays
// (deliver() is onReadable, drain() is onWritable), a timer that fires only when the test says, and a
// clock the test moves. No Node APIs: the XS suites import it.
import type { NetDevice, Socket, SocketOptions, TimerModule } from "../../../firmware/net/device.js";

export class FakeSocket implements Socket {
  static last: FakeSocket | null = null;
  written: number[] = [];
  incoming: number[] = [];
  writable = 0;
  closed = false;
  constructor(readonly options: SocketOptions) {
    FakeSocket.last = this;
  }
  read(buffer?: ArrayBuffer | ArrayBufferView | number): ArrayBuffer | number | undefined {
    const view = buffer as Uint8Array;
    if (view.length > this.incoming.length) throw new Error("invalid: more than readable");
    for (let i = 0; i < view.length; i++) view[i] = this.incoming.shift()!;
    return view.length;
  }
  write(data: ArrayBuffer | ArrayBufferView): number {
    const bytes = data as Uint8Array;
    if (bytes.length > this.writable) throw new Error("would block");
    for (let i = 0; i < bytes.length; i++) this.written.push(bytes[i]);
    this.writable -= bytes.length;
    return this.writable;
  }
  close(): void {
    this.closed = true;
  }
  /** The peer sends bytes: onReadable. */
  deliver(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.incoming.push(bytes[i]);
    this.options.onReadable!.call(this, this.incoming.length);
  }
  /** The socket can take `count` more bytes: onWritable. */
  drain(count: number): void {
    this.writable = count;
    this.options.onWritable!.call(this, count);
  }
  /** What was written since the last take(), and forgets it. */
  take(): number[] {
    const bytes = this.written;
    this.written = [];
    return bytes;
  }
}

/** Timers that fire only when a test calls fire(). */
export class FakeTimers implements TimerModule {
  readonly live = new Map<object, (timer: unknown) => void>();
  set(callback: (timer: unknown) => void): unknown {
    const timer = {};
    this.live.set(timer, callback);
    return timer;
  }
  schedule(): void {}
  clear(timer: unknown): void {
    this.live.delete(timer as object);
  }
  /** Calls every live timer once. */
  fire(): void {
    for (const [timer, callback] of [...this.live]) callback(timer);
  }
}

/** A device whose clock is `clock.now` and whose timers fire only when the test fires `timers`. */
export function fakeDevice(clock: { now: number }, timers: TimerModule = new FakeTimers()): NetDevice {
  return {
    TCP: FakeSocket,
    Resolver: class {
      resolve(): void {
        throw new Error("no DNS here: give an IPv4 address");
      }
    },
    UDP: {},
    dnsServers: [],
    Timer: timers,
    ticks: () => clock.now,
  };
}
