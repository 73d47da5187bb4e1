import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/xs/global-setup.ts"],
    testTimeout: 60000,
  },
});
