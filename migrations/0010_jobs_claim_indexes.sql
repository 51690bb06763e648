-- Issue 19: the worker finds what is due without looking at every queued job (src/queue/jobs.ts):
-- the due jobs of no ordering key (the claim of single jobs) and the next lease to run out (the
-- worker's timer).

CREATE INDEX "jobs_unordered" ON "jobs" USING btree ("kind","id") WHERE "jobs"."ordering_key" is null and "jobs"."state" <> 'dead';--> statement-breakpoint
CREATE INDEX "jobs_leases" ON "jobs" USING btree ("lease_until") WHERE "jobs"."state" = 'running';