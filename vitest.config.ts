// `npm test` runs the tests by kind (test/README.md says where each kind goes):
// - unit: test/unit/, once.
// - postgres, pglite: every flow test (test/flows/: the bridge in this process against the
//   fakes) against real Postgres and against PGlite (TEST_DB tells test/support/db.ts which one
//   to give each test). Flow tests share their worker's modules (isolate: false): each test makes
//   its own database, fakes and bridge, and importing the whole program once per file cost a
//   third of the run.
// - e2e: test/e2e/, the tests that start processes (the built bin/ardary-bridge.js, tsx, a
//   Postgres server…), once, on Postgres; those in E2E_ON_BOTH run on both databases as the
//   flows do (e2e-postgres, e2e-pglite).
import { configDefaults, defineConfig } from "vitest/config";

/** End-to-end tests that run against Postgres and against PGlite, as the flows do. */
const E2E_ON_BOTH = [
  "test/e2e/cli.test.ts",
  "test/e2e/degraded-boot.test.ts",
  "test/e2e/core-resilience.test.ts",
  "test/e2e/core-sending.test.ts",
  "test/e2e/survive-admin.test.ts",
  "test/e2e/survive-kill.test.ts",
  "test/e2e/survive-outage.test.ts",
  "test/e2e/survive-slack-flood.test.ts",
];

/** Every project's deadlines, said in each (a project does not take the root's). */
const once = { testTimeout: 30_000, hookTimeout: 30_000 };
const on = (db: "postgres" | "pglite") => ({
  env: { TEST_DB: db },
  isolate: false,
  testTimeout: 60_000,
  hookTimeout: 60_000,
});

export default defineConfig({
  test: {
    // One test file per core at a time (the CI machines have 2), each on its own database.
    maxWorkers: 2,
    // postgres.js's own query of the array types on a new connection (fetch_types), which
    // nothing awaits (porsager/postgres #1192): a test that cuts the database mid-connect meets
    // it in-process, as a rejection no code of ours can hold. A served process absorbs exactly
    // this fault (src/db/driver-guard.ts, isTypesFetchFault); anything else still fails the run.
    onUnhandledError(error) {
      const query = (error as { query?: unknown }).query;
      if (typeof query === "string" && /from pg_catalog\.pg_type a\s/.test(query)) return false;
    },
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], ...once } },
      { test: { name: "postgres", include: ["test/flows/**/*.test.ts"], ...on("postgres") } },
      { test: { name: "pglite", include: ["test/flows/**/*.test.ts"], ...on("pglite") } },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...E2E_ON_BOTH],
          ...once,
        },
      },
      { test: { name: "e2e-postgres", include: E2E_ON_BOTH, ...on("postgres") } },
      { test: { name: "e2e-pglite", include: E2E_ON_BOTH, ...on("pglite") } },
    ],
  },
});
