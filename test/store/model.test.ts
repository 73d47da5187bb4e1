// The store's promises over random runs on Node (test/model/store-run.ts): the real client over a NOR
// flash in RAM, random publish / link / drop / reconnect / reboot / power-cut / refused-write steps,
// against a broker that keeps the session; at least once (QoS 1), exactly once (QoS 2), same ids,
// PUBREL (never PUBLISH) after PUBREC, nothing refused delivered. The same runs on XS: test/xs/store-model.test.ts.
// Replay one: STORE_MODEL_SEED=<seed> STORE_MODEL_RUNS=1 npx vitest run test/store/model.test.ts
import { describe, expect, it } from "vitest";
import { storeRuns } from "../model/store-run.js";

const SEED = Number(process.env.STORE_MODEL_SEED ?? 15_000_000);
const RUNS = Number(process.env.STORE_MODEL_RUNS ?? 2000);

describe("store model check", () => {
  it(`${RUNS} random runs of up to 150 steps keep the store's promises (seed ${SEED})`, () => {
    const r = storeRuns(SEED, RUNS, 150);
    console.log(`store model check: ${RUNS} runs from seed ${SEED}, ${r.steps} steps; ${Object.entries(r.counts).sort().map(([k, n]) => `${k} ${n}`).join(", ")}`);
    expect(r.failure).toBeNull();
    expect(r.counts["power cut"]).toBeGreaterThan(RUNS / 4);
    expect(r.counts["refused: store"]).toBeGreaterThan(0);
    expect(r.counts.reboot).toBeGreaterThan(0);
  }, 300_000);
});
