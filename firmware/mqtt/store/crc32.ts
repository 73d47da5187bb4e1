/**
 * CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), the checksum of every store record: a record
 * cut off by a power loss at any byte fails it (but for 1 in 2^32). Table-driven: one lookup per byte;
 * the table is made once (a preloaded module keeps it read-only in flash).
 */
const TABLE = makeTable();

function makeTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** The running CRC before any byte. */
export const CRC_START = 0xffffffff;

/** Adds bytes[from, to) to a running CRC (start with CRC_START; finish with crcEnd). */
export function crcAdd(crc: number, bytes: Uint8Array, from: number, to: number): number {
  const table = TABLE;
  for (let i = from; i < to; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return crc;
}

export function crcEnd(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

/** The CRC-32 of bytes[from, to). */
export function crc32(bytes: Uint8Array, from: number, to: number): number {
  return crcEnd(crcAdd(CRC_START, bytes, from, to));
}
