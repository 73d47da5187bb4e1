/**
 * A board's flash partition in the simulator, with the SDK's `flash` module API (modules/files/flash:
 * `new Flash(partition)`, read(offset, byteLength) -> ArrayBuffer, write(offset, byteLength, buffer),
 * erase(sector), byteLength, blockSize; its ESP32 build wraps esp_partition_read/write/erase_range) and
 * NOR semantics: erase sets a sector to 0xFF, a write can only clear bits (the chip ANDs; `strict`, the
 * default, refuses a write that would set one, to catch a store that relies on it). Out-of-range calls
 * throw Error("read failed" | "write failed" | "erase failed") as the SDK's do. Backed by a file per board
 * (write-through), so a new device app over the same file finds what the old one wrote.
 *
 * The power-cut fault: cutAfter(n) lets n more bytes be programmed; the write that crosses it stops at
 * that byte (the byte itself half-programmed: some of its bits cleared), the flash takes no further write
 * or erase, onCut runs (the simulator freezes the board's network and reboots it) and the write throws
 * PowerCut: the firmware's call chain ends there, as the CPU would.
 *
 * The write fault (the power stays on): failWrites(after, count, programmed) makes `count` writes, the
 * first `after` writes from now, throw Error("write failed") as the SDK's does when esp_partition_write
 * fails, each after programming `programmed` of its bytes (0: none; a part: a torn record; all of them:
 * a chip that says no after writing); failErases(count) makes the next erases throw Error("erase failed").
 */
