/**
 * The append-only log over the flash area's sectors (format.ts), used as a ring: records go to the active
 * sector; when it is full the next one is erased and opened, and the sector after that (the oldest) is
 * collected into it: its live records copied (the owner knows which are live), then it is retired by
 * zeroing its magic, one 4-byte write, so a power cut during the next erase cannot bring it back. The
 * sector after the active one is therefore always free. Nothing allocates after construction.
 */
import type { FlashArea } from "./flash-area.js";
import { crc32, crcAdd, crcEnd, CRC_START } from "./crc32.js";
import { getU32, isRecordType, MAGIC, paddedLength, putU32, RECORD_HEADER, SECTOR_HEADER, validFlags } from "./format.js";

/** Counters of what the log did to the flash. */
export class LogStats {
  /** Bytes programmed, headers and retire marks included, and the write calls that did it. */
  bytesWritten = 0;
  writes = 0;
  erases = 0;
  /** Sectors collected, and the live records they copied forward. */
  collections = 0;
  copied = 0;
}

/** What the scan found: a record at `offset` (absolute), its header and body in `staging`. */
export type RecordSink = (type: number, flags: number, message: number, offset: number, bodyLength: number) => void;

export class FlashLog {
  readonly sectors: number;
  readonly sectorSize: number;
  /** The largest record: a sector less its header. */
  readonly usable: number;
  /** Where a record is assembled (and a collected one read back) before it is written. */
  readonly staging: Uint8Array;
  readonly stats = new LogStats();
  /** Each sector's sequence number, 0 when free (erased, retired or never valid). */
  private readonly seq: Uint32Array;
  private readonly head = new Uint8Array(SECTOR_HEADER);
  private readonly zeros = new Uint8Array(4);
  private nextSeq = 1;
  private active = -1;
  private writeAt = 0;
  private collecting = false;
  /**
   * Copies the live records of a sector about to be retired (reserve, load, seal, append); false if they
   * did not fit. It must not yet take the copies as its records: collected() says when it may.
   */
  collector: (sector: number) => boolean = () => true;
  /** The sector the collector copied is retired: the copies are now the records. */
  collected: (sector: number) => void = () => {};
  /**
   * A retire the flash refused: the log takes no more writes until a restart (recover() then finds either
   * the sector retired, or every sector valid, and retires the copies instead). Appends made after a
   * half-done retire could be taken for copies at start-up and retired with them.
   */
  private stopped = false;

  constructor(readonly area: FlashArea) {
    this.sectorSize = area.sectorSize;
    this.sectors = Math.floor(area.size / area.sectorSize);
    this.usable = this.sectorSize - SECTOR_HEADER;
    this.staging = new Uint8Array(this.usable);
    this.seq = new Uint32Array(this.sectors);
  }

  /** The sector an absolute offset is in. */
  sectorOf(offset: number): number {
    return Math.floor(offset / this.sectorSize);
  }

  /**
   * Makes room in the active sector for a record of `length` bytes (opening and collecting sectors as
   * needed): call before assembling it in staging, which collecting uses. False: no room (the ring holds
   * only live records, or the record is larger than a sector).
   */
  reserve(length: number): boolean {
    if (this.stopped) throw new Error("store: the log stopped after the flash refused a retire (restart to recover)");
    const padded = (length + 3) & ~3;
    if (padded > this.usable) return false;
    for (let tries = 0; tries <= this.sectors; tries++) {
      if (this.active >= 0 && this.writeAt + padded <= this.sectorSize) return true;
      if (this.collecting || !this.advance()) return false;
    }
    return false;
  }

  /**
   * Writes staging[0, length) at the end of the active sector (reserve() made room); returns its offset.
   * A write the flash refuses (it throws) may have left part of the record: nothing more goes in that
   * sector (the scan stops at the torn record), the next record opens a new one.
   */
  append(length: number): number {
    const at = this.active * this.sectorSize + this.writeAt;
    const end = this.writeAt + ((length + 3) & ~3);
    this.writeAt = this.sectorSize;
    this.program(at, this.staging, length);
    this.writeAt = end;
    return at;
  }

  /** Reads the record at `offset` (`length` bytes) into staging. */
  load(offset: number, length: number): void {
    this.area.read(offset, this.staging, 0, length);
  }

  /** Puts the CRC of staging's record (`length` bytes: header and body) into its header. */
  seal(length: number): void {
    const staging = this.staging;
    putU32(staging, 8, crcEnd(crcAdd(crcAdd(CRC_START, staging, 0, 8), staging, RECORD_HEADER, length)));
  }

  private program(at: number, bytes: Uint8Array, length: number): void {
    const stats = this.stats;
    stats.writes++;
    stats.bytesWritten += length;
    this.area.write(at, bytes, 0, length);
  }

