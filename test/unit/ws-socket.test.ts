// The WebSocket socket (firmware/net/ws/socket.ts) over a scripted inner socket: the Upgrade written when
// it fits, the writable count a frame leaves, a Pong that waits for room, the close handshake, the causes
// of an inner failure at each phase, onError only after the last payload byte is read, and wss's inner
// TLS socket (read(n), one record per write).
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Socket, SocketOptions, TimerModule } from "../../firmware/net/device.js";
import { WebSocketCause } from "../../firmware/net/ws/causes.js";
import { webSocketOver, type WebSocketOptions } from "../../firmware/net/ws/socket.js";

class Inner implements Socket {
  static last: Inner;
  input: number[] = [];
  writes: Buffer[] = [];
  closed = false;
  constructor(readonly options: SocketOptions, readonly tls = false) {
    Inner.last = this;
  }
  read(arg?: unknown): number | ArrayBuffer {
    if (typeof arg === "number") {
      if (!this.tls) throw new Error("TCP test socket: read(buffer) please");
      return Uint8Array.from(this.input.splice(0, arg)).buffer;
    }
    if (this.tls) throw new Error("TLS: no read(buffer)");
    const view = arg as Uint8Array;
    if (view.length > this.input.length) throw new Error("invalid");
    view.set(this.input.splice(0, view.length));
    return view.length;
  }
  writable = 0;
  write(data: unknown): number {
    const bytes = Buffer.from(data as Uint8Array);
    if (bytes.length > this.writable) throw new Error("would block");
    this.writes.push(bytes);
    this.writable -= bytes.length;
    return this.writable;
  }
  close(): void {
    this.closed = true;
  }
  deliver(bytes: number[] | Buffer): void {
    this.input.push(...bytes);
    this.options.onReadable!.call(this, this.input.length);
  }
  drain(count: number): void {
    this.writable = count;
    this.options.onWritable!.call(this, count);
  }
  /** The client frames written since the last call, unmasked. */
  frames(): { opcode: number; payload: number[] }[] {
    const all = Buffer.concat(this.writes);
    this.writes = [];
    const out: { opcode: number; payload: number[] }[] = [];
    let at = all.indexOf("\r\n\r\n") >= 0 && all[0] === 0x47 ? all.indexOf("\r\n\r\n") + 4 : 0;
    while (at < all.length) {
      expect(all[at + 1] & 0x80).toBe(0x80);
      let length = all[at + 1] & 0x7f;
      let h = at + 2;
      if (length === 126) {
        length = all.readUInt16BE(h);
        h += 2;
      }
      const key = all.subarray(h, h + 4);
      out.push({ opcode: all[at] & 0x0f, payload: [...all.subarray(h + 4, h + 4 + length)].map((b, i) => b ^ key[i & 3]) });
      at = h + 4 + length;
    }
    return out;
  }
}

class Timers implements TimerModule {
  cb: (() => void) | null = null;
  due = false;
  set(cb: (t: unknown) => void): unknown {
    this.cb = () => cb(null);
    this.due = true;
    return {};
  }
  schedule(): void {
    this.due = true;
  }
  clear(): void {
    this.cb = null;
  }
  fire(): void {
    if (this.due && this.cb) {
      this.due = false;
      this.cb();
    }
  }
}

function setup(ws: Partial<WebSocketOptions> = {}, tls = false) {
  const timers = new Timers();
  const Class = function (o: SocketOptions) {
    return new Inner(o, tls);
  } as unknown as new (o: SocketOptions) => Socket;
  const WS = webSocketOver(Class, { host: "broker", port: 8083, path: "/mqtt", Timer: timers, tls, ...ws });
  const seen: string[] = [];
  const socket = new WS({
    address: "10.0.0.1",
    port: 8083,
    onReadable: (n) => seen.push("readable " + n),
    onWritable: (n) => seen.push("writable " + n),
    onError: (c) => seen.push("error 0x" + (c ?? 0).toString(16)),
  });
  return { socket, inner: Inner.last, timers, seen };
}

