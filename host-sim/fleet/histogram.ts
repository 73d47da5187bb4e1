/**
 * A histogram of times in whole milliseconds (1 ms buckets up to a minute, one bucket above), for the
 * fleet's latency and connect-time percentiles. Cumulative: a window's figures are the difference of two
 * copies (since()), so the 5-second reports and the final one come from the same counts.
 */

/** Buckets 0 to LIMIT_MS - 1 ms; everything from LIMIT_MS up falls in the last one. */
export const LIMIT_MS = 60_000;

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  /** The highest bucket with a count (LIMIT_MS: a minute or more). */
  max: number;
}

export class Histogram {
  readonly counts: Uint32Array;
  count = 0;

  constructor(counts?: Uint32Array) {
    this.counts = counts ?? new Uint32Array(LIMIT_MS + 1);
    if (counts) for (let i = 0; i < counts.length; i++) this.count += counts[i];
  }

  /** One time, ms; negative (a clock stepped back) counts as 0. */
  add(ms: number): void {
    const bucket = ms <= 0 ? 0 : ms >= LIMIT_MS ? LIMIT_MS : Math.floor(ms);
    this.counts[bucket]++;
    this.count++;
  }

  copy(): Histogram {
    return new Histogram(this.counts.slice());
  }

  /** What was added after `earlier` (a copy of this one taken before). */
  since(earlier: Histogram): Histogram {
    const counts = new Uint32Array(this.counts.length);
    for (let i = 0; i < counts.length; i++) counts[i] = this.counts[i] - earlier.counts[i];
    return new Histogram(counts);
  }

  /** The smallest bucket at or below which a fraction `q` of the times fall (nearest rank). */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return i;
    }
    return LIMIT_MS;
  }

  percentiles(): Percentiles {
    let max = NaN;
    for (let i = this.counts.length - 1; i >= 0; i--) {
      if (this.counts[i] > 0) {
        max = i;
        break;
      }
    }
    return { count: this.count, p50: this.quantile(0.5), p90: this.quantile(0.9), p99: this.quantile(0.99), max };
  }
}