  /**
   * Opens the next sector (erased, then its header) and collects the one after it, if in use. A flash
   * that throws (erase, write) leaves the log as it was: the sector is opened again from its erase next
   * time. A collection that fails (a write throws, or no room) is undone in RAM: the copies made are
   * forgotten (the collector moves its records only once all are copied), the new sector is free again
   * and the oldest stays; on flash that is a collection cut short, which recover() handles.
   */
  private advance(): boolean {
    const sectors = this.sectors;
    const previous = this.active;
    const next = previous < 0 ? 0 : (previous + 1) % sectors;
    if (this.seq[next] !== 0) return false; // the ring is full of live records
    this.stats.erases++;
    this.area.erase(next);
    const head = this.head;
    const seq = this.nextSeq++;
    putU32(head, 0, MAGIC);
    putU32(head, 4, seq);
    putU32(head, 8, 0);
    putU32(head, 12, crc32(head, 0, 12));
    this.program(next * this.sectorSize, head, SECTOR_HEADER);
    this.seq[next] = seq;
    this.active = next;
    this.writeAt = SECTOR_HEADER;
    const oldest = (next + 1) % sectors;
    if (oldest === next || this.seq[oldest] === 0) return true;
    this.collecting = true;
    let ok = false;
    try {
      ok = this.collector(oldest);
    } finally {
      this.collecting = false;
      if (!ok) {
        this.seq[next] = 0; // erased again before its next use
        this.active = previous;
        this.writeAt = this.sectorSize;
      }
    }
    if (!ok) return false;
    try {
      this.retire(oldest);
    } catch (error) {
      this.stopped = true;
      throw error;
    }
    this.stats.collections++;
    this.collected(oldest);
    return true;
  }

  /** A sector's records are no longer part of the log: its magic zeroed (bits only cleared: NOR allows it). */
  private retire(sector: number): void {
    this.program(sector * this.sectorSize, this.zeros, 4);
    this.seq[sector] = 0;
  }

  /**
   * Reads the log after a start: every whole record of every valid sector, oldest sector first, goes to
   * `sink`; the scan of a sector stops at erased bytes or at the first record that is not whole (a write
   * a power cut ended). Appends go on after the newest sector's last whole record, or in a new sector if
   * that one ends in a torn record. If every sector is valid, a collection was cut short: the newest
   * sector holds only copies of records the oldest still has, so it is retired and the collection will
   * run again. Allocates (a start-up task).
   */
  recover(sink: RecordSink): void {
    const sectors = this.sectors;
    const size = this.sectorSize;
    const head = this.head;
    const order: number[] = [];
    for (let s = 0; s < sectors; s++) {
      this.area.read(s * size, head, 0, SECTOR_HEADER);
      const valid = getU32(head, 0) === MAGIC && getU32(head, 12) === crc32(head, 0, 12) && getU32(head, 4) !== 0;
      this.seq[s] = valid ? getU32(head, 4) : 0;
      if (valid) order.push(s);
    }
    order.sort((a, b) => this.seq[a] - this.seq[b]);
    if (order.length > 0) this.nextSeq = this.seq[order[order.length - 1]] + 1;
    if (order.length === sectors && sectors > 1) {
      const copies = order.pop()!;
      try {
        this.retire(copies);
      } catch {
        this.stopped = true; // read as it is; written no more until the next start retires it
        this.seq[copies] = 0;
      }
    }
    const staging = this.staging;
    for (const s of order) {
      let pos = SECTOR_HEADER;
      let torn = false;
      while (pos + RECORD_HEADER <= size) {
        const at = s * size + pos;
        this.area.read(at, staging, 0, RECORD_HEADER);
        let erased = true;
        for (let k = 0; k < RECORD_HEADER; k++) if (staging[k] !== 0xff) erased = false;
        if (erased) break;
        const type = staging[0];
        const flags = staging[1];
        const bodyLength = (staging[2] << 8) | staging[3];
        if (!isRecordType(type) || !validFlags(type, flags) || pos + paddedLength(bodyLength) > size) {
          torn = true;
          break;
        }
        if (bodyLength > 0) this.area.read(at + RECORD_HEADER, staging, RECORD_HEADER, bodyLength);
        if (getU32(staging, 8) !== crcEnd(crcAdd(crcAdd(CRC_START, staging, 0, 8), staging, RECORD_HEADER, RECORD_HEADER + bodyLength))) {
          torn = true;
          break;
        }
        sink(type, flags, getU32(staging, 4), at, bodyLength);
        pos += paddedLength(bodyLength);
      }
      this.active = s;
      this.writeAt = torn ? size : pos;
    }
  }
}
