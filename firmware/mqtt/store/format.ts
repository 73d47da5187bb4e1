/**
 * The store's bytes on flash: an append-only log over sectors, each record whole or ignored.
 *
 *   sector  = header(16) record*  0xFF...                 records never span sectors
 *   header  = "MQS1" seq:u32 0:u32 crc32(bytes 0..12):u32  seq orders the sectors; 0 in "MQS1": retired
 *   record  = type:u8 flags:u8 bodyLength:u16 message:u32 crc32(bytes 0..8 + body):u32 body, padded to 4
 *   Publish = deadline:u32 expiryAt:u16 0:u16 packet      the PUBLISH as encoded (DUP 0), its packet id inside
 *   Release (PUBREC came: PUBREL owed) and End (acknowledged, dropped or expired) have no body.
 *
 * All numbers big-endian. flags: bits 0-1 QoS, bit 2 released (a Publish copied by the collector after its
 * PUBREC). `message` is the store's own sequence number for the message, unique and rising. A power cut at
 * any byte of a write leaves a record whose CRC fails (or an erased header): the scan stops there.
 */
export const SECTOR_HEADER = 16;
export const RECORD_HEADER = 12;
/** Publish body bytes before the packet. */
export const PUBLISH_PREFIX = 8;
export const MAGIC = 0x4d515331; // "MQS1"

export const RecordType = Object.freeze({
  Publish: 0x50, // 'P'
  Release: 0x52, // 'R'
  End: 0x45, // 'E'
} as const);

export const FLAG_RELEASED = 4;
/** deadline when the message has no Message Expiry Interval, or no wall clock said when it runs out. */
export const NO_DEADLINE = 0xffffffff;

/** A record's bytes on flash, padded to 4. */
export function paddedLength(bodyLength: number): number {
  return (RECORD_HEADER + bodyLength + 3) & ~3;
}

export function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

export function getU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

export function isRecordType(type: number): boolean {
  return type === RecordType.Publish || type === RecordType.Release || type === RecordType.End;
}

/** Flags a record may carry: a QoS 0-2, and released only on a QoS 2 Publish. */
export function validFlags(type: number, flags: number): boolean {
  if ((flags & ~7) !== 0 || (flags & 3) === 3) return false;
  return (flags & FLAG_RELEASED) === 0 || (type === RecordType.Publish && (flags & 3) === 2);
}
