/**
 * Keepalive (§3.1.2.10): a PINGREQ when nothing was sent, or nothing received, for a keepalive period
 * [MQTT-3.1.2-23] (the second makes a link that only carries our QoS 0 publishes detectably dead, as
 * coreMQTT does), and a deadline for its PINGRESP.
 */
export class Keepalive {
  lastSent = 0;
  lastReceived = 0;
  /** When the PINGREQ awaiting its PINGRESP was queued, or -1. */
  pingSentAt = -1;
  /** A PINGREQ is due and not yet written whole. */
  pingOwed = false;

  constructor(
    /** Milliseconds; 0: off. 5.0: the Server Keep Alive replaces it (use()). */
    private period: number,
    private readonly pingTimeout: number,
  ) {}

  /** 5.0: the keepalive period this connection runs on (the server's, or ours), in milliseconds. */
  use(period: number): void {
    this.period = period;
  }

  /** A connection opens. */
  reset(now: number): void {
    this.lastSent = this.lastReceived = now;
    this.pingSentAt = -1;
    this.pingOwed = false;
  }

  /** Whether the PINGREQ sent has gone unanswered for pingTimeout. */
  expired(now: number): boolean {
    return this.pingSentAt >= 0 && now >= this.pingSentAt + this.pingTimeout;
  }

  /** Queues a PINGREQ if one is due now. */
  check(now: number): void {
    const period = this.period;
    if (period === 0 || this.pingSentAt >= 0) return;
    if (now - this.lastSent >= period || now - this.lastReceived >= period) {
      this.pingSentAt = now;
      this.pingOwed = true;
    }
  }

  /** When check() or expired() next has something to do, or Infinity. */
  deadline(): number {
    if (this.pingSentAt >= 0) return this.pingSentAt + this.pingTimeout;
    if (this.period === 0) return Infinity;
    return (this.lastSent < this.lastReceived ? this.lastSent : this.lastReceived) + this.period;
  }

  pingresp(): void {
    this.pingSentAt = -1;
    this.pingOwed = false;
  }
}
