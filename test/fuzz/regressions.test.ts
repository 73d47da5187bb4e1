/**
 * Replays every saved fuzz regression vector (test/fuzz/regressions/*.json, see vectors.ts): the case must
 * run with no violation and end in its expected defined state. All of them, always.
 */
import { describe, expect, it } from "vitest";
import { describeEnd, FuzzRunner, runData, violationName } from "../vectors/fuzz.js";
import { loadRegressions, vectorData, type RegressionVector } from "./vectors.js";

const vectors = loadRegressions();

function replay(vector: RegressionVector): void {
  const runner = new FuzzRunner();
  const data = vectorData(vector);
  expect(data.chunks.reduce((a, b) => a + b, 0), "the chunks add up to the bytes").toBe(data.bytes.length);
  const violation = runData(data, runner);
  expect(violationName(violation) + (runner.thrown ? ": " + runner.thrown : ""), `violation (run ${runner.failedRun}, chunk ${runner.where})`).toBe("none");
  expect(describeEnd(runner.result)).toBe(vector.expected);
}

describe("fuzz regression vectors", () => {
  it("there are vectors, each well formed", () => {
    expect(vectors.length).toBeGreaterThan(0);
    for (const v of vectors) {
      expect(["found", "fixed", "guard"], v.file).toContain(v.status);
      expect(v.expected, v.file).toMatch(/^(connected|connecting|disconnected 0x(81|82|95|8[4-8]))$/);
      expect(v.drains.length, v.file).toBe(v.chunks.length + 1);
    }
  });
  for (const vector of vectors) it(`${vector.file}: ${vector.name}`, () => replay(vector));
});
