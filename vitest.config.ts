import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds the firmware, the XS suites and the instrumented XS runner once, before any test file.
    globalSetup: ["test/xs/global-setup.ts"],
    testTimeout: 60000,
    // Set-up hooks make certificates with openssl and start brokers: on a loaded 2-core machine that took
    // over vitest's default 10 s (test:repeat --load 2), which failed the whole file.
    hookTimeout: 60000,
    // Under CI, also a JSON report: .ci/run reads its totals for the closing "N passed, N failed" line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: "build/vitest-results.json" },
  },
});
