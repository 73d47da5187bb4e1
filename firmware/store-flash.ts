/**
 * The store's flash on a device: the module `flash` (the Moddable SDK's modules/files/flash on ESP32, where
 * `new Flash("storage")` opens the data partition of that name with esp_partition_find_first and
 * `blockSize` is SPI_FLASH_SEC_SIZE, 4,096; on the Pico and lin our own with the same class,
 * firmware/native/: the SDK's storage area of the Pico's flash, a file on lin). Chosen over littlefs because
 * the log needs to know what a power cut can leave (a prefix of one write, a sector erased whole) and how
 * often each sector is erased; a file system in between decides both itself. Its write takes a byte count
 * and writes from the start of an ArrayBuffer, so the store's staging buffer goes with no new view; its
 * read returns a new ArrayBuffer (start-up and the collector's copies only).
 */
import type { FlashArea } from "./mqtt/store/flash-area.js";

/** A Flash instance (the SDK's modules/files/flash/flash.js, or firmware/native/flash.js). */
export interface SdkFlash {
  read(offset: number, byteLength: number): ArrayBuffer;
  write(offset: number, byteLength: number, buffer: ArrayBuffer): void;
  erase(sector: number): void;
  readonly byteLength: number;
  readonly blockSize: number;
}

/**
 * A FlashArea over the first `size` bytes of an SDK flash partition (all of it by default).
 * @throws RangeError when the partition is smaller than `size`
 */
export function sdkFlashArea(flash: SdkFlash, size = flash.byteLength): FlashArea {
  const sectorSize = flash.blockSize;
  if (!(size > 0) || size > flash.byteLength) throw new RangeError(`store: the partition has ${flash.byteLength} bytes, not ${size}`);
  return {
    size: size - (size % sectorSize),
    sectorSize,
    read(offset, into, at, length) {
      into.set(new Uint8Array(flash.read(offset, length)), at);
    },
    write(offset, from, at, length) {
      if (at !== 0 || from.byteOffset !== 0) throw new RangeError("store: writes go from the start of a buffer");
      flash.write(offset, length, from.buffer as ArrayBuffer);
    },
    erase(sector) {
      flash.erase(sector);
    },
  };
}
