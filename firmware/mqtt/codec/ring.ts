/**
 * A fixed-capacity byte ring whose unread bytes always lie in one contiguous span, `buffer[head..tail)`.
 *
 * Writers reserve a contiguous span at the tail and commit what they wrote; readers look at the span at
 * the head and consume from it. When the tail reaches the end of the buffer, the unread bytes are moved
 * back to the start with one `copyWithin` (at most one partial packet in practice, since whole packets
 * are consumed as they complete), instead of wrapping around. So every packet in the ring is contiguous:
 * encoders write and decoders read plain offsets, with no wrap check per byte, and a transport can hand
 * the span to a socket as it is. The buffer is allocated once, in the constructor; nothing else allocates.
 */
export class ByteRing {
  /** The storage; valid bytes are `buffer[head..tail)`. */
  readonly buffer: Uint8Array;
  readonly capacity: number;
  /** Index of the first unread byte. */
  head = 0;
  /** Index one past the last written byte. */
  tail = 0;

  /** @param storage - where the bytes live (capacity of them; SocketMemory's region), else a new buffer */
  constructor(capacity: number, storage?: Uint8Array) {
    if (!(capacity >= 1 && capacity <= 0x7fffffff) || Math.floor(capacity) !== capacity) {
      throw new RangeError("ByteRing capacity must be a positive integer");
    }
    this.capacity = capacity;
    this.buffer = storage ?? new Uint8Array(capacity);
  }

  /** Bytes written and not yet consumed. */
  readable(): number {
    return this.tail - this.head;
  }

  /** Bytes that can still be written, counting the space that compaction would free at the start. */
  writable(): number {
    return this.capacity - this.tail + this.head;
  }

  /**
   * Makes `length` contiguous bytes writable at the tail, moving the unread bytes to the start if that is
   * what it takes. Returns the index to write at, or -1 if the ring cannot hold that many more bytes.
   */
  reserve(length: number): number {
    if (this.tail + length <= this.capacity) return this.tail;
    if (this.tail - this.head + length > this.capacity) return -1;
    this.compact();
    return this.tail;
  }

  /** Marks `length` bytes written at the tail (after reserve). */
  commit(length: number): void {
    this.tail += length;
  }

  /** Marks `length` bytes at the head as read. An emptied ring starts again at index 0. */
  consume(length: number): void {
    this.head += length;
    if (this.head >= this.tail) this.head = this.tail = 0;
  }

  /** Copies `length` bytes of `src` from `offset` in at the tail; returns false (and writes nothing) if they do not fit. */
  write(src: Uint8Array, offset: number, length: number): boolean {
    const at = this.reserve(length);
    if (at < 0) return false;
    if (offset === 0 && length === src.length) this.buffer.set(src, at);
    else for (let i = 0; i < length; i++) this.buffer[at + i] = src[offset + i];
    this.tail = at + length;
    return true;
  }

  /** Appends one byte; returns false if the ring is full. */
  push(byte: number): boolean {
    const at = this.reserve(1);
    if (at < 0) return false;
    this.buffer[at] = byte;
    this.tail = at + 1;
    return true;
  }

  /** Drops everything. */
  clear(): void {
    this.head = this.tail = 0;
  }

  /** Moves the unread bytes to the start of the buffer. */
  compact(): void {
    if (this.head === 0) return;
    this.buffer.copyWithin(0, this.head, this.tail);
    this.tail -= this.head;
    this.head = 0;
  }
}
