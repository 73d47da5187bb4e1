// What the TLS path (mqtts and wss) allocates per message on XS (test/xs/suites/tls-alloc.xs.ts), run on the
// real XS engine: the exact counters, each figure asserted.
import { describeXs } from "./describe-xs.js";

await describeXs("TLS allocation per message on XS", "build/test/xs/suites/tls-alloc.xs.js", { timeoutMs: 120_000 });
