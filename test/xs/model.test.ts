// The model check on XS (test/xs/suites/model.xs.ts): regression vectors, 1,000 random runs at MQTT 3.1.1 and 2,000 at MQTT 5.0.
import { describeXs } from "./describe-xs.js";

const results = await describeXs("model check on XS", "build/test/xs/suites/model.xs.js", { timeoutMs: 300_000 });
for (const r of results) if (/^\d+ random runs/.test(r.name)) console.log(`model check on XS: ${r.name}: ${JSON.stringify(r.data)}`);
