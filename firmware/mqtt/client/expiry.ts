/**
 * 5.0's Message Expiry Interval (§3.3.2.3.3) for the messages in the outbox: stamped when published,
 * counted down in the PUBLISH when it goes (what is left of it, [MQTT-3.3.2-6] on the server's side), and
 * a message that runs out before it goes is dropped, counted and reported. Time is the transport's clock,
 * as the client last saw it (poll, written, received).
 */
import { ClientError } from "./errors.js";
import type { AppEvents } from "./events.js";
import { NONE, RecordState, type Outbox } from "./outbox.js";
import type { ClientStats } from "./stats.js";

export class Expiry {
  /** The last time the transport gave the client. */
  clock = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly events: AppEvents,
    private readonly stats: ClientStats,
  ) {}

  /** Record `i` carries a Message Expiry Interval of `seconds`, its four bytes `at` bytes into the record. */
  stamp(i: number, at: number, seconds: number): void {
    const outbox = this.outbox;
    outbox.expiryAt[i] = at;
    outbox.expiresAt[i] = this.clock + seconds * 1000;
    outbox.expiring++;
  }

  /** Writes what is left of record `i`'s interval into its PUBLISH, at least 1 s (one that ran out is dropped by expire()). */
  countDown(i: number): void {
    const outbox = this.outbox;
    const left = Math.ceil((outbox.expiresAt[i] - this.clock) / 1000);
    const seconds = left < 1 ? 1 : left;
    const at = outbox.offset[i] + outbox.expiryAt[i];
    const bytes = outbox.bytes;
    bytes[at] = (seconds / 0x1000000) & 0xff;
    bytes[at + 1] = (seconds >>> 16) & 0xff;
    bytes[at + 2] = (seconds >>> 8) & 0xff;
    bytes[at + 3] = seconds & 0xff;
  }

  /**
   * Drops the messages not yet sent whose interval ran out by `now`: counted (expired), reported through
   * onError (MessageExpired) and, at QoS 1/2, onUnconfirmed. Walks the outbox only when some message has one.
   */
  expire(now: number): void {
    this.clock = now;
    const outbox = this.outbox;
    if (outbox.expiring === 0) return;
    for (let i = outbox.first; i !== NONE; ) {
      const next = outbox.next[i];
      if (outbox.state[i] === RecordState.Queued && outbox.expiresAt[i] <= now) {
        const packetId = outbox.packetId[i];
        const qos = outbox.qos[i];
        outbox.remove(i);
        this.stats.expired++;
        this.events.error(ClientError.MessageExpired);
        if (qos > 0) this.events.unconfirmed(packetId);
      }
      i = next;
    }
  }

  /** When the next message not yet sent runs out, or Infinity. */
  deadline(): number {
    const outbox = this.outbox;
    if (outbox.expiring === 0) return Infinity;
    let soonest = Infinity;
    for (let i = outbox.first; i !== NONE; i = outbox.next[i]) {
      if (outbox.state[i] === RecordState.Queued && outbox.expiresAt[i] < soonest) soonest = outbox.expiresAt[i];
    }
    return soonest;
  }
}
