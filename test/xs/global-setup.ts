// vitest globalSetup: builds the firmware, the XS suites and the XS runner before any test file runs,
// so `npm test` works on a fresh clone (both builds are quick no-ops when up to date).
import { ensureXsBuilt } from "./xs-run.js";

/** Called once by vitest before collecting test files. */
export default function setup(): void {
  ensureXsBuilt();
}
