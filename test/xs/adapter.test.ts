// What a message costs through the network adapter on XS (test/xs/suites/adapter.xs.ts), over a socket with
// the Moddable SDK's TCP semantics, run on the real XS engine: exact counters, nothing allocated.
import { describeXs } from "./describe-xs.js";

await describeXs("the network adapter on XS", "build/test/xs/suites/adapter.xs.js", { timeoutMs: 120_000 });
