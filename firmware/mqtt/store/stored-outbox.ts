/**
 * The outbox with its records on flash: the RAM outbox (client/outbox.ts) stays the index the client
 * sends from; this subclass writes a Publish record when a record is added (before publish() returns),
 * a Release record when PUBREC moves it to Released (before its PUBREL is queued), an End record when it
 * ends (acknowledged, dropped, expired, given up), and copies its record forward when the log collects
 * its sector. With no store the client uses the plain Outbox: nothing here runs.
 *
 * add() answers the client's outbound.ts below 0 in two cases: NONE when the Publish record could not be
 * written (nothing of the message stays: publish() returns ClientError.StoreFailed), and -2 - i when the
 * message was added at i in place of the unsent one on its topic (latestPerTopic: reported as a drop,
 * ClientError.MessageReplaced).
 */
import { NONE, Outbox, RecordState } from "../client/outbox.js";
import { FLAG_RELEASED, NO_DEADLINE, PUBLISH_PREFIX, putU32, RECORD_HEADER, RecordType } from "./format.js";
import type { FlashLog } from "./log.js";
import { StoreError, type StoreStats } from "./errors.js";
import { expiryAt, readU32, sameTopic } from "./publish-bytes.js";

export interface StoredOutboxSettings {
  qos0: boolean;
  latestPerTopic: boolean;
  /** 5.0 messages carry their Message Expiry Interval: the deadline is worked out from it. */
  v5: boolean;
  wallClock: (() => number) | null;
  onError: (code: number) => void;
}

export class StoredOutbox extends Outbox {
  /** Per record: the store's message number, its Publish record's flash offset (-1: not stored) and length. */
  readonly message: Uint32Array;
  readonly where: Int32Array;
  readonly recordLength: Int32Array;
  nextMessage = 1;
  /** While records are loaded back at start-up: nothing is written. */
  quiet = false;
  /** The collector's copies, per record (-1: none), taken as the records once their sector is retired. */
  private readonly moved: Int32Array;
  /**
   * 1: a QoS 2 message loaded Queued that may have gone before the reset (recover.ts): nothing drops it.
   * A held record that is Queued is left out of `queued`/`queuedBytes` (what drop-oldest may drop) and
   * skipped by oldestQueued() and latestPerTopic.
   */
  private readonly held: Uint8Array;

  constructor(
    capacity: number,
    slots: number,
    readonly log: FlashLog,
    private readonly settings: StoredOutboxSettings,
    readonly storeStats: StoreStats,
    storage?: Uint8Array,
  ) {
    super(capacity, slots, storage);
    this.message = new Uint32Array(slots);
    this.where = new Int32Array(slots).fill(-1);
    this.recordLength = new Int32Array(slots);
    this.moved = new Int32Array(slots).fill(-1);
    this.held = new Uint8Array(slots);
    log.collector = (sector) => this.collect(sector);
    log.collected = (sector) => this.adopt(sector);
  }

  /** Adds the record and writes its Publish record: NONE if that failed, -2 - i if it replaced another (see above). */
  override add(size: number, packetId: number, qos: number, spare = 0): number {
    const i = super.add(size, packetId, qos, spare);
    this.where[i] = -1;
    this.held[i] = 0;
    if (this.quiet) return i;
    if ((qos > 0 || this.settings.qos0) && !this.persist(i)) {
      super.remove(i); // nothing of it stays: its slot and bytes are free, its id unused
      return NONE;
    }
    return this.settings.latestPerTopic && this.supersede(i) ? -2 - i : i;
  }

  override remove(i: number): void {
    if (i < 0 || this.state[i] === RecordState.Free) return;
    if (this.where[i] >= 0 && !this.quiet) this.mark(i, RecordType.End);
    if (this.held[i] === 1) this.unhold(i);
    super.remove(i);
  }

  /** Holds record i (Queued, loaded back): see `held`. Returns true. */
  hold(i: number): boolean {
    if (this.held[i] === 0) {
      this.held[i] = 1;
      if (this.state[i] === RecordState.Queued) this.countQueued(i, -1);
    }
    return true;
  }

  private unhold(i: number): void {
    this.held[i] = 0;
    if (this.state[i] === RecordState.Queued) this.countQueued(i, 1);
  }

  private countQueued(i: number, sign: number): void {
    this.queued += sign;
    this.queuedBytes += sign * (this.length[i] + this.spare[i]);
  }

  /** The oldest Queued record drop-oldest may drop (not a held one), or NONE. */
  override oldestQueued(): number {
    for (let i = this.first; i !== NONE; i = this.next[i]) if (this.state[i] === RecordState.Queued && this.held[i] === 0) return i;
    return NONE;
  }

  override setState(i: number, state: RecordState): void {
    // [MQTT-4.3.3-1] the PUBREL is queued after this returns: the Release record is on flash first, so a
    // restart sends PUBREL again, never the PUBLISH (which the broker would take as a new message once
    // it has completed the flow). If the flash refuses the record, the message stays Sent and no PUBREL
    // goes (outbound.ts pubrec): the broker keeps its id, so the PUBLISH sent again with DUP (after a
    // reconnect or a restart) is the same message to it [MQTT-4.3.3-2], and its PUBREC comes again.
    if (state === RecordState.Released && this.state[i] !== RecordState.Released && this.where[i] >= 0 && !this.quiet && !this.mark(i, RecordType.Release)) return;
    if (this.held[i] === 0) return super.setState(i, state);
    // A held record counts in `queued` never: the base class's count of it is undone around the change.
    const was = this.state[i] === RecordState.Queued;
    if (was) this.countQueued(i, 1);
    super.setState(i, state);
    if (this.state[i] === RecordState.Queued) this.countQueued(i, -1);
  }

