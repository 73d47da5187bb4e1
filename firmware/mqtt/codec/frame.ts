/**
 * Incremental framing (§2.2): finds where the next packet starts and ends in the receive buffer, from
 * however few bytes have arrived, and checks the fixed header before any of the body is needed.
 */
import { PacketType } from "./packet.js";
import { DecodeError } from "./status.js";

/** FrameReader.read's answer when the bytes so far do not yet hold a whole packet. */
export const FRAME_INCOMPLETE = 0;

/**
 * §2.2.2 Table 2.2: the fixed-header flags each packet type must carry, by type; -1 for PUBLISH, whose
 * flags are DUP, QoS and RETAIN, and for the reserved type 0; AUTH (15, 5.0 only) has 0.
 */
const REQUIRED_FLAGS = Object.freeze([-1, 0, 0, -1, 0, 0, 0b0010, 0, 0b0010, 0, 0b0010, 0, 0, 0, 0, 0]);

export class FrameReader {
  /** The largest whole packet (fixed header included) that will be accepted; set from the options. */
  maxPacketSize: number;
  /** 5: AUTH (type 15) is a packet; 4 (3.1.1): it is reserved. */
  protocolVersion = 4;
  /** Fields of the last packet header read. */
  type = 0;
  flags = 0;
  remainingLength = 0;
  /** Offset of the variable header (the first byte after the Remaining Length). */
  bodyOffset = 0;

  constructor(maxPacketSize: number) {
    this.maxPacketSize = maxPacketSize;
  }

  /**
   * Reads the fixed header at `buf[start..end)`. Returns the whole packet's length when all of it is
   * there, FRAME_INCOMPLETE when more bytes are needed, or a negative DecodeError. Errors are found as
   * soon as the bytes that show them arrive: a packet over maxPacketSize is refused from its header
   * alone, before any of its body is buffered.
   */
  read(buf: Uint8Array, start: number, end: number): number {
    if (end <= start) return FRAME_INCOMPLETE;
    const first = buf[start];
    const type = first >> 4;
    const flags = first & 0x0f;
    const required = REQUIRED_FLAGS[type];
    if (type === 0 || (type === 15 && this.protocolVersion !== 5)) return DecodeError.ReservedPacketType; // §2.2.1 reserved types
    if (required >= 0 && flags !== required) return DecodeError.ReservedFlags; // [MQTT-2.2.2-1] [MQTT-2.2.2-2]
    if (type === PacketType.Publish && (flags & 0b0110) === 0b0110) return DecodeError.InvalidQoS; // [MQTT-3.3.1-4]

    // §2.2.3 Remaining Length: 7 bits a byte, least significant first, at most four bytes. One byte (under
    // 128) is the common case, read without the loop (on XS 154 computrons a frame, 173 with it).
    let at = start + 1;
    if (at >= end) return FRAME_INCOMPLETE;
    let value = buf[at++];
    if (value > 0x7f) {
      value &= 0x7f;
      let multiplier = 128;
      for (;;) {
        if (at >= end) return FRAME_INCOMPLETE;
        const byte = buf[at++];
        value += (byte & 0x7f) * multiplier;
        if ((byte & 0x80) === 0) break;
        if (at - start > 4) return DecodeError.MalformedRemainingLength; // a fifth byte would follow
        multiplier *= 128;
      }
    }
    const packetLength = at - start + value;
    this.type = type;
    this.flags = flags;
    this.remainingLength = value;
    this.bodyOffset = at;
    // Refused from its header alone; type, flags and lengths stay readable (a PUBLISH can be skipped).
    if (packetLength > this.maxPacketSize) return DecodeError.PacketTooLarge;
    return end - start >= packetLength ? packetLength : FRAME_INCOMPLETE;
  }
}
