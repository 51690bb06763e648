-- A job's own attempt limit, when it has one; null: the limit of the worker that runs it (JOB_MAX_ATTEMPTS).

ALTER TABLE "jobs" ALTER COLUMN "max_attempts" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "jobs" ALTER COLUMN "max_attempts" DROP NOT NULL;