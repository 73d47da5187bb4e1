// The store model check on the XS engine (test/model/store-run.ts): random runs of the real client over a
// NOR flash in RAM with publish, link, drop, reconnect, reboot, power-cut and refused-write steps, checked
// for the store's promises (at least once, exactly once, same ids, PUBREL after PUBREC), as on Node
// (test/store/model.test.ts) with seeds of their own.
import { storeRuns } from "../../model/store-run.js";
import { assertEqual, assertTrue, report, run, test } from "./harness.js";

/** Not Node's seeds: XS covers other runs (replay one on Node: STORE_MODEL_SEED=<seed> STORE_MODEL_RUNS=1). */
export const XS_STORE_SEED = 16_000_000;
export const XS_STORE_RUNS = 1000;

test(`${XS_STORE_RUNS} random runs of up to 150 steps keep the store's promises (seed ${XS_STORE_SEED})`, () => {
  const r = storeRuns(XS_STORE_SEED, XS_STORE_RUNS, 150);
  report("runs", XS_STORE_RUNS);
  report("steps", r.steps);
  report("counts", r.counts);
  assertEqual(r.failure, null, "the first failing run");
  assertTrue((r.counts["power cut"] ?? 0) > 0, "power cuts happened");
});

await run();
