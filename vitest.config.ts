import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/helpers/setup.ts"],
    // Generous bounds: the suite must pass on a busy 2-core machine (CPU-bound processes beside it),
    // where a crash or namespace test can take several times its quiet duration. No test asserts time.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Crash and namespace suites spawn many processes; two cores cannot run many files at once.
    maxWorkers: 2,
  },
});
