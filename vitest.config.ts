// `npm test` runs three projects: unit tests once, and every flow test against real Postgres
// and against PGlite (TEST_DB tells test/support/db.ts which one to give each test).
// Flow tests share their worker's modules (isolate: false): each test makes its own database,
// fakes and bridge, and importing the whole program once per file cost a third of the run.
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
          isolate: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "pglite",
          include: ["test/flows/**/*.test.ts"],
          env: { TEST_DB: "pglite" },
          isolate: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