  /**
   * Writes record i's Publish record: whether it is on flash. A flash that throws (write, erase, read) is
   * reported, never thrown on. A write that failed may still have reached the flash whole (a chip that
   * says no after programming): an End record for its message then follows, if the flash takes it, so
   * that a refused message does not come back at the next start.
   */
  private persist(i: number): boolean {
    const before = this.nextMessage;
    try {
      return this.writePublish(i);
    } catch {
      this.fail(StoreError.WriteFailed);
      if (this.nextMessage !== before) this.writeMark(before, this.qos[i], RecordType.End, false);
      return false;
    }
  }

  private writePublish(i: number): boolean {
    const log = this.log;
    const packet = this.length[i];
    const total = RECORD_HEADER + PUBLISH_PREFIX + packet;
    if (total > log.usable) return this.fail(StoreError.TooLarge);
    if (!log.reserve(total)) return this.fail(StoreError.Full);
    const staging = log.staging;
    const bytes = this.bytes;
    const from = this.offset[i];
    const qos = this.qos[i];
    const message = this.nextMessage++;
    staging[0] = RecordType.Publish;
    staging[1] = qos;
    staging[2] = (PUBLISH_PREFIX + packet) >> 8;
    staging[3] = (PUBLISH_PREFIX + packet) & 0xff;
    putU32(staging, 4, message);
    const expiry = this.settings.v5 ? expiryAt(bytes, from, qos) : 0;
    let deadline = NO_DEADLINE;
    const wallClock = this.settings.wallClock;
    if (expiry !== 0 && wallClock !== null) {
      const now = wallClock();
      if (now === now) deadline = Math.min(NO_DEADLINE - 1, Math.floor(now / 1000) + readU32(bytes, from + expiry));
    }
    putU32(staging, RECORD_HEADER, deadline);
    staging[RECORD_HEADER + 4] = expiry >> 8;
    staging[RECORD_HEADER + 5] = expiry & 0xff;
    staging[RECORD_HEADER + 6] = 0;
    staging[RECORD_HEADER + 7] = 0;
    const base = RECORD_HEADER + PUBLISH_PREFIX - from;
    for (let k = from, end = from + packet; k < end; k++) staging[base + k] = bytes[k];
    log.seal(total);
    this.where[i] = log.append(total);
    this.recordLength[i] = total;
    this.message[i] = message;
    this.storeStats.published++;
    return true;
  }

  /** Writes a Release or End record for record i. */
  private mark(i: number, type: number): boolean {
    if (type === RecordType.End) this.where[i] = -1;
    return this.writeMark(this.message[i], this.qos[i], type);
  }

  /** Writes the End record of a stored message that is not in the outbox (start-up). */
  endMessage(message: number, qos: number): void {
    this.writeMark(message, qos, RecordType.End);
  }

  /** Writes a Release or End record: whether it did; a failure is reported (unless `report` is false), never thrown. */
  private writeMark(message: number, qos: number, type: number, report = true): boolean {
    try {
      if (this.writeMarkRecord(message, qos, type)) return true;
      if (report) this.fail(StoreError.Full);
    } catch {
      if (report) this.fail(StoreError.WriteFailed);
    }
    return false;
  }

  private writeMarkRecord(message: number, qos: number, type: number): boolean {
    const log = this.log;
    if (!log.reserve(RECORD_HEADER)) return false;
    const staging = log.staging;
    staging[0] = type;
    staging[1] = qos;
    staging[2] = 0;
    staging[3] = 0;
    putU32(staging, 4, message);
    log.seal(RECORD_HEADER);
    log.append(RECORD_HEADER);
    if (type === RecordType.End) this.storeStats.ended++;
    else this.storeStats.released++;
    return true;
  }

  /** Counts and reports a failure (a StoreError); false, for the caller to return. */
  private fail(code: number): false {
    this.storeStats.failed++;
    this.settings.onError(code);
    return false;
  }

  /**
   * latestPerTopic: an unsent older message on record i's topic is replaced by it (ended, its End record
   * written); whether one was. One on flash is not replaced by one that is not (QoS 0 without qos0).
   */
  private supersede(i: number): boolean {
    const bytes = this.bytes;
    const stored = this.where[i] >= 0;
    for (let j = this.first; j !== i && j !== NONE; j = this.next[j]) {
      if (this.state[j] === RecordState.Queued && this.held[j] === 0 && (stored || this.where[j] < 0) && sameTopic(bytes, this.offset[j], this.offset[i])) {
        this.remove(j);
        this.storeStats.superseded++;
        return true; // at most one: each publish keeps it so
      }
    }
    return false;
  }

  /**
   * The log collects `sector`: every live record stored there is copied forward (a Released one flagged
   * so). The copies are taken as the records only when the sector is retired (adopt()): a collection the
   * flash cuts short leaves every record where it was.
   */
  private collect(sector: number): boolean {
    const log = this.log;
    const moved = this.moved;
    for (let i = this.first; i !== NONE; i = this.next[i]) {
      moved[i] = -1;
      const at = this.where[i];
      if (at < 0 || log.sectorOf(at) !== sector) continue;
      const length = this.recordLength[i];
      if (!log.reserve(length)) return false;
      log.load(at, length);
      if (this.state[i] === RecordState.Released) log.staging[1] |= FLAG_RELEASED;
      log.seal(length);
      moved[i] = log.append(length);
      log.stats.copied++;
    }
    return true;
  }

  /** The collected sector is retired: its records' copies are theirs now. */
  private adopt(sector: number): void {
    const log = this.log;
    const moved = this.moved;
    for (let i = this.first; i !== NONE; i = this.next[i]) {
      const at = this.where[i];
      if (at >= 0 && log.sectorOf(at) === sector) this.where[i] = moved[i];
      moved[i] = -1;
    }
  }
}
