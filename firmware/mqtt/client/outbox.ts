/**
 * The outbox: every PUBLISH the app made and the broker has not finished with, as encoded bytes in one
 * fixed buffer, with one record per message in a fixed table, kept in the order the messages were made.
 *
 * A record is Queued (not sent on this connection), Sending (its bytes are being written), Sent (QoS 1
 * waiting for PUBACK, QoS 2 for PUBREC) or Released (QoS 2 after PUBREC, waiting for PUBCOMP). Bytes stay
 * until the record ends, so a resend after a reconnect is a re-send of the stored bytes with the DUP bit
 * set [MQTT-4.4.0-1]. Records end in any order (acks may); capacity is counted by live records and live
 * bytes, never by age: when the bytes after the newest record are too few but the live bytes leave room,
 * the live records are moved down together (in age order, so bytes stay in record order) and the gaps
 * close. Nothing allocates after construction.
 */

export const RecordState = Object.freeze({
  Free: 0,
  Queued: 1,
  Sending: 2,
  Sent: 3,
  Released: 4,
} as const);
export type RecordState = (typeof RecordState)[keyof typeof RecordState];

/** No record (end of a list). */
export const NONE = -1;

/** Bytes per record in the outbox's table: 3 Float64, 6 Int32, 1 Uint16 and 3 Uint8 arrays. */
const OUTBOX_RECORD_BYTES = 3 * 8 + 6 * 4 + 2 + 3;

export class Outbox {
  readonly bytes: Uint8Array;
  readonly capacity: number;
  readonly slots: number;
  /** Per record (struct of arrays): where its packet is, its size, id, QoS and state. */
  readonly offset: Int32Array;
  readonly length: Int32Array;
  readonly packetId: Uint16Array;
  readonly qos: Uint8Array;
  readonly state: Uint8Array;
  /** 1 on Sent/Released records whose PUBLISH/PUBREL must go again on this connection. */
  readonly resend: Uint8Array;
  /** When a Sent record was written whole, or a Released one got its PUBREC: its ack timeout's start. */
  readonly waitSince: Float64Array;
  /** The order Released records got their PUBREC in: PUBRELs go again in that order [MQTT-4.6.0-4]. */
  readonly pubrecOrder: Float64Array;
  /** 5.0: when a message with a Message Expiry Interval runs out (the client's clock), else Infinity. */
  readonly expiresAt: Float64Array;
  /** 5.0: where in the record its Message Expiry Interval's four bytes are (0: none). */
  readonly expiryAt: Int32Array;
  /** Records with an expiry: the sweep walks the outbox only when some are there. */
  expiring = 0;
  /**
   * 5.0: bytes counted for a record beyond its length (an alias-only PUBLISH's topic, kept so it can be
   * written again with its topic after a reconnect: widen()). Capacity counts length + spare.
   */
  readonly spare: Int32Array;
  /** The age list: next and previous record, oldest first. */
  readonly next: Int32Array;
  /** A live record's previous; a Free one's next Free (the free list, newest freed first; `next` stays as it was). */
  private readonly prev: Int32Array;
  /** The first Free record, or NONE. */
  private freed: number;
  /** Oldest and newest record, or NONE. */
  first = NONE;
  last = NONE;
  /** End of the bytes in use: new packets go here. */
  private end = 0;
  /** Records not Free, and their bytes. */
  live = 0;
  liveBytes = 0;
  /** Queued records (not yet sent on this connection), and their bytes: what drop-oldest may drop. */
  queued = 0;
  queuedBytes = 0;
  /** QoS 1/2 records Sending, Sent or Released: the in-flight window. */
  inflight = 0;

  /** @param storage - where the bytes live (SocketMemory's region), else a new buffer */
  constructor(bytes: number, slots: number, storage?: Uint8Array) {
    this.bytes = storage ?? new Uint8Array(bytes);
    this.capacity = bytes;
    this.slots = slots;
    // Every per-record array is a view of one ArrayBuffer (a view: 4 slots; an array with its own
    // ArrayBuffer: 7): the 8-byte arrays first, so each view starts at a multiple of its element size.
    const table = new ArrayBuffer(slots * OUTBOX_RECORD_BYTES);
    let at = 0;
    this.waitSince = new Float64Array(table, at, slots);
    this.pubrecOrder = new Float64Array(table, (at += slots * 8), slots);
    this.expiresAt = new Float64Array(table, (at += slots * 8), slots).fill(Infinity);
    this.offset = new Int32Array(table, (at += slots * 8), slots);
    this.length = new Int32Array(table, (at += slots * 4), slots);
    this.expiryAt = new Int32Array(table, (at += slots * 4), slots);
    this.spare = new Int32Array(table, (at += slots * 4), slots);
    this.next = new Int32Array(table, (at += slots * 4), slots);
    this.prev = new Int32Array(table, (at += slots * 4), slots);
    this.packetId = new Uint16Array(table, (at += slots * 4), slots);
    this.qos = new Uint8Array(table, (at += slots * 2), slots);
    this.state = new Uint8Array(table, (at += slots), slots);
    this.resend = new Uint8Array(table, (at += slots), slots);
    for (let i = 0; i < slots; i++) this.prev[i] = i + 1 < slots ? i + 1 : NONE; // all Free: 0 is taken first
    this.freed = slots > 0 ? 0 : NONE;
  }

