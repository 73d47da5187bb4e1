/**
 * The outbox: every PUBLISH the app made and the broker has not finished with, as encoded bytes in one
 * fixed ByteRing, with one record per message in a fixed table, in the order they were made.
 *
 * A record is Queued (not yet sent on this connection), Sending (its bytes are being written), Sent (QoS 1
 * waiting for PUBACK, QoS 2 for PUBREC) or Released (QoS 2 after PUBREC, waiting for PUBCOMP). Bytes stay
 * in the ring until the record ends, so a resend after a reconnect is a re-send of the stored bytes with
 * the DUP bit set [MQTT-4.4.0-1]. Records end out of order (acks may); the ring's head moves past the
 * oldest records once they have ended. Nothing here allocates after construction.
 */
import { ByteRing } from "./ring.js";

export const enum RecordState {
  Free = 0,
  Queued = 1,
  Sending = 2,
  Sent = 3,
  Released = 4,
}

export class Outbox {
  readonly ring: ByteRing;
  /** Capacity of the record table. */
  readonly slots: number;
  /** Per record (struct of arrays): where its packet is in the ring, its size, id, QoS and state. */
  readonly offset: Int32Array;
  readonly length: Int32Array;
  readonly packetId: Uint16Array;
  readonly qos: Uint8Array;
  readonly state: Uint8Array;
  /** Set on Sent/Released records when the connection drops: they go again, first, on the next one. */
  readonly resend: Uint8Array;
  /** Index of the oldest record and the number of records from it (some may already be Free). */
  first = 0;
  span = 0;
  /** Records not Free. */
  live = 0;
  /** Records in Sending, Sent or Released with QoS > 0: the in-flight window. */
  inflight = 0;

  constructor(bytes: number, slots: number) {
    this.ring = new ByteRing(bytes);
    this.slots = slots;
    this.offset = new Int32Array(slots);
    this.length = new Int32Array(slots);
    this.packetId = new Uint16Array(slots);
    this.qos = new Uint8Array(slots);
    this.state = new Uint8Array(slots);
    this.resend = new Uint8Array(slots);
  }

  /** The record index of the k-th record from the oldest. */
  at(k: number): number {
    const i = this.first + k;
    return i < this.slots ? i : i - this.slots;
  }

  /** Whether a new record of `size` bytes fits now (a free slot and ring space). */
  fits(size: number): boolean {
    return this.span < this.slots && this.ring.writable() >= size;
  }

  /**
   * Reserves ring space for a new packet of `size` bytes and returns the offset to encode it at, or -1.
   * Moving the stored bytes to the start of the ring (when that is what it takes) moves every offset.
   */
  reserve(size: number): number {
    if (this.span >= this.slots) return -1;
    const ring = this.ring;
    if (ring.tail + size > ring.capacity && ring.writable() >= size) {
      const shift = ring.head;
      ring.compact();
      for (let k = 0; k < this.span; k++) this.offset[this.at(k)] -= shift;
    }
    return ring.reserve(size);
  }

  /** Adds the record for the packet just encoded at `offset` (after reserve); returns its index. */
  add(offset: number, size: number, packetId: number, qos: number): number {
    const index = this.at(this.span);
    this.span++;
    this.live++;
    this.offset[index] = offset;
    this.length[index] = size;
    this.packetId[index] = packetId;
    this.qos[index] = qos;
    this.state[index] = RecordState.Queued;
    this.resend[index] = 0;
    this.ring.commit(size);
    return index;
  }

  /** Ends a record; frees the ring bytes of every ended record at the oldest end. */
  remove(index: number): void {
    if (this.state[index] === RecordState.Free) return;
    if (this.qos[index] > 0 && this.state[index] >= RecordState.Sending) this.inflight--;
    this.state[index] = RecordState.Free;
    this.live--;
    while (this.span > 0 && this.state[this.first] === RecordState.Free) {
      this.ring.consume(this.length[this.first]);
      this.first = this.first + 1 === this.slots ? 0 : this.first + 1;
      this.span--;
    }
  }

  /** The live record with this packet id and QoS > 0, or -1. */
  find(packetId: number): number {
    for (let k = 0; k < this.span; k++) {
      const i = this.at(k);
      if (this.state[i] !== RecordState.Free && this.qos[i] > 0 && this.packetId[i] === packetId) return i;
    }
    return -1;
  }

  /** The age index (see at()) of the oldest record that is Queued or marked for resend, or -1. */
  next(): number {
    for (let k = 0; k < this.span; k++) {
      const i = this.at(k);
      const state = this.state[i];
      if (state === RecordState.Queued || (this.resend[i] === 1 && (state === RecordState.Sent || state === RecordState.Released))) return k;
    }
    return -1;
  }

  /** The record after `index` in age order (records take consecutive slots). */
  after(index: number): number {
    return index + 1 === this.slots ? 0 : index + 1;
  }

  /** The packet id of the oldest live QoS 1/2 record, or 0 if there is none. */
  oldestPacketId(): number {
    for (let k = 0; k < this.span; k++) {
      const i = this.at(k);
      if (this.state[i] !== RecordState.Free && this.qos[i] > 0) return this.packetId[i];
    }
    return 0;
  }

  /** The oldest record not yet sent (the one drop-oldest drops), or -1. */
  oldestQueued(): number {
    for (let k = 0; k < this.span; k++) {
      const i = this.at(k);
      if (this.state[i] === RecordState.Queued) return i;
    }
    return -1;
  }

  /** Drops everything. */
  clear(): void {
    this.state.fill(RecordState.Free);
    this.ring.clear();
    this.first = this.span = this.live = this.inflight = 0;
  }
}
