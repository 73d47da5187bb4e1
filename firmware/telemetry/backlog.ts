/**
 * The telemetry backlog: samples written while the client may not take them yet (offline, or before this
 * connection's birth messages are out), oldest first, in one fixed byte buffer made once. A record is
 * [task][length high][length low][payload]; each is contiguous, so it is published straight from this
 * buffer with publish(topic, bytes, qos, retain, offset, length). When a new record does not fit, the
 * oldest records are dropped until it does (the newest readings are the ones worth keeping; each drop
 * leaves a gap in that sensor's seq). Pushing, reading and shifting allocate nothing on XS.
 */

const HEADER = 3;

export class Backlog {
  readonly bytes: Uint8Array;
  /** Records held, and records dropped (oldest first) to make room since it was made. */
  count = 0;
  dropped = 0;
  /** Start of the oldest record, end of the newest. */
  private head = 0;
  private tail = 0;

  constructor(capacity: number) {
    if (!(capacity >= HEADER + 1)) throw new RangeError("the telemetry backlog needs at least 4 bytes");
    this.bytes = new Uint8Array(capacity);
  }

  /** Bytes held, headers included. */
  get used(): number {
    return this.tail - this.head;
  }

  /**
   * Appends `length` bytes of `source` for task `task` (0-255), dropping the oldest records if needed.
   * Returns the number dropped, or -1 if the record could never fit (it is not kept).
   */
  push(task: number, source: Uint8Array, length: number): number {
    const size = HEADER + length;
    const bytes = this.bytes;
    if (size > bytes.length || length > 0xffff) return -1;
    let dropped = 0;
    if (this.tail + size > bytes.length) {
      while (this.tail - this.head + size > bytes.length) {
        this.shift();
        dropped++;
      }
      // Move what is left down to the start (copyWithin allocates nothing): records stay contiguous.
      if (this.head > 0) {
        bytes.copyWithin(0, this.head, this.tail);
        this.tail -= this.head;
        this.head = 0;
      }
    }
    let at = this.tail;
    bytes[at++] = task;
    bytes[at++] = length >> 8;
    bytes[at++] = length & 0xff;
    for (let i = 0; i < length; i++) bytes[at + i] = source[i];
    this.tail = at + length;
    this.count++;
    this.dropped += dropped;
    return dropped;
  }

  /** The oldest record's task (count > 0). */
  task(): number {
    return this.bytes[this.head];
  }

  /** Where the oldest record's payload starts in `bytes`. */
  offset(): number {
    return this.head + HEADER;
  }

  /** The oldest record's payload length. */
  length(): number {
    return (this.bytes[this.head + 1] << 8) | this.bytes[this.head + 2];
  }

  /** Removes the oldest record. */
  shift(): void {
    if (this.count === 0) return;
    this.head += HEADER + this.length();
    this.count--;
    if (this.count === 0) this.head = this.tail = 0;
  }
}
