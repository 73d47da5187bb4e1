// The flash store's XS suite (test/xs/suites/store.xs.ts): a persisted publish allocates nothing on XS.
import { describeXs } from "./describe-xs.js";

await describeXs("flash store on XS", "build/test/xs/suites/store.xs.js", { timeoutMs: 180_000 });
