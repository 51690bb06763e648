// `npm test` runs three projects: unit tests once, and every flow test against real Postgres
// and against PGlite (TEST_DB tells test/support/db.ts which one to give each test).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // One test file per core at a time (the CI machines have 2), each on its own database.
    maxWorkers: 2,
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        test: {
          name: "postgres",
          include: ["test/flows/**/*.test.ts"],
          env: { TEST_DB: "postgres" },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "pglite",
          include: ["test/flows/**/*.test.ts"],
          env: { TEST_DB: "pglite" },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
