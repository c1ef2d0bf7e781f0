// Vitest configuration: forked workers (two at most, the machines have two cores), a global setup that
// builds the Postgres template database when TEST_DATABASE_URL is set, and every test under test/.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    minWorkers: 1,
    globalSetup: ["test/setup/global-setup.ts"],
    // Generous: consumer suites run whole syncs, and CI machines are shared; a hang still fails.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    env: { TZ: "UTC" },
  },
});
