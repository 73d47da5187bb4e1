/**
 * The client's buffers (receive, transmit, control, staging) and a stage, in one resizable ArrayBuffer, so
 * that a transport hands a socket exactly the bytes at hand without a new view per call.
 *
 * Why: ECMA-419's `read(buffer)` fills exactly buffer's bytes and `write(buffer)` sends all of them, so a
 * transport needs a buffer of exactly n bytes per call, and `new Uint8Array(buffer, offset, n)` is 4 slots
 * on XS each time. Here the stage is one length-tracking view at the end of the ArrayBuffer: resizing the
 * ArrayBuffer to end n bytes past the stage's start makes the stage exactly n bytes, and `copyWithin` moves
 * the bytes between the stage and the other buffers (all views of the same ArrayBuffer). XS resizes within
 * the size an ArrayBuffer was made with in place (fxRenewChunk keeps the chunk's capacity), so nothing is
 * allocated; the ArrayBuffer is grown back at once after each socket call (restore()), because a garbage
 * collection while it is short would compact its chunk to the short size, and the next grow would copy it.
 *
 * With no stage (size 0: V8, where resize() costs microseconds, so the simulator asks for none), where
 * `resize` is missing, or past what one ArrayBuffer may hold, staged() and empty() make a new view per call.
 * The default size (ClientOptions.socketStage, 1,536) is the socket buffer of Moddable's lin simulator and
 * of mqtt-xs's simulator, about one TCP segment: a transport moves bigger spans in several calls.
 */
/** ES2024's resizable ArrayBuffer, which the TypeScript library here does not declare. */
type Resizable = new (length: number, options: { maxByteLength: number }) => ArrayBuffer;

export class SocketMemory {
  /** The ArrayBuffer the regions and the stage are views of. */
  readonly memory: ArrayBuffer;
  /** Bytes the stage holds (0: none). */
  readonly stageSize: number;
  /** The most a transport reads or writes per call: the stage's size, or with none, no limit. */
  readonly callLimit: number;
  /** Whether the stage is real (a resizable ArrayBuffer); false: a new view per call. */
  readonly resizable: boolean;
  /** Where the stage starts, and the ArrayBuffer's full length. */
  private readonly stageAt: number;
  private readonly full: number;
  /** Length-tracking views: the whole ArrayBuffer (for copyWithin), and the stage. */
  private readonly all: Uint8Array;
  private readonly stage: Uint8Array;
  /** Where the next region starts. */
  private next = 0;
  /** The stage is lent out (between staged()/empty() and restore()). */
  private lent = false;

  /**
   * @param regions - the bytes of every region() to come
   * @param stageSize - the stage's bytes (the most one socket call moves)
   */
  constructor(regions: number, stageSize: number) {
    const full = regions + stageSize;
    this.stageSize = stageSize;
    this.stageAt = regions;
    this.full = full;
    this.resizable = stageSize > 0 && typeof (ArrayBuffer.prototype as { resize?: unknown }).resize === "function" && full <= 0x7fffffff;
    this.callLimit = this.resizable ? stageSize : 0x7fffffff;
    this.memory = this.resizable ? new (ArrayBuffer as unknown as Resizable)(full, { maxByteLength: full }) : new ArrayBuffer(full);
    this.all = new Uint8Array(this.memory);
    this.stage = new Uint8Array(this.memory, regions);
  }

  /** The next `bytes` of the memory as a fixed view (call once per buffer, at construction). */
  region(bytes: number): Uint8Array {
    const at = this.next;
    if (at + bytes > this.stageAt) throw new RangeError("SocketMemory: regions exceed the size given");
    this.next = at + bytes;
    return new Uint8Array(this.memory, at, bytes);
  }

  /**
   * A copy of `from[offset, offset + count)` (from: a region) as one Uint8Array of exactly `count` bytes,
   * count <= stageSize, for a socket's write(); call restore() right after the write.
   */
  staged(from: Uint8Array, offset: number, count: number): Uint8Array {
    if (this.lent || !this.resizable || from.buffer !== this.memory) return new Uint8Array(from.buffer, from.byteOffset + offset, count);
    this.lent = true;
    const at = from.byteOffset + offset;
    this.all.copyWithin(this.stageAt, at, at + count);
    (this.memory as unknown as { resize(n: number): void }).resize(this.stageAt + count);
    return this.stage;
  }

  /**
   * One Uint8Array of exactly `count` bytes (count <= stageSize) for a socket's read(buffer), whose bytes are
   * to go to `to[offset...]` (to: a region): the stage; without one, a view of `to` there (nothing to copy).
   * Then call unstage().
   */
  empty(to: Uint8Array, offset: number, count: number): Uint8Array {
    if (this.lent || !this.resizable || to.buffer !== this.memory) return new Uint8Array(to.buffer, to.byteOffset + offset, count);
    this.lent = true;
    (this.memory as unknown as { resize(n: number): void }).resize(this.stageAt + count);
    return this.stage;
  }

  /** The `count` bytes read into `view` (what empty() returned) go to `to[offset...]`; restores. */
  unstage(view: Uint8Array, to: Uint8Array, offset: number, count: number): void {
    if (view !== this.stage) return; // a view of `to` itself: the bytes are there
    this.all.copyWithin(to.byteOffset + offset, this.stageAt, this.stageAt + count);
    this.restore();
  }

  /** The ArrayBuffer back to its full length (a no-op when the stage is not lent). */
  restore(): void {
    if (!this.lent) return;
    this.lent = false;
    (this.memory as unknown as { resize(n: number): void }).resize(this.full);
  }
}
