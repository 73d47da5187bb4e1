// The `time` module on Node (modules/base/time/time.js, modTime.c): Time.ticks is the device's millisecond
// clock, modMilliseconds() as a 32-bit signed integer: it counts from boot and wraps negative after
// 2^31 ms (24.8 days), so elapsed times must be taken as ((now - then) | 0), never compared raw.
// setTicks() (simulator only) moves the clock, e.g. to just before the wrap.
// Time.set(seconds), timezone and dst keep their values (they cannot move Node's Date).
const boot = performance.now();
let offset = 0;
let wallClock: number | undefined;
let timezone = 0;
let dst = 0;

/** Simulator only: makes Time.ticks read `ticks` now (and count on from there). */
export function setTicks(ticks: number): void {
  offset = ticks - Math.floor(performance.now() - boot);
}

/** Simulator only: the seconds last given to Time.set(), if any. */
export function wallClockSet(): number | undefined {
  return wallClock;
}

const Time = Object.freeze({
  get ticks(): number {
    return (Math.floor(performance.now() - boot) + offset) | 0;
  },
  set(seconds: number): void {
    wallClock = Number(seconds) | 0;
  },
  get timezone(): number {
    return timezone;
  },
  set timezone(seconds: number) {
    timezone = Number(seconds) | 0;
  },
  get dst(): number {
    return dst;
  },
  set dst(seconds: number) {
    dst = Number(seconds) | 0;
  },
});

export default Time;
