-- Reports (src/reports/, docs/reports.md): when a conversation was closed, who wrote an SMS (the
-- platform's id), an inbound STOP/START keyword kept with its SMS, and the indexes the figures
-- read by (an SMS's time, by itself and per conversation; clicks and calls by when they
-- happened). SMS stored before this migration keep their plain STOP/START keywords; the
-- cleverer reading (src/kernel/optout.ts) applies to new ones.

ALTER TABLE "conversations" ADD COLUMN "closed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "author_id" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "opt_intent" text;--> statement-breakpoint
CREATE INDEX "events_report" ON "events" USING btree (("payload"->>'at')) WHERE "events"."kind" in ('click', 'call');--> statement-breakpoint
CREATE INDEX "messages_report_at" ON "messages" USING btree ((case when "direction" = 'in' then coalesce("received_at", "created_at") else "created_at" end));--> statement-breakpoint
CREATE INDEX "messages_conversation_at" ON "messages" USING btree ("conversation_id",(case when "direction" = 'in' then coalesce("received_at", "created_at") else "created_at" end));--> statement-breakpoint
UPDATE "messages" SET "opt_intent" = CASE WHEN lower(btrim("body", ' .!')) IN ('start', 'unstop', 'yes') THEN 'in' ELSE 'out' END
  WHERE "direction" = 'in' AND lower(btrim("body", ' .!')) IN ('stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'revoke', 'optout', 'arret', 'start', 'unstop', 'yes');