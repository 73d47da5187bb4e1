// Runs the probe self-test (test/xs/suites/probe-selftest.xs.ts) on the real XS engine.
import { describeXs } from "./describe-xs.js";

await describeXs("XS allocation probe", "build/test/xs/suites/probe-selftest.xs.js");
