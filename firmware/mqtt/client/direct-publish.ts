/**
 * The QoS 0 PUBLISH without a record: publish()'s hot path for a topic handle and a Uint8Array payload
 * with no properties while nothing else is owed (issue 16: a QoS 0 publish within 2x the codec's encode).
 * It is encoded at the empty outbox's start and handed to the output as the run of one it would be
 * (Output's Source.Direct); if anything comes between before it is written, the output makes it the record
 * it stands for (Outbound.addDirect), so what goes out, and in what order, is as publish() would have it.
 */
import type { Outbox } from "./outbox.js";
import type { ServerLimits } from "./server-limits.js";
import type { ClientStats } from "./stats.js";
import { copyBytes } from "../codec/wire.js";
import { TopicHandle } from "./topic-handle.js";

const U8 = Uint8Array;

/** What the direct path needs of the output (output.ts): no import back up. */
export interface DirectOutput {
  /** Takes a PUBLISH of `size` bytes at the outbox's start as its next run; false if something is owed first. */
  direct(size: number): boolean;
}

export class DirectPublish {
  /** The most Remaining Length a direct PUBLISH has: one byte of it (127), and the outbox holds it. */
  private readonly maxRemaining: number;
  /** 1 in 5.0 (the empty property block is one byte), else 0. */
  private readonly v5Byte: number;

  /**
   * @param enabled - the plain RAM outbox (a flash store writes a record per message) and no outgoing
   *   Topic Aliases (an alias is chosen per record)
   */
  constructor(
    private readonly outbox: Outbox,
    private readonly output: DirectOutput,
    private readonly limits: ServerLimits,
    private readonly stats: ClientStats,
    v5: boolean,
    private readonly enabled: boolean,
  ) {
    this.v5Byte = v5 ? 1 : 0;
    this.maxRemaining = outbox.capacity - 2 < 127 ? outbox.capacity - 2 : 127;
  }

  /**
   * A QoS 0 publish() without properties (the client checked those): 0 when it went this way, else 1
   * (Outbound.publish() then does all, and reports what was wrong). Checked in a few comparisons (a
   * constructor compared costs 4 computrons on XS, instanceof 17): a handle (its bytes were checked when it
   * was made), a Uint8Array payload (a valid range of it), nothing queued (the outbox is empty, so its
   * bytes start at 0) and nothing owed before it (the output's answer).
   */
  publish(topic: TopicHandle | string, payload: Uint8Array | string, retain: boolean, offset: number, length: number): number {
    const outbox = this.outbox;
    if (outbox.first < 0 && this.enabled) {
      const handle = topic as TopicHandle;
      const bytes = payload as Uint8Array;
      if (handle?.constructor === TopicHandle && bytes?.constructor === U8) {
        let payloadLength = bytes.length;
        const whole = offset === 0 && length === -1;
        if (!whole) {
          // Integers in range, else publish() refuses them: (x | 0) === x is false for NaN, fractions and non-numbers.
          if ((offset | 0) !== offset || offset < 0 || offset > payloadLength) return 1;
          if (length === -1) payloadLength -= offset;
          else if ((length | 0) !== length || length < 0 || offset + length > payloadLength) return 1;
          else payloadLength = length;
        }
        const name = handle.bytes;
        const topicLength = name.length;
        const v5 = this.v5Byte;
        const remaining = 2 + topicLength + v5 + payloadLength; // §3.3.2: topic, 5.0's empty property block, payload
        const size = remaining + 2;
        const limits = this.limits;
        // 5.0: within the server's Maximum Packet Size [MQTT-3.2.2-15], retained only if it has Retain [MQTT-3.2.2-14].
        if (remaining <= this.maxRemaining && size <= limits.maximumPacketSize && (retain === false || (retain === true && limits.retainAvailable))) {
          // Encoded first: the outbox is empty, so its start is free either way; if the output is not
          // idle, Outbound.publish() encodes it again as a record.
          const buf = outbox.bytes;
          buf[0] = retain ? 0x31 : 0x30; // §3.3.1: PUBLISH, QoS 0, no DUP [MQTT-3.3.1-2]
          buf[1] = remaining; // one byte of Remaining Length
          buf[2] = topicLength >>> 8;
          buf[3] = topicLength & 0xff;
          buf.set(name, 4);
          const at = 4 + topicLength;
          if (v5 === 1) buf[at] = 0; // no properties
          if (whole) buf.set(bytes, at + v5);
          else copyBytes(buf, at + v5, bytes, offset, payloadLength);
          if (this.output.direct(size)) {
            const stats = this.stats;
            stats.published++;
            stats.queued++;
            return 0;
          }
        }
      }
    }
    return 1;
  }
}
