// The telemetry XS suite (test/xs/suites/telemetry.xs.ts), run on the real XS engine: the per-sample
// path (read, JSON, publish; deadband; scheduler tick) allocates nothing, and its payloads are valid JSON.
import { describeXs } from "./describe-xs.js";

await describeXs("telemetry on XS", "build/test/xs/suites/telemetry.xs.js", { timeoutMs: 120_000 });
