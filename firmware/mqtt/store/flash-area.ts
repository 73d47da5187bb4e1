/**
 * What the store needs of a flash device: NOR semantics (an erased byte reads 0xFF, a write can only clear
 * bits, a sector is erased whole). The store's core does no I/O import: an adapter over the device's flash
 * (firmware/store-flash.ts over the SDK's `flash` module; host-sim/device/flash.ts in the simulator; a
 * Uint8Array in tests) is passed in.
 */
export interface FlashArea {
  /** Bytes of the area: a whole number of sectors, from offset 0. */
  readonly size: number;
  /** Bytes a sector erase clears (the SDK's `blockSize`: 4,096 on ESP32 and RP2040). */
  readonly sectorSize: number;
  /** Copies `length` bytes at `offset` into `into[at ...]`. */
  read(offset: number, into: Uint8Array, at: number, length: number): void;
  /** Programs `length` bytes of `from[at ...]` at `offset` (the store gives at = 0). */
  write(offset: number, from: Uint8Array, at: number, length: number): void;
  /** Erases sector `sector` (offset sector * sectorSize) to 0xFF. */
  erase(sector: number): void;
}
