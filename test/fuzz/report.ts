/**
 * Shared by the Node and XS fuzz tests: turns a batch's counts into assertions. Every violation fails: none
 * is tolerated (a known bug is a failing regression vector until it is fixed). Coverage floors make sure
 * the generator keeps reaching every outcome (so a generator that degenerates fails too).
 */
import { expect } from "vitest";
import { MODES, FIXTURES, VIOLATIONS, violationName } from "../vectors/fuzz.js";

/** FuzzStats as plain data (what the XS suite reports). */
export interface StatsData {
  cases: number;
  violations: number[];
  modes: number[];
  fixtures: number[];
  connected: number;
  malformed: number;
  protocolError: number;
  tooLarge: number;
  refused: number;
  decodedPackets: number;
  decodeErrors: number;
  split: number;
  firstFailure: number[];
}

export function statsData(stats: {
  cases: number;
  violations: ArrayLike<number>;
  modes: ArrayLike<number>;
  fixtures: ArrayLike<number>;
  connected: number;
  malformed: number;
  protocolError: number;
  tooLarge: number;
  refused: number;
  decodedPackets: number;
  decodeErrors: number;
  split: number;
  firstFailure: ArrayLike<number>;
}): StatsData {
  return {
    ...stats,
    violations: Array.from(stats.violations),
    modes: Array.from(stats.modes),
    fixtures: Array.from(stats.fixtures),
    firstFailure: Array.from(stats.firstFailure),
  };
}

/** Asserts that no case broke any rule. */
export function expectNoViolations(stats: StatsData, where: string): void {
  const found: string[] = [];
  for (let v = 1; v < VIOLATIONS; v++) {
    const count = stats.violations[v];
    if (count > 0) found.push(`${violationName(v)}: ${count} cases, first case index ${stats.firstFailure[v]}`);
  }
  expect(found, `${where}: violations (replay a case with: npm run fuzz -- --seed <seed> --from <index> --cases 1)`).toEqual([]);
}

/** Coverage floors, as fractions of the cases. */
export function expectCoverage(stats: StatsData): void {
  const n = stats.cases;
  for (let m = 0; m < MODES; m++) expect(stats.modes[m] / n, `generator mode ${m}`).toBeGreaterThan(0.05);
  for (let f = 0; f < FIXTURES; f++) expect(stats.fixtures[f] / n, `fixture ${f}`).toBeGreaterThan(0.15);
  expect(stats.split / n, "cases split into several chunks").toBeGreaterThan(0.5);
  expect(stats.connected / n, "cases ending connected").toBeGreaterThan(0.05);
  expect(stats.malformed / n, "cases ending 0x81").toBeGreaterThan(0.1);
  expect(stats.protocolError / n, "cases ending 0x82").toBeGreaterThan(0.1);
  expect(stats.tooLarge / n, "cases ending 0x95").toBeGreaterThan(0.01);
  expect(stats.refused / n, "cases ending in a CONNACK refusal").toBeGreaterThan(0.005);
  expect(stats.decodeErrors / n, "decoder runs ending in a DecodeError").toBeGreaterThan(0.3);
  expect(stats.decodedPackets / n, "packets decoded per case").toBeGreaterThan(1);
}
