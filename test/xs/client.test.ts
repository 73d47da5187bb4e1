// The client's XS suite (test/xs/suites/client.xs.ts), run on the real XS engine: conversations and allocation.
import { describeXs } from "./describe-xs.js";

await describeXs("client on XS", "build/test/xs/suites/client.xs.js", { timeoutMs: 120_000 });
