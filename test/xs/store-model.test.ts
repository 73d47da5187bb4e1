// The store model check on XS (test/xs/suites/store-model.xs.ts): 1,000 random runs with power cuts, reboots and refused writes.
import { describeXs } from "./describe-xs.js";

const results = await describeXs("store model check on XS", "build/test/xs/suites/store-model.xs.js", { timeoutMs: 300_000 });
for (const r of results) console.log(`store model check on XS: ${r.name}: ${JSON.stringify(r.data)}`);
