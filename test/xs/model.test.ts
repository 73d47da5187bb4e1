// The model check on XS (test/xs/suites/model.xs.ts): regression vectors and 1,000 random runs.
import { describeXs } from "./describe-xs.js";

await describeXs("model check on XS", "build/test/xs/suites/model.xs.js", { timeoutMs: 300_000 });
