/**
 * What goes out, a whole packet at a time: the control buffer (CONNECT, SUBSCRIBE, UNSUBSCRIBE), the
 * responses owed (ack queue), DISCONNECT once ending (and then nothing else [MQTT-3.14.4-2]), PINGREQ,
 * then the outbox: PUBRELs of a resumed session (PUBREC order), then PUBLISH in age order, a run of
 * adjoining records at once (one socket write for a burst of publishes). Small packets are staged in
 * a 4-byte buffer; PUBLISH bytes go straight from the outbox.
 */
import { PacketType, ProtocolVersion } from "../codec/packet.js";
import { encodeAck } from "../codec/packets/acks.js";
import { encodeDisconnect } from "../codec/packets/disconnect.js";
import { encodePingreq } from "../codec/packets/ping.js";
import { ByteRing } from "../codec/ring.js";
import type { AckQueue } from "./acks.js";
import type { Authentication } from "./auth.js";
import type { Keepalive } from "./keepalive.js";
import type { Outbound } from "./outbound.js";
import type { ClientStats } from "./stats.js";
import { NONE, RecordState, type Outbox } from "./outbox.js";
import type { Subscriptions } from "./subscriptions.js";

const Source = Object.freeze({
  None: 0,
  Control: 1,
  Ack: 2,
  Ping: 3,
  Disconnect: 4,
  Pubrel: 5,
  Run: 6,
  /**
   * A QoS 0 PUBLISH that publish() encoded at the outbox's end with nothing else queued or owed, chosen at
   * once without a record (no bookkeeping per message): the run of one record it would be. Anything that
   * could change what goes next (unpick, seal, reset, a PINGREQ owed) first makes it that record.
   */
  Direct: 7,
} as const);
type Source = (typeof Source)[keyof typeof Source];
// The same as plain numbers for the per-write paths (a module constant is read for a computron less on XS).
const NO_SOURCE = 0;
const DIRECT = 7;

/** What the transport may be sent now. */
export const Mode = Object.freeze({
  /** No connection: nothing. */
  Closed: 0,
  /** Waiting for CONNACK: CONNECT only [MQTT-3.1.0-1]. */
  Connecting: 1,
  Connected: 2,
  /** end() was called: what is owed, DISCONNECT, then nothing. */
  Ending: 3,
} as const);
export type Mode = (typeof Mode)[keyof typeof Mode];

/** written()'s report: a response left (room for one more), DISCONNECT went whole. */
export const ACK_WRITTEN = 1;
/** The staging buffer's size: an ack, PINGREQ or DISCONNECT (5.0: with a reason code) is at most 4 bytes. */
export const STAGING_BYTES = 4;
export const DISCONNECT_WRITTEN = 2;

export class Output {
  readonly control: ByteRing;
  mode: Mode = Mode.Closed;
  /** What length() chose (read by the client's publish(): nothing chosen, nothing to unpick). */
  source: Source = Source.None;
  /**
   * pick() found nothing while connected, and nothing has called unpick/seal/reset or queued a record since
   * (Outbound.publish clears it): every source but a PINGREQ (the keepalive's timer) is still empty, so
   * length() answers 0 without asking each (what changes the others comes in through a call that unpicks
   * first).
   */
  quiet = false;
  private readonly staging: Uint8Array;
  private readonly stats: ClientStats;
  private stagedLength = 0;
  private stagedDone = 0;
  private stagedRecord = NONE;
  /** Some bytes of what the control buffer holds now went out (what is there is begun). */
  private controlBegun = false;
  /** The control buffer holds a SUBSCRIBE/UNSUBSCRIBE that subscriptions queued (not a CONNECT). */
  private controlRequest = false;
  /** The run: its current record, bytes of it written, its last record. */
  private record = NONE;
  private recordDone = 0;
  private runLast = NONE;

  constructor(
    controlBufferSize: number,
    private readonly acks: AckQueue,
    private readonly keepalive: Keepalive,
    private readonly subscriptions: Subscriptions,
    private readonly outbound: Outbound,
    private readonly outbox: Outbox,
    private readonly nextId: () => number,
    /** A PUBACK or PUBCOMP went whole: its inbound message is acknowledged (a QoS 2 id is free). */
    private readonly released: (type: PacketType, packetId: number) => void,
    private readonly version: ProtocolVersion = ProtocolVersion.V311,
    /** 5.0 enhanced authentication: an AUTH owed goes through the control buffer. */
    private readonly auth: Authentication | null = null,
    /** Where the control buffer and the 4-byte staging live (SocketMemory's regions), else new buffers. */
    control?: Uint8Array,
    staging?: Uint8Array,
  ) {
    this.control = new ByteRing(controlBufferSize, control);
    this.staging = staging ?? new Uint8Array(STAGING_BYTES);
    outbound.output = this;
    this.stats = outbound.stats;
  }

