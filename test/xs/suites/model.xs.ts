// The model check on the XS engine: the kept regression vectors, then 1,000 random runs at MQTT 3.1.1 and
// 2,000 at MQTT 5.0 (seeds of their own, printed) of the real client against the reference model, as on
// Node (test/model/model.test.ts).
import { MqttClient } from "../../../firmware/mqtt/index.js";
import { checkRuns } from "../../model/check.js";
import { readStats as stats, runSteps, type ClientFactory } from "../../model/harness.js";
import { regressions } from "../../model/regressions.js";
import { assertEqual, report, run, test } from "./harness.js";

/** The client from the model's options (5.0: our Receive Maximum is a CONNECT property). */
const factory: ClientFactory = (o, cb, random) =>
  new MqttClient({ ...o, ...(o.protocolVersion === 5 ? { properties: { receiveMaximum: o.receiveMaximum, topicAliasMaximum: o.topicAliasMaximum } } : {}), random, ...cb } as never) as never;

/** Not Node's seeds: XS covers other runs (replay one on Node with MODEL_SEED=<seed> MODEL_RUNS=1, 5.0: MODEL_SEED5=<seed> MODEL_RUNS5=1). */
export const XS_SEED = 31_000_000;
export const XS_RUNS = 1000;
export const XS_SEED5 = 71_000_000;
export const XS_RUNS5 = 2000;

for (const r of regressions) test("regression: " + r.name, () => assertEqual(runSteps(r.run, factory, stats).violation, null, "violation"));

test(`${XS_RUNS} random runs of up to 200 steps agree with the model (seed ${XS_SEED})`, () => {
  const r = checkRuns(factory, stats, XS_SEED, XS_RUNS, 200);
  report("runs", r.runs);
  report("steps", r.steps);
  report("seed", XS_SEED);
  const f = r.failures[0];
  assertEqual(f ? `seed ${f.seed}: ${f.violation}` : null, null, "the first failing run");
});

test(`${XS_RUNS5} random runs of up to 200 steps at MQTT 5.0 agree with the model (seed ${XS_SEED5})`, () => {
  const r = checkRuns(factory, stats, XS_SEED5, XS_RUNS5, 200, 1, [], undefined, 5);
  report("runs", r.runs);
  report("steps", r.steps);
  report("seed", XS_SEED5);
  const f = r.failures[0];
  assertEqual(f ? `seed ${f.seed}: ${f.violation}` : null, null, "the first failing run");
});

await run();
