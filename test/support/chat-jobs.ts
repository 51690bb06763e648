// A chat job taken by hand, as a worker would (a short lease, so that a test can let it run
// out as a killed worker's would): the flows that play a worker's crash step by step.
import { CHAT_JOB, type ChatPayload } from "../../src/conversations/kinds.ts";
import type { Database } from "../../src/db/database.ts";
import { claim, type Job } from "../../src/queue/jobs.ts";
import { until } from "./harness.ts";

/** The next due chat job for `workerId`, if any, leased for `leaseMs`. */
export async function claimChatJob(
  database: Database,
  workerId: string,
  leaseMs = 200,
): Promise<Job<ChatPayload> | undefined> {
  const [job] = await claim(database, { kinds: [CHAT_JOB.kind], limit: 1, leaseMs, workerId });
  return job as Job<ChatPayload> | undefined;
}

/** The next chat job for `workerId`, waited for up to 10 s. */
export function takeChatJob(database: Database, workerId: string): Promise<Job<ChatPayload>> {
  return until(() => claimChatJob(database, workerId), 10_000, `a chat job for ${workerId}`);
}
