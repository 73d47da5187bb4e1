// The composed client's XS suite (test/xs/suites/net.xs.ts), run on the real XS engine.
import { describeXs } from "./describe-xs.js";

await describeXs("the composed client on XS", "build/test/xs/suites/net.xs.js", { timeoutMs: 120_000 });
