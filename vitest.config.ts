import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/helpers/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Crash and namespace suites spawn many processes; two cores cannot run many files at once.
    maxWorkers: 2,
  },
});
