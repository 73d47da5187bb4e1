// MQTT over WebSockets on XS (test/xs/suites/ws.xs.ts), run on the real XS engine: the allocation proof.
import { describeXs } from "./describe-xs.js";

await describeXs("MQTT over WebSockets on XS", "build/test/xs/suites/ws.xs.js", { timeoutMs: 120_000 });
