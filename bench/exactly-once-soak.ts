// `node bin/run-ts.js bench/exactly-once-soak.ts [SMS] [kills] [leaseMs]` (after `npm run build`):
// the SIGKILL soak of the Slack path (test/support/kill-soak.ts, which the test
// test/e2e/survive-kill.test.ts runs in a short form) at the length asked, on a fresh database
// of the Postgres at 127.0.0.1:5432 (TEST_DB=pglite: a PGlite folder of its own). Prints the
// posts per SMS; exits 1 on a double, a missing SMS, an SMS out of order or a second card.
// Each kill costs a job lease (JOB_LEASE_MS, 5 s here) before the killed worker's job is
// taken again.
import { createTestDatabase } from "../test/support/db.ts";
import { runKillSoak } from "../test/support/kill-soak.ts";

const total = Number(process.argv[2] ?? 40);
const kills = Number(process.argv[3] ?? 3);
const leaseMs = Number(process.argv[4] ?? 5000);
const db = await createTestDatabase({ onDisk: true });
try {
  const r = await runKillSoak({ db, total, kills, leaseMs, say: (line) => console.log(line) });
  console.log(
    `${r.total} SMS, ${r.kills} SIGKILLs (${r.killedAfter.join(", ")}), ${r.posts} Slack posts, ${r.seconds.toFixed(0)} s`,
  );
  console.log(`cards: ${r.cards} for ${r.numbers} numbers`);
  console.log(`doubles: ${r.doubles.length} ${JSON.stringify(r.doubles)}`);
  console.log(`missing: ${r.missing.length} ${JSON.stringify(r.missing)}`);
  console.log(`out of order: ${r.outOfOrder.length} ${JSON.stringify(r.outOfOrder)}`);
  const bad = r.doubles.length + r.missing.length + r.outOfOrder.length + (r.cards - r.numbers);
  process.exitCode = bad > 0 ? 1 : 0;
} finally {
  await db.drop();
}
