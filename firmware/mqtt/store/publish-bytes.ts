/**
 * Reading a PUBLISH the outbox holds (encoded by codec/packets/publish.ts) in place: where its topic is,
 * and, in 5.0, where its Message Expiry Interval is (written first among the properties).
 */

/** Offset of the topic's 2-byte length: after the fixed header's type byte and Remaining Length. */
export function topicAt(bytes: Uint8Array, offset: number): number {
  let at = offset + 1;
  while ((bytes[at] & 0x80) !== 0) at++;
  return at + 1;
}

/** Whether the topics of the PUBLISH packets at a and b are the same bytes. */
export function sameTopic(bytes: Uint8Array, a: number, b: number): boolean {
  const ta = topicAt(bytes, a);
  const tb = topicAt(bytes, b);
  const length = (bytes[ta] << 8) | bytes[ta + 1];
  if (length !== ((bytes[tb] << 8) | bytes[tb + 1])) return false;
  for (let k = 2; k < length + 2; k++) if (bytes[ta + k] !== bytes[tb + k]) return false;
  return true;
}

/** The packet identifier of a QoS 1/2 PUBLISH at `offset`. */
export function packetIdAt(bytes: Uint8Array, offset: number): number {
  const t = topicAt(bytes, offset);
  const after = t + 2 + ((bytes[t] << 8) | bytes[t + 1]);
  return (bytes[after] << 8) | bytes[after + 1];
}

/**
 * 5.0: where, from `offset`, the four bytes of the Message Expiry Interval (property 0x02) are, or 0.
 * `qos` says whether a packet id precedes the properties.
 */
export function expiryAt(bytes: Uint8Array, offset: number, qos: number): number {
  const t = topicAt(bytes, offset);
  let at = t + 2 + ((bytes[t] << 8) | bytes[t + 1]) + (qos > 0 ? 2 : 0);
  let length = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    length |= (b & 0x7f) << shift;
    shift += 7;
    if ((b & 0x80) === 0) break;
  }
  return length > 0 && bytes[at] === 0x02 ? at + 1 - offset : 0;
}

export function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}
