// The MQTT 5.0 client's XS suite (test/xs/suites/client5.xs.ts), run on the real XS engine: allocation.
import { describeXs } from "./describe-xs.js";

await describeXs("5.0 client on XS", "build/test/xs/suites/client5.xs.js", { timeoutMs: 120_000 });