  /**
   * The QoS 0 PUBLISH just encoded at the start of the empty outbox, `size` bytes, goes next as
   * Source.Direct if the output is idle: connected, nothing chosen, and nothing that pick() puts before the
   * outbox (control, AUTH, acks, PINGREQ, subscriptions) waiting (the outbox being empty, no PUBREL
   * either). Returns whether it was taken.
   */
  direct(size: number): boolean {
    if (this.keepalive.pingOwed) return false;
    if (this.quiet) this.quiet = false; // (quiet: nothing chosen, connected, and all but a PINGREQ known empty)
    else {
      const control = this.control;
      const auth = this.auth;
      if (this.source !== NO_SOURCE || this.mode !== Mode.Connected || this.acks.length !== 0 || control.tail !== control.head || this.subscriptions.changed || (auth !== null && auth.pendingReason >= 0)) return false;
    }
    this.stagedLength = size; // at the outbox's start
    this.stagedDone = 0;
    this.source = Source.Direct;
    return true;
  }

  /** 1 while a PUBLISH goes as Source.Direct (a message queued without a record), else 0. */
  directCount(): number {
    return this.source === Source.Direct ? 1 : 0;
  }

  /** Source.Direct becomes the record it stands for: Queued if not begun, else the run being written. */
  private undirect(): void {
    const i = this.outbound.addDirect(this.stagedLength);
    this.source = Source.None;
    if (this.stagedDone === 0) return;
    this.outbound.start(i);
    this.record = i;
    this.recordDone = this.stagedDone;
    this.runLast = i;
    this.source = Source.Run;
  }

  /** Bytes ready to write now, at buffer()[offset() ...]; 0: nothing to send. */
  length(): number {
    let source = this.source;
    if (source === DIRECT) {
      // A PINGREQ owed since publish() went before a PUBLISH not begun: pick() decides again.
      if (this.stagedDone > 0 || !this.keepalive.pingOwed) return this.stagedLength - this.stagedDone;
      this.undirect();
      source = this.source;
    }
    if (source === NO_SOURCE) {
      if (this.quiet && !this.keepalive.pingOwed) return 0;
      this.pick();
      this.quiet = this.source === Source.None && this.mode === Mode.Connected;
    }
    switch (this.source) {
      case Source.None:
        return 0;
      case Source.Control:
        return this.control.readable();
      case Source.Run: {
        const outbox = this.outbox;
        return outbox.offset[this.runLast] + outbox.length[this.runLast] - outbox.offset[this.record] - this.recordDone;
      }
      default:
        return this.stagedLength - this.stagedDone;
    }
  }

  buffer(): Uint8Array {
    if (this.source === Source.Control) return this.control.buffer;
    return this.source >= Source.Run ? this.outbox.bytes : this.staging;
  }

  offset(): number {
    // From the record being written, not a saved start: a publish may move the outbox's bytes.
    if (this.source === Source.Control) return this.control.head;
    if (this.source === Source.Direct) return this.stagedDone; // from the outbox's start
    return this.source === Source.Run ? this.outbox.offset[this.record] + this.recordDone : this.stagedDone;
  }

  /** `count` bytes of length() went to the transport; returns ACK_WRITTEN | DISCONNECT_WRITTEN bits. */
  written(count: number, now: number): number {
    if (this.source === DIRECT) {
      const done = (this.stagedDone += count);
      if (done < this.stagedLength) return 0;
      this.source = Source.None;
      this.quiet = true; // the output was idle when it was chosen, and no unpick() since (it would have made it a record)
      const stats = this.stats;
      stats.sent++; // what Outbound.written() and the record's end count for a QoS 0 record
      stats.completed++;
      return 0;
    }
    switch (this.source) {
      case Source.None:
        return 0;
      case Source.Control:
        this.control.consume(count);
        this.controlBegun = true;
        if (this.control.readable() === 0) {
          this.source = Source.None;
          this.controlBegun = false;
          this.controlRequest = false;
        }
        return 0;
      case Source.Run:
        this.writtenRun(count, now);
        return 0;
      default: {
        this.stagedDone += count;
        if (this.stagedDone < this.stagedLength) return 0;
        const source = this.source;
        this.source = Source.None;
        if (source === Source.Ack) {
          const acks = this.acks;
          const type = acks.headType();
          if (type === PacketType.Pubcomp || type === PacketType.Puback) this.released(type, acks.headId());
          acks.shift();
          return ACK_WRITTEN;
        }
        if (source === Source.Ping) this.keepalive.pingOwed = false;
        else if (source === Source.Pubrel) this.outbound.pubrelResent(this.stagedRecord);
        else if (source === Source.Disconnect) return DISCONNECT_WRITTEN;
        return 0;
      }
    }
  }

  /** Records of the run written whole are done; the rest, if not one byte of them went, are not started. */
  private writtenRun(count: number, now: number): void {
    const outbox = this.outbox;
    let left = count;
    for (;;) {
      const i = this.record;
      const need = outbox.length[i] - this.recordDone;
      if (left < need) {
        this.recordDone += left;
        break;
      }
      left -= need;
      const last = i === this.runLast;
      const next = outbox.next[i];
      this.recordDone = 0;
      this.outbound.written(i, now);
      if (last) {
        this.source = Source.None;
        return;
      }
      this.record = next;
    }
    // The run stops at the record cut off: the ones after it go back (a publish or an ack may change
    // what comes next before the transport takes more).
    this.unsendRun(this.outbox.next[this.record]);
    this.runLast = this.record;
    if (this.recordDone === 0) {
      this.outbound.unsend(this.record);
      this.source = Source.None;
    }
  }

