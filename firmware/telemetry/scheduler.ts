/**
 * Runs every telemetry task from ONE timer: Timer.set once, then Timer.schedule to the earliest due task
 * after every run (the `timer` module; rescheduling a timer allocates nothing, creating one does). A
 * task that is late is not run twice to catch up: it runs once and is due an interval later.
 */
import type { TimerModule } from "../net/device.js";

export interface ScheduledTask {
  /** When it runs next, on the `ticks` clock (ms). */
  due: number;
  intervalMs: number;
}

/** What the scheduler runs: each due task, then once after them (the app flushes its socket there). */
export interface TaskRunner {
  runTask(index: number, now: number): void;
  afterTick(): void;
}

/** Tasks due within this many ms are run now: timer delays are whole ms, the clock may be finer. */
const SLACK = 1;

export class Scheduler {
  readonly tasks: readonly ScheduledTask[];
  /** Task runs that threw (a handler of the app's): counted, and the other tasks carry on. */
  failures = 0;
  private readonly Timer: TimerModule;
  private readonly ticks: () => number;
  private readonly runner: TaskRunner;
  private readonly fire: () => void;
  private timer: unknown = null;
  private running = false;

  constructor(tasks: readonly ScheduledTask[], Timer: TimerModule, ticks: () => number, runner: TaskRunner) {
    this.tasks = tasks;
    this.Timer = Timer;
    this.ticks = ticks;
    this.runner = runner;
    this.fire = () => this.tick(); // the one callback, made once
  }

  /** Every task is due now; then each at its interval. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.ticks();
    for (const task of this.tasks) task.due = now;
    this.arm(now);
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.Timer.clear(this.timer);
    this.timer = null;
  }

  /** Changes a task's interval; its next run is at most one new interval away. */
  changeInterval(index: number, intervalMs: number): void {
    const task = this.tasks[index];
    const now = this.ticks();
    task.intervalMs = intervalMs;
    if (now + intervalMs < task.due) task.due = now + intervalMs;
    this.arm(now);
  }

  /** Runs a task as soon as the timer fires (not from inside the caller: e.g. a message handler). */
  runSoon(index: number): void {
    const now = this.ticks();
    this.tasks[index].due = now;
    this.arm(now);
  }

  /** The timer's callback: runs the due tasks, then re-arms for the earliest. */
  tick(): void {
    if (!this.running) return;
    const tasks = this.tasks;
    const now = this.ticks();
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i];
      if (task.due - now >= SLACK) continue;
      task.due += task.intervalMs;
      if (task.due <= now) task.due = now + task.intervalMs; // late: skip the missed runs
      try {
        this.runner.runTask(i, now);
      } catch {
        this.failures++;
      }
    }
    try {
      this.runner.afterTick();
    } finally {
      this.arm(this.ticks());
    }
  }

  /** The earliest due time, or Infinity with no tasks. */
  next(): number {
    let next = Infinity;
    for (let i = 0; i < this.tasks.length; i++) if (this.tasks[i].due < next) next = this.tasks[i].due;
    return next;
  }

  private arm(now: number): void {
    if (!this.running) return;
    const next = this.next();
    if (next === Infinity) return;
    const delay = next > now ? Math.ceil(next - now) : 0;
    // A non-zero repeat keeps the timer alive when it is rescheduled from inside its own callback: a
    // one-shot timer is gone once its callback returns (modTimer; host-sim/device/timer.ts).
    const repeat = delay > 0 ? delay : 1;
    if (this.timer === null) this.timer = this.Timer.set(this.fire, delay, repeat);
    else this.Timer.schedule(this.timer, delay, repeat);
  }
}
