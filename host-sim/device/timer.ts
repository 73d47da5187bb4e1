// The `timer` module on Node, with the Moddable SDK's semantics (modules/base/timer/timer.js,
// modules/base/timer/modTimer.c, modules/base/timer/mc/timer.c):
//
// - Timer.set(callback, delay = 0, repeat = 0) and Timer.repeat(callback, interval) return an opaque timer
//   object. The callback runs with `this` = globalThis and the timer as its argument, never synchronously.
// - A repeating timer is non-drifting: each next time is the previous due time + the interval (a late
//   timer catches up).
// - A one-shot timer (repeat 0) is dead once its callback returns: Timer.clear() or Timer.schedule() on it
//   then throws. That includes a one-shot rescheduled from inside its own callback with
//   Timer.schedule(timer, ms): the repeat it gives is 0, so the timer still dies after the callback (give
//   a repeat, or call Timer.schedule(timer) (unschedule) first to keep it).
// - Timer.schedule(timer, delay, repeat = 0) reschedules a live timer (the repeat defaults to 0: a
//   repeating timer rescheduled without one becomes one-shot); Timer.schedule(timer) with no delay
//   unschedules it and keeps it alive until rescheduled or cleared.
// - Timer.clear(timer) cancels a live timer; clearing a non-object (undefined) does nothing; clearing a
//   dead timer throws. Timer.repeat(callback) without an interval is a one-shot at 0 ms.
// - Timer.delay(ms) blocks (nothing else runs meanwhile).
// Delays are converted as XS does (to a 32-bit integer; NaN is 0).
import { toInteger } from "./common.js";

/** The opaque object Timer.set / Timer.repeat return. */
export interface TimerHandle {
  readonly __timer: unique symbol;
}
export type TimerCallback = (timer: TimerHandle) => void;

interface TimerRecord {
  callback: TimerCallback;
  due: number;
  /** 0: one-shot; -1: unscheduled (kept alive); else the repeat interval. */
  repeat: number;
  unscheduled: boolean;
  node: NodeJS.Timeout | undefined;
}

const records = new WeakMap<object, TimerRecord>();

function invalid(): SyntaxError {
  return new SyntaxError("C: xsGetHostData: invalid (a timer that fired as one-shot or was cleared)");
}

function live(timer: unknown): TimerRecord {
  const record = typeof timer === "object" && timer !== null ? records.get(timer) : undefined;
  if (!record) throw invalid();
  return record;
}

function arm(handle: object, record: TimerRecord): void {
  if (record.node) clearTimeout(record.node);
  record.node = undefined;
  if (record.unscheduled) return;
  record.node = setTimeout(() => fire(handle, record), Math.max(0, record.due - performance.now()));
}

function fire(handle: object, record: TimerRecord): void {
  record.node = undefined;
  if (records.get(handle) !== record || record.unscheduled) return;
  if (performance.now() < record.due) return arm(handle, record); // Node's loop clock can fire a little early
  if (record.repeat > 0) record.due += record.repeat;
  try {
    record.callback.call(globalThis, handle as TimerHandle);
  } finally {
    if (records.get(handle) === record) {
      if (record.repeat === 0) {
        records.delete(handle); // one-shot: gone, whatever the callback did
        if (record.node) clearTimeout(record.node);
        record.node = undefined;
      } else if (!record.node) arm(handle, record);
    }
  }
}

function create(callback: unknown, delay: number, repeat: number): TimerHandle {
  if (typeof callback !== "function") throw new TypeError("Timer: callback is not a function");
  const handle = Object.freeze(Object.create(null)) as TimerHandle;
  const record: TimerRecord = {
    callback: callback as TimerCallback,
    due: performance.now() + delay,
    repeat,
    unscheduled: false,
    node: undefined,
  };
  records.set(handle, record);
  arm(handle, record);
  return handle;
}

const Timer = Object.freeze({
  set(callback: TimerCallback, delay?: number, repeat?: number): TimerHandle {
    const interval = arguments.length > 1 ? toInteger(delay) : 0;
    const again = arguments.length > 2 ? toInteger(repeat) : 0;
    return create(callback, interval, again);
  },
  repeat(callback: TimerCallback, interval: number): TimerHandle {
    const ms = toInteger(interval);
    return create(callback, ms, ms);
  },
  schedule(timer: TimerHandle, delay?: number, repeat?: number): void {
    const record = live(timer);
    if (arguments.length === 1) {
      record.unscheduled = true;
      record.repeat = -1;
    } else {
      record.due = performance.now() + toInteger(delay);
      record.repeat = arguments.length > 2 ? toInteger(repeat) : 0;
      record.unscheduled = false;
    }
    arm(timer, record);
  },
  clear(timer: TimerHandle | undefined): void {
    if (typeof timer !== "object" || timer === null) return;
    const record = live(timer);
    if (record.node) clearTimeout(record.node);
    record.node = undefined;
    records.delete(timer);
  },
  delay(ms: number): void {
    const n = toInteger(ms);
    if (n > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, n);
  },
});

export default Timer;
