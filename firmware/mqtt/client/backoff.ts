/**
 * Reconnect delays: exponential backoff with jitter, a delay in [d/2, d) for d = reconnectPeriod * 2^n
 * after n failures, capped at reconnectPeriodMax; a connection that lasted stableAfter starts it afresh.
 */
export class Backoff {
  private attempts = 0;

  constructor(
    private readonly period: number,
    private readonly max: number,
    private readonly random: () => number,
  ) {}

  /** The delay before the next attempt; counts the attempt. */
  next(): number {
    let delay = this.period;
    for (let i = 0; i < this.attempts && delay < this.max; i++) delay *= 2;
    if (delay > this.max) delay = this.max;
    this.attempts++;
    return Math.floor(delay / 2 + this.random() * (delay / 2));
  }

  reset(): void {
    this.attempts = 0;
  }
}
