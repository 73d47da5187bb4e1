// The MQTT 5.0 codec's XS suite (test/xs/suites/codec5.xs.ts), run on the real XS engine: allocation.
import { describeXs } from "./describe-xs.js";

await describeXs("5.0 codec on XS", "build/test/xs/suites/codec5.xs.js");