import { closeSync, existsSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";

export class PowerCut extends Error {
  override name = "PowerCut";
}

export interface SimFlashOptions {
  /** Bytes of the partition: a whole number of blocks. */
  size: number;
  /** Erase block (sector) size. Default 4,096 (SPI_FLASH_SEC_SIZE on ESP32, FLASH_SECTOR_SIZE on RP2040). */
  blockSize?: number;
  /** A file that holds the partition across device instances (created erased); default: memory only. */
  path?: string;
  /** Refuse writes that would set a bit (default true). */
  strict?: boolean;
  /** For the half-programmed byte of a cut (default Math.random). */
  random?: () => number;
}

export class FlashStats {
  bytesWritten = 0;
  writes = 0;
  erases = 0;
  reads = 0;
  /** Writes and erases the write fault refused. */
  failedWrites = 0;
  failedErases = 0;
  /** Erases per block: the wear. */
  readonly eraseCounts: Uint32Array;
  constructor(blocks: number) {
    this.eraseCounts = new Uint32Array(blocks);
  }
}

export class SimFlash {
  readonly byteLength: number;
  readonly blockSize: number;
  readonly stats: FlashStats;
  /** Set by a power cut: nothing more is written or erased. */
  dead = false;
  /** The write a cut stopped: where, how long, how many bytes went whole, its first byte (a record's type). */
  cutWrite: { offset: number; length: number; written: number; first: number } | null = null;
  /** Called once when a cut happens, before the write throws. */
  onCut: (() => void) | null = null;
  private readonly bytes: Uint8Array;
  private readonly fd: number | null;
  private readonly strict: boolean;
  private readonly random: () => number;
  private budget = Infinity;
  private failIn = -1;
  private failCount = 0;
  private failProgrammed = 0;
  private eraseFailures = 0;

  constructor(options: SimFlashOptions) {
    const blockSize = options.blockSize ?? 4096;
    if (!(options.size > 0) || options.size % blockSize !== 0) throw new RangeError(`flash: size ${options.size} is not a whole number of ${blockSize}-byte blocks`);
    this.byteLength = options.size;
    this.blockSize = blockSize;
    this.strict = options.strict ?? true;
    this.random = options.random ?? Math.random;
    this.stats = new FlashStats(options.size / blockSize);
    this.bytes = new Uint8Array(options.size).fill(0xff);
    this.fd = null;
    if (options.path !== undefined) {
      const fresh = !existsSync(options.path);
      this.fd = openSync(options.path, fresh ? "w+" : "r+");
      if (fresh) {
        ftruncateSync(this.fd, 0);
        writeSync(this.fd, this.bytes, 0, this.bytes.length, 0);
      } else readSync(this.fd, this.bytes, 0, this.bytes.length, 0);
    }
  }

  /** The power goes after `bytes` more bytes are programmed (0: at the next write's first byte). */
  cutAfter(bytes: number): void {
    this.budget = bytes;
  }

  /**
   * The write `after` writes from now (0: the next) and the `count - 1` after it throw Error("write
   * failed"), each having programmed `programmed` of its bytes first (Infinity: all).
   */
  failWrites(after: number, count = 1, programmed = 0): void {
    this.failIn = after;
    this.failCount = count;
    this.failProgrammed = programmed;
  }

  /** The next `count` erases throw Error("erase failed") and erase nothing. */
  failErases(count = 1): void {
    this.eraseFailures = count;
  }

  /** Power back: a new device instance may write again (the simulator calls it before the reboot). */
  powerOn(): void {
    this.dead = false;
    this.budget = Infinity;
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    if (!(offset >= 0 && byteLength >= 0 && offset + byteLength <= this.byteLength)) throw new Error("read failed");
    this.stats.reads++;
    return this.bytes.slice(offset, offset + byteLength).buffer;
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer): void {
    if (!(buffer instanceof ArrayBuffer) || !(offset >= 0 && byteLength >= 0 && offset + byteLength <= this.byteLength && byteLength <= buffer.byteLength)) throw new Error("write failed");
    if (this.dead) return;
    const data = new Uint8Array(buffer, 0, byteLength);
    const bytes = this.bytes;
    if (this.strict) {
      for (let k = 0; k < byteLength; k++) {
        if ((data[k] & ~bytes[offset + k] & 0xff) !== 0) throw new RangeError(`flash: a write would set bits only an erase sets (0 -> 1) at offset ${offset + k}`);
      }
    }
    if (this.failCount > 0 && this.failIn-- <= 0) {
      this.failCount--;
      this.failIn = 0;
      const part = Math.min(byteLength, this.failProgrammed);
      for (let k = 0; k < part; k++) bytes[offset + k] &= data[k];
      this.persist(offset, part);
      this.stats.failedWrites++;
      throw new Error("write failed");
    }
    const whole = byteLength <= this.budget ? byteLength : this.budget;
    for (let k = 0; k < whole; k++) bytes[offset + k] &= data[k];
    this.stats.writes++;
    this.stats.bytesWritten += whole;
    if (whole === byteLength) {
      this.budget -= byteLength;
      this.persist(offset, byteLength);
      return;
    }
    // The cut: the byte at `whole` is half-programmed (some of the bits it clears are cleared).
    bytes[offset + whole] &= data[whole] | (Math.floor(this.random() * 256) & 0xff);
    this.cutWrite = { offset, length: byteLength, written: whole, first: data[0] };
    this.persist(offset, whole + 1);
    this.cut();
  }

  erase(sector: number): void {
    if (!((sector | 0) === sector && sector >= 0 && sector < this.byteLength / this.blockSize)) throw new Error("erase failed");
    if (this.dead) return;
    if (this.eraseFailures > 0) {
      this.eraseFailures--;
      this.stats.failedErases++;
      throw new Error("erase failed");
    }
    const at = sector * this.blockSize;
    this.bytes.fill(0xff, at, at + this.blockSize);
    this.stats.erases++;
    this.stats.eraseCounts[sector]++;
    this.persist(at, this.blockSize);
  }

  /** Closes the backing file. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
  }

  /** A copy of the partition (tests). */
  snapshot(): Uint8Array {
    return this.bytes.slice();
  }

  private persist(offset: number, length: number): void {
    if (this.fd !== null && length > 0) writeSync(this.fd, this.bytes, offset, length, offset);
  }

  private cut(): void {
    this.dead = true;
    this.budget = Infinity;
    this.onCut?.();
    throw new PowerCut("power cut");
  }
}

export default SimFlash;