  /** Whether a new record of `size` bytes fits: a free slot and room for its bytes. */
  fits(size: number): boolean {
    return this.live < this.slots && this.liveBytes + size <= this.capacity;
  }

  /**
   * The offset to encode a new packet of `size` bytes at (fits() must hold), closing the gaps left by
   * ended records first if the bytes after the newest are too few. Moves the bytes of live records.
   */
  reserve(size: number): number {
    if (this.end + size > this.capacity) this.compact();
    return this.end;
  }

  /**
   * Adds the record for the packet just encoded at reserve()'s offset; returns its index. `spare`: bytes
   * it may grow by later (widen()), counted now (fits() must have held for size + spare).
   */
  add(size: number, packetId: number, qos: number, spare = 0): number {
    const i = this.freed;
    this.freed = this.prev[i];
    this.offset[i] = this.end;
    this.length[i] = size;
    this.spare[i] = spare;
    this.packetId[i] = packetId;
    this.qos[i] = qos;
    this.state[i] = RecordState.Queued;
    this.resend[i] = 0;
    this.next[i] = NONE;
    this.prev[i] = this.last;
    if (this.last === NONE) this.first = i;
    else this.next[this.last] = i;
    this.last = i;
    this.end += size;
    this.live++;
    this.liveBytes += size + spare;
    this.queued++;
    this.queuedBytes += size + spare;
    return i;
  }

  /** Changes a record's state, keeping the counts. */
  setState(i: number, state: RecordState): void {
    this.count(i, -1);
    this.state[i] = state;
    this.count(i, 1);
  }

  private count(i: number, sign: number): void {
    const state = this.state[i];
    if (state === RecordState.Queued) {
      this.queued += sign;
      this.queuedBytes += sign * (this.length[i] + this.spare[i]);
    } else if (state !== RecordState.Free && this.qos[i] > 0) this.inflight += sign;
  }

  /** Ends a record: its slot and bytes are free again. */
  remove(i: number): void {
    if (i < 0 || this.state[i] === RecordState.Free) return;
    this.count(i, -1);
    this.state[i] = RecordState.Free;
    if (this.expiryAt[i] !== 0) {
      this.expiryAt[i] = 0;
      this.expiresAt[i] = Infinity;
      this.expiring--;
    }
    this.live--;
    this.liveBytes -= this.length[i] + this.spare[i];
    this.spare[i] = 0;
    const p = this.prev[i];
    const n = this.next[i];
    if (p === NONE) this.first = n;
    else this.next[p] = n;
    if (n === NONE) {
      this.last = p;
      this.end = p === NONE ? 0 : this.offset[p] + this.length[p]; // the newest went: its bytes are free at once
    } else this.prev[n] = p;
    this.prev[i] = this.freed;
    this.freed = i;
  }

  /**
   * Opens `delta` bytes (at most its spare) inside record `i`, `at` bytes into it: the bytes from there to
   * the end of the newest record move up (compacting first if the end is too near the capacity, which the
   * spare counted for), and the records after it with them. Their order stays the age order.
   */
  widen(i: number, at: number, delta: number): void {
    if (this.end + delta > this.capacity) this.compact();
    const from = this.offset[i] + at;
    this.bytes.copyWithin(from + delta, from, this.end);
    for (let k = this.next[i]; k !== NONE; k = this.next[k]) this.offset[k] += delta;
    this.end += delta;
    this.length[i] += delta;
    this.spare[i] -= delta;
  }

  /** Closes `delta` bytes inside record `i` before the byte `at` bytes into it (the rest moves down; its spare grows). */
  narrow(i: number, at: number, delta: number): void {
    const from = this.offset[i] + at;
    this.bytes.copyWithin(from - delta, from, this.end);
    for (let k = this.next[i]; k !== NONE; k = this.next[k]) this.offset[k] -= delta;
    this.end -= delta;
    this.length[i] -= delta;
    this.spare[i] += delta;
  }

  /** Moves the live records' bytes down to the start, in age order, closing the gaps. */
  private compact(): void {
    let at = 0;
    for (let i = this.first; i !== NONE; i = this.next[i]) {
      const from = this.offset[i];
      if (from !== at) this.bytes.copyWithin(at, from, from + this.length[i]);
      this.offset[i] = at;
      at += this.length[i];
    }
    this.end = at;
  }

  /** The live QoS 1/2 record with this packet id, or NONE. */
  find(packetId: number): number {
    for (let i = this.first; i !== NONE; i = this.next[i]) {
      if (this.qos[i] > 0 && this.packetId[i] === packetId) return i;
    }
    return NONE;
  }

  /** The oldest Queued record (the one drop-oldest drops), or NONE. */
  oldestQueued(): number {
    for (let i = this.first; i !== NONE; i = this.next[i]) if (this.state[i] === RecordState.Queued) return i;
    return NONE;
  }

  /** The packet id of the oldest live QoS 1/2 record, or 0. */
  oldestPacketId(): number {
    for (let i = this.first; i !== NONE; i = this.next[i]) if (this.qos[i] > 0) return this.packetId[i];
    return 0;
  }
}
