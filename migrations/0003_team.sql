ALTER TABLE "routes" DROP CONSTRAINT "routes_pattern_unique";--> statement-breakpoint
CREATE UNIQUE INDEX "routes_pattern_platform" ON "routes" USING btree ("pattern","platform");--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "owner_id" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "waiting_since" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "conversations_waiting" ON "conversations" USING btree ("waiting_since") WHERE "waiting_since" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "company" text;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "notes" text;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "fields" jsonb;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "sync_state" text DEFAULT 'pending' NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "sync_error" text;--> statement-breakpoint
CREATE INDEX "contacts_sync_pending" ON "contacts" USING btree ("phone") WHERE "sync_state" = 'pending';
