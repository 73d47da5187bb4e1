/**
 * What comes in: the receive buffer, framing and decoding (codec/), and the skipping of a PUBLISH over
 * maxPacketSize. Such a PUBLISH never needs to be buffered whole: its bytes are dropped as they arrive,
 * keeping only its topic length and packet id, so it can be acknowledged and reported while the
 * connection stays (a broker that resends it after every reconnect would otherwise loop forever).
 */
import { decodePacket } from "../codec/decode.js";
import { FrameReader } from "../codec/frame.js";
import { IncomingPacket, PacketType, ProtocolVersion } from "../codec/packet.js";
import { ByteRing } from "../codec/ring.js";
import { DecodeError } from "../codec/status.js";

/** next()'s answers besides a packet's length and a DecodeError. */
export const NOTHING = 0;
/** A PUBLISH over maxPacketSize went by whole: skippedQos and skippedId say how to acknowledge it. */
export const SKIPPED = -1000;

export class Input {
  readonly rx: ByteRing;
  /** A DataView of the receive buffer, made once: topic names are checked and matched there in words (topic.ts). */
  readonly words: DataView;
  readonly frame: FrameReader;
  readonly packet = new IncomingPacket();
  /** The length of the packet next() returned, consumed by done(). */
  private length = 0;
  /** Skipping: body bytes left, bytes of the body seen (together, the body's length), the topic length, and what an ack needs. */
  private skipLeft = 0;
  private skipSeen = 0;
  private skipTopic = 0;
  private skipping = false;
  private skipped = false;
  skippedQos = 0;
  skippedId = 0;

  constructor(
    receiveBufferSize: number,
    maxPacketSize: number,
    private readonly version: ProtocolVersion = ProtocolVersion.V311,
    storage?: Uint8Array,
  ) {
    this.rx = new ByteRing(receiveBufferSize, storage);
    const buffer = this.rx.buffer;
    this.words = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.frame = new FrameReader(maxPacketSize);
    this.frame.protocolVersion = version;
  }

  /** A packet is being handled: its bytes (and the message view on them) must not move. */
  busy = false;

  /** Contiguous bytes free at rx.tail (compacted first if that frees more, unless a packet is being handled). */
  space(): number {
    const rx = this.rx;
    if (rx.tail === rx.capacity && rx.head > 0 && !this.busy) rx.compact();
    return rx.capacity - rx.tail;
  }

  /**
   * The next thing received: a packet's length (decoded into `packet`; call done() once handled),
   * SKIPPED (call skipDone() once acknowledged), NOTHING yet, or a DecodeError.
   */
  next(): number {
    if (this.skipped) return SKIPPED;
    const rx = this.rx;
    if (this.skipping) return this.skip();
    if (rx.tail === rx.head) return NOTHING; // every packet handled: no framing call to find that out
    const length = this.frame.read(rx.buffer, rx.head, rx.tail);
    // 3.1.1 announces no limit, so a PUBLISH over ours is skipped; at 5.0 the broker was told our Maximum
    // Packet Size and sending more is a Protocol Error (§3.1.2.11.4): it closes with 0x95, as any packet would.
    if (length === DecodeError.PacketTooLarge && this.frame.type === PacketType.Publish && this.version !== ProtocolVersion.V5) {
      // Its header is whole: drop it, then the body as it comes.
      const frame = this.frame;
      this.skipping = true;
      this.skipLeft = frame.remainingLength;
      this.skipSeen = 0;
      this.skipTopic = 0;
      this.skippedQos = (frame.flags >> 1) & 3;
      this.skippedId = 0;
      rx.consume(frame.bodyOffset - rx.head);
      return this.skip();
    }
    if (length <= 0) return length;
    const status = decodePacket(rx.buffer, this.frame, this.packet, this.version, this.words);
    if (status < 0) return status;
    this.length = length;
    return length;
  }

  /** Whether anything received waits to be handled (bytes, or a skipped PUBLISH not yet acknowledged). */
  waiting(): boolean {
    return this.skipped || this.rx.tail > this.rx.head;
  }

  /** The packet next() returned was handled. */
  done(): void {
    this.rx.consume(this.length);
    this.length = 0;
  }

  /** The skipped PUBLISH was acknowledged. */
  skipDone(): void {
    this.skipped = false;
  }

  /**
   * Drops the skipped PUBLISH's bytes that are here, reading its topic length (the first two body bytes)
   * and packet id (the two after the topic, QoS 1/2) on the way.
   */
  private skip(): number {
    const rx = this.rx;
    const buf = rx.buffer;
    while (this.skipLeft > 0 && rx.tail > rx.head) {
      const seen = this.skipSeen;
      const idAt = 2 + this.skipTopic;
      if (seen < 2 || (this.skippedQos > 0 && seen >= idAt && seen < idAt + 2)) {
        const b = buf[rx.head];
        if (seen < 2) this.skipTopic = (this.skipTopic << 8) | b;
        else this.skippedId = (this.skippedId << 8) | b;
        rx.consume(1);
        this.skipSeen++;
        this.skipLeft--;
        if (this.skipSeen === 2 && this.skipTopic + (this.skippedQos > 0 ? 2 : 0) > this.skipLeft) {
          this.skipping = false;
          return DecodeError.LengthMismatch; // the topic runs past the packet
        }
        continue;
      }
      // Bytes nobody reads: up to the packet id, or to the end.
      const until = this.skippedQos > 0 && seen < idAt ? idAt - seen : this.skipLeft;
      const here = rx.tail - rx.head;
      const n = until < here ? until : here;
      rx.consume(n);
      this.skipSeen += n;
      this.skipLeft -= n;
    }
    if (this.skipLeft > 0) return NOTHING;
    this.skipping = false;
    if (this.skippedQos > 0 && this.skippedId === 0) return DecodeError.ZeroPacketId; // [MQTT-2.3.1-1]
    this.skipped = true;
    return SKIPPED;
  }

  /** A new connection: nothing carried over. */
  clear(): void {
    this.rx.clear();
    this.length = 0;
    this.skipping = false;
    this.skipped = false;
  }
}