function accept(inner: Inner): Buffer {
  const request = Buffer.concat(inner.writes).toString("latin1");
  inner.writes = [];
  const key = /Sec-WebSocket-Key: (\S+)\r\n/.exec(request)![1];
  const value = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  return Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${value}\r\n\r\n`);
}

function opened(ws: Partial<WebSocketOptions> = {}, tls = false) {
  const s = setup(ws, tls);
  s.inner.drain(4096);
  s.inner.deliver(accept(s.inner));
  return s;
}

describe("the WebSocket socket over a scripted inner socket", () => {
  it("writes the Upgrade once it fits, and opens (first onWritable) on a good 101", () => {
    const { inner, seen } = setup();
    inner.drain(50);
    expect(inner.writes).toEqual([]);
    inner.drain(1000);
    expect(Buffer.concat(inner.writes).toString().startsWith("GET /mqtt HTTP/1.1\r\nHost: broker:8083\r\n")).toBe(true);
    expect(seen).toEqual([]);
    inner.deliver(accept(inner));
    expect(seen).toEqual(["writable " + (inner.writable - 8)]); // what the request left, less a header
  });

  it("a frame's header comes off the writable count: 6 bytes up to 125, 8 beyond", () => {
    const { socket, inner } = opened();
    for (const [writable, room] of [[131, 125], [132, 124], [133, 125], [134, 126], [6, 0], [7, 1]]) {
      inner.drain(writable);
      expect(socket.write(new Uint8Array(0)), "writable " + writable).toBe(room);
    }
    inner.drain(100);
    expect(() => socket.write(new Uint8Array(95))).toThrow("would block");
    expect(socket.write(Uint8Array.of(1, 2, 3))).toBe(100 - 9 - 6);
    expect(inner.frames()).toEqual([{ opcode: 2, payload: [1, 2, 3] }]);
  });

  it("refuses writes before it is open", () => {
    const { socket } = setup();
    expect(() => socket.write(Uint8Array.of(1))).toThrow("not ready");
  });

  it("a Ping when the inner socket is full is answered at its next onWritable, before any data", () => {
    const { socket, inner, seen } = opened();
    inner.drain(3);
    inner.deliver([0x89, 2, 7, 8]);
    expect(inner.frames()).toEqual([]);
    inner.drain(20);
    expect(inner.frames()).toEqual([{ opcode: 10, payload: [7, 8] }]);
    expect(seen[seen.length - 1]).toBe("writable 6"); // 20 - 8 (the Pong) - 6
    void socket;
  });

  it("close() sends Close 1000 and closes the inner socket; nothing is called back after it", () => {
    const { socket, inner, seen } = opened();
    seen.length = 0;
    socket.close();
    expect(inner.frames()).toEqual([{ opcode: 8, payload: [0x03, 0xe8] }]);
    expect(inner.closed).toBe(true);
    expect(seen).toEqual([]);
  });

  it("a Close from the server: answered, the data before it still readable, then onError(Closed)", () => {
    const { socket, inner, seen, timers } = opened();
    seen.length = 0;
    inner.deliver([0x82, 3, 1, 2, 3, 0x88, 0]);
    expect(inner.frames()).toEqual([{ opcode: 8, payload: [] }]);
    expect(inner.closed).toBe(true);
    expect(seen).toEqual(["readable 3"]);
    const into = new Uint8Array(3);
    expect(socket.read(into)).toBe(3);
    expect([...into]).toEqual([1, 2, 3]);
    expect(seen).toEqual(["readable 3"]); // never inside read()
    timers.fire();
    expect(seen).toEqual(["readable 3", "error 0x" + WebSocketCause.Closed.toString(16)]);
    expect((socket as unknown as { closeCode: number }).closeCode).toBe(1005);
  });

  it("an inner failure's cause by phase: connect failed, handshake cut short, or the inner socket's own", () => {
    const a = setup();
    a.inner.options.onError!.call(a.inner);
    expect(a.seen).toEqual(["error 0x200"]);
    const b = setup();
    b.inner.drain(1000);
    b.inner.options.onError!.call(b.inner, 0x221);
    expect(b.seen).toEqual(["error 0x" + WebSocketCause.HandshakeIncomplete.toString(16)]);
    const c = opened();
    c.seen.length = 0;
    c.inner.options.onError!.call(c.inner, 0x222);
    expect(c.seen).toEqual(["error 0x222"]);
    const d = opened();
    d.seen.length = 0;
    d.inner.options.onError!.call(d.inner);
    expect(d.seen).toEqual(["error 0x220"]);
  });

  it("more payload than the receive ring: the rest is read in a timer turn after the reader makes room", () => {
    const { socket, inner, seen, timers } = opened({ receiveSize: 100, stageSize: 64 });
    seen.length = 0;
    const payload = Array.from({ length: 250 }, (_, i) => i & 0xff);
    inner.deliver([0x82, 126, 0, 250, ...payload]);
    expect(seen).toEqual(["readable 100"]);
    const got: number[] = [];
    for (let guard = 0; guard < 10 && got.length < 250; guard++) {
      const n = Number(seen[seen.length - 1].split(" ")[1]);
      const into = new Uint8Array(n);
      socket.read(into);
      got.push(...into);
      timers.fire();
    }
    expect(got).toEqual(payload);
  });

  it("over TLS (wss): read(n) from the inner socket, one record per frame, and read(n) for a TLS-style reader", () => {
    const { socket, inner, seen } = opened({}, true);
    expect(seen).toEqual(["writable 1016"]); // the frame stage (1,024) less a header
    inner.deliver([0x82, 2, 9, 9]);
    expect(new Uint8Array(socket.read(2) as ArrayBuffer)).toEqual(Uint8Array.of(9, 9));
    const before = inner.writes.length;
    socket.write(new Uint8Array(300));
    expect(inner.writes.length - before).toBe(1);
  });
});