  /** Chooses what to send next. */
  private pick(): void {
    // Each source is asked only when its own flag says it may have something: pick() runs after every
    // write, once more with nothing left (a call costs about 15 computrons on XS).
    const control = this.control;
    if (control.tail > control.head) {
      this.source = Source.Control;
      return;
    }
    const mode = this.mode;
    // An AUTH owed (enhanced authentication, §4.12) goes next, during the handshake too.
    const auth = this.auth;
    if (mode !== Mode.Closed && mode !== Mode.Ending && auth !== null && auth.pendingReason >= 0 && auth.queueNext(control)) {
      this.source = Source.Control;
      return;
    }
    if (mode === Mode.Closed || mode === Mode.Connecting) return;
    const acks = this.acks;
    if (acks.length > 0) return this.stage(Source.Ack, acks.headType(), acks.headId(), NONE);
    if (mode === Mode.Ending) {
      this.mode = Mode.Closed; // DISCONNECT is the last packet
      return this.staged(Source.Disconnect, encodeDisconnect(this.staging, 0, this.version), NONE); // 5.0: Normal disconnection, 4 bytes
    }
    if (this.keepalive.pingOwed) return this.staged(Source.Ping, encodePingreq(this.staging, 0), NONE);
    const subscriptions = this.subscriptions;
    if (subscriptions.changed && subscriptions.queueNext(control, this.nextId)) {
      this.source = Source.Control;
      this.controlRequest = true;
      return;
    }
    const outbound = this.outbound;
    const pubrel = outbound.pubrelsToResend ? outbound.nextPubrel() : NONE;
    if (pubrel !== NONE) return this.stage(Source.Pubrel, PacketType.Pubrel, this.outbox.packetId[pubrel], pubrel);
    if (this.outbox.first === NONE) return; // nothing queued
    const first = outbound.startNext();
    if (first === NONE) return;
    // Queued records that follow, bytes adjoining, go in the same write.
    const outbox = this.outbox;
    let last = first;
    let end = outbox.offset[first] + outbox.length[first];
    if (outbox.state[first] === RecordState.Sending && outbox.resend[first] === 0) {
      for (let i = outbox.next[first]; i !== NONE && outbox.offset[i] === end && outbound.start(i); i = outbox.next[i]) {
        end += outbox.length[i];
        last = i;
      }
    }
    this.record = first;
    this.recordDone = 0;
    this.runLast = last;
    this.source = Source.Run;
  }

  private stage(source: Source, type: PacketType, packetId: number, record: number): void {
    this.staged(source, encodeAck(this.staging, 0, type, packetId, this.version), record); // 5.0: Success, 4 bytes
  }

  /** `length` bytes encoded at the start of staging (an ack, PINGREQ or DISCONNECT) go next. */
  private staged(source: Source, length: number, record: number): void {
    this.stagedLength = length;
    this.stagedDone = 0;
    this.stagedRecord = record;
    this.source = source;
  }

  /**
   * end(): only what is owed (the responses) and what is begun (a packet part-written) goes before
   * DISCONNECT: what unpick() lets go does not go.
   */
  seal(): void {
    this.mode = Mode.Ending;
    this.unpick();
  }

  /**
   * What length() chose and the transport has not begun (it asked and took nothing) is let go, so that a
   * call or a packet in between finds no message held: a run's records are queued again (drop-oldest may
   * take them, an ack may come for them), a staged PINGREQ or resent PUBREL is chosen again if still due,
   * a SUBSCRIBE/UNSUBSCRIBE is undone (its filters wait again, as a call may have changed them).
   */
  unpick(): void {
    this.quiet = false;
    if (this.source === Source.Direct) this.undirect();
    switch (this.source) {
      case Source.Control:
        if (!this.controlRequest || this.controlBegun) return;
        this.control.clear();
        this.controlRequest = false;
        this.subscriptions.unqueue();
        break;
      case Source.Run:
        if (this.recordDone > 0) return;
        this.unsendRun(this.record);
        break;
      case Source.Ping:
      case Source.Pubrel:
        if (this.stagedDone > 0) return;
        break;
      default:
        return;
    }
    this.source = Source.None;
  }

  private unsendRun(from: number): void {
    const outbox = this.outbox;
    for (let i = from, stop = outbox.next[this.runLast]; i !== stop && i !== NONE; i = outbox.next[i]) this.outbound.unsend(i);
  }

  /** The connection is gone: nothing owed is sent any more; a run's records not begun are not started. */
  reset(): void {
    this.quiet = false;
    if (this.source === Source.Direct) this.undirect();
    if (this.source === Source.Run) this.unsendRun(this.recordDone > 0 ? this.outbox.next[this.record] : this.record);
    this.source = Source.None;
    this.controlBegun = false;
    this.controlRequest = false;
    this.control.clear();
    this.acks.clear();
    this.mode = Mode.Closed;
  }
}
