/**
 * Many runs of the model check, and the shrinking of a failing one to a short replayable vector.
 * Runs on Node and on XS (no Node APIs).
 */
import { randomRun, runSteps, type ClientFactory, type Run, type StatsReader, type Step } from "./harness.js";

export interface Failure {
  /** The run's seed: `randomRun(seed, maxSteps)` makes it again. */
  seed: number;
  violation: string;
  steps: number;
  run: Run;
}

export interface CheckResult {
  runs: number;
  steps: number;
  failures: Failure[];
}

/**
 * Runs `runs` random runs with seeds seed, seed + 1, ...; stops after `stopAfter` failures. `version` 5:
 * runs of MQTT 5.0 (randomRun(seed, maxSteps, [], 5) makes one again).
 */
export function checkRuns(makeClient: ClientFactory, readStats: StatsReader, seed: number, runs: number, maxSteps: number, stopAfter = 1, without: readonly string[] = [], tally?: Record<string, number>, version: 4 | 5 = 4): CheckResult {
  const failures: Failure[] = [];
  let steps = 0;
  let i = 0;
  for (; i < runs && failures.length < stopAfter; i++) {
    const run = randomRun(seed + i, maxSteps, without, version);
    const result = runSteps(run, makeClient, readStats, tally);
    steps += result.steps;
    if (result.violation !== null) failures.push({ seed: seed + i, violation: result.violation, steps: result.steps, run });
  }
  return { runs: i, steps, failures };
}

/** The kind of a violation: its words without the step and the numbers, to keep while shrinking. */
export function violationKind(violation: string): string {
  const at = violation.indexOf("}: ");
  const text = at >= 0 ? violation.slice(at + 3) : violation;
  return text.replace(/\d+/g, "#").slice(0, 160);
}

/**
 * Shrinks a failing run: drops steps (halves, then quarters, down to single steps) while the run still
 * fails the same kind of way, then trims the steps after the failing one.
 */
export function shrink(run: Run, makeClient: ClientFactory, readStats: StatsReader, budget = 2000): { run: Run; violation: string } {
  const first = runSteps(run, makeClient, readStats);
  if (first.violation === null) return { run, violation: "" };
  const kind = violationKind(first.violation);
  let best: Step[] = run.steps.slice(0, first.steps);
  let violation = first.violation;
  let tries = 0;
  const fails = (steps: Step[]): string | null => {
    tries++;
    const r = runSteps({ ...run, steps }, makeClient, readStats);
    return r.violation !== null && violationKind(r.violation) === kind ? r.violation : null;
  };
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && tries < budget; chunk = chunk >> 1) {
    for (let at = 0; at < best.length && tries < budget; ) {
      const candidate = best.slice(0, at).concat(best.slice(at + chunk));
      const v = fails(candidate);
      if (v !== null) {
        best = candidate;
        violation = v;
      } else at += chunk;
    }
    if (chunk === 1) break;
  }
  return { run: { ...run, steps: best }, violation };
}
