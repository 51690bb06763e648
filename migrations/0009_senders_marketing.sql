-- Issue 21: the thread's openable address (the export), the sender name an SMS goes under (a
-- route's sender), marketing SMS (held to the allowed hours, STOP notice) and templates saved as
-- marketing. (Who sent an SMS, messages.author_id, came with 0008_reports.)

ALTER TABLE "conversations" ADD COLUMN "thread_url" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "sender" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "marketing" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "routes" ADD COLUMN "sender" text;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "marketing" boolean DEFAULT false NOT NULL;