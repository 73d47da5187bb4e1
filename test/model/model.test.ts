// The model check on Node: the kept regression vectors, then 10,000 random runs of the real client against
// the reference model (test/model/). A failure prints its seed, how to replay it, and the run shrunk.
// Replay one: MODEL_SEED=<seed> MODEL_RUNS=1 npx vitest run test/model/model.test.ts
import { describe, expect, it } from "vitest";
import { MqttClient } from "../../firmware/mqtt/index.js";
import { checkRuns, shrink } from "./check.js";
import { readStats as stats, runSteps, type ClientFactory } from "./harness.js";
import { regressions } from "./regressions.js";

export const factory: ClientFactory = (o, cb, random) => new MqttClient({ ...o, random, ...cb } as never) as never;

const SEED = Number(process.env.MODEL_SEED ?? 20261201);
const RUNS = Number(process.env.MODEL_RUNS ?? 10_000);

describe("model check: regression vectors", () => {
  for (const r of regressions) it(r.name, () => expect(runSteps(r.run, factory, stats).violation).toBeNull());
});

describe("model check", () => {
  it(`${RUNS} random runs of up to 200 steps agree with the model (seed ${SEED})`, () => {
    const tally: Record<string, number> = {};
    const r = checkRuns(factory, stats, SEED, RUNS, 200, 1, [], tally);
    if (r.failures.length > 0) {
      const f = r.failures[0];
      const s = shrink(f.run, factory, stats);
      console.log(`model check failed at seed ${f.seed} (replay: MODEL_SEED=${f.seed} MODEL_RUNS=1)\n${f.violation}\nshrunk to ${s.run.steps.length} steps (keep it in test/model/regressions.ts):\n${JSON.stringify(s.run)}\n${s.violation}`);
    }
    console.log(`model check: ${r.runs} runs, ${r.steps} steps, seed ${SEED}; events seen: ${Object.entries(tally).sort().map(([k, n]) => `${k} ${n}`).join(", ")}`);
    expect(r.failures.map((f) => f.violation)).toEqual([]);
  }, 300_000);
});
