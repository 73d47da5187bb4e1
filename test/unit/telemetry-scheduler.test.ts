// The scheduler: all tasks on one timer (Timer.set once, then Timer.schedule to the earliest due task),
// interval changes, run-soon, late ticks, and a task whose run throws not stopping the others.
import { describe, expect, it } from "vitest";
import { Scheduler, type ScheduledTask } from "../../firmware/telemetry/scheduler.js";
import { FakeClock } from "./telemetry-fakes.js";

function setup(intervals: number[], runTask: (index: number, now: number) => void = () => {}) {
  const clock = new FakeClock();
  clock.now = 5000;
  const tasks: ScheduledTask[] = intervals.map((intervalMs) => ({ due: 0, intervalMs }));
  const runs: [number, number][] = [];
  let ticks = 0;
  const scheduler = new Scheduler(tasks, clock.Timer, clock.ticks, {
    runTask: (index, now) => {
      runs.push([index, now]);
      runTask(index, now);
    },
    afterTick: () => ticks++,
  });
  return { clock, tasks, runs, scheduler, ticks: () => ticks };
}

const runsOf = (runs: [number, number][], index: number) => runs.filter(([i]) => i === index).map(([, t]) => t);

describe("Scheduler", () => {
  it("runs every task from one timer: set once, then rescheduled to the earliest due task", () => {
    const { clock, runs, scheduler } = setup([1000, 2500, 400]);
    scheduler.start();
    clock.advance(10_000);
    expect(clock.sets).toBe(1);
    expect(clock.timers).toBe(1);
    expect(clock.schedules).toBeGreaterThan(20);
    expect(runsOf(runs, 0)).toEqual([5000, 6000, 7000, 8000, 9000, 10_000, 11_000, 12_000, 13_000, 14_000, 15_000]);
    expect(runsOf(runs, 1)).toEqual([5000, 7500, 10_000, 12_500, 15_000]);
    expect(runsOf(runs, 2)).toHaveLength(26); // 5000, 5400, ... 15000
    // Each delay given to the timer is the time to the earliest due task, never a task's own interval.
    expect(clock.delays.slice(0, 4)).toEqual([0, 400, 400, 200]);
  });

  it("keeps its timer alive across ticks (a one-shot rescheduled inside its callback would die)", () => {
    const { clock, runs, scheduler } = setup([1000]);
    scheduler.start();
    clock.advance(3000);
    expect(runs).toHaveLength(4);
    expect(clock.timers).toBe(1);
  });

  it("an interval change takes effect at once: the next run is at most one new interval away", () => {
    const { clock, runs, scheduler } = setup([10_000, 10_000]);
    scheduler.start();
    clock.advance(1000); // runs at 5000; both next due at 15000
    scheduler.changeInterval(0, 500);
    clock.advance(2000);
    expect(runsOf(runs, 0)).toEqual([5000, 6500, 7000, 7500, 8000]);
    expect(runsOf(runs, 1)).toEqual([5000]);
    scheduler.changeInterval(0, 60_000); // longer: the run already due stays, then every 60 s
    clock.advance(70_000);
    expect(runsOf(runs, 0)).toEqual([5000, 6500, 7000, 7500, 8000, 8500, 68_500]);
    expect(clock.sets).toBe(1);
  });

  it("runSoon runs a task at the next timer callback, not inside the caller", () => {
    const { clock, runs, scheduler } = setup([60_000]);
    scheduler.start();
    clock.advance(10);
    scheduler.runSoon(0);
    expect(runs).toHaveLength(1);
    clock.advance(0);
    expect(runsOf(runs, 0)).toEqual([5000, 5010]);
    clock.advance(60_000);
    expect(runsOf(runs, 0)).toEqual([5000, 5010, 65_010]);
  });

  it("a late tick runs a task once, not once per missed interval", () => {
    const { clock, runs, scheduler, tasks } = setup([1000]);
    scheduler.start();
    clock.advance(0);
    clock.now += 5500; // the device was busy: no timer ran
    scheduler.tick();
    expect(runsOf(runs, 0)).toEqual([5000, 10_500]);
    expect(tasks[0].due).toBe(11_500);
  });

  it("a task whose run throws is counted and the others still run, then and later", () => {
    const { clock, runs, scheduler, ticks } = setup([1000, 1000], (index) => {
      if (index === 0) throw new Error("boom");
    });
    scheduler.start();
    clock.advance(3000);
    expect(runsOf(runs, 0)).toHaveLength(4);
    expect(runsOf(runs, 1)).toHaveLength(4);
    expect(scheduler.failures).toBe(4);
    expect(ticks()).toBe(4);
  });

  it("stop clears its timer and nothing runs after", () => {
    const { clock, runs, scheduler } = setup([1000]);
    scheduler.start();
    clock.advance(1500);
    scheduler.stop();
    expect(clock.timers).toBe(0);
    clock.advance(5000);
    expect(runs).toHaveLength(2);
  });
});
