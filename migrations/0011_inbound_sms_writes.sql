-- Issue 19: what an inbound SMS writes. It has no client_ref and no source_event_id, and once
-- posted its chat_ref is the bridge's own post, never looked up: it leaves these three indexes
-- out, at its insert and at its update when posted (six index entries less). And its one status
-- (received, at received_at) is on its row: the status history (message_statuses, the export's)
-- is kept for outbound SMS only, so the trigger no longer fires for an inbound one (a row and two
-- index entries less, and no call of the function). Each index is rebuilt once here.

DROP INDEX "messages_client_ref";--> statement-breakpoint
DROP INDEX "messages_source_event";--> statement-breakpoint
DROP INDEX "messages_chat_ref";--> statement-breakpoint
CREATE UNIQUE INDEX "messages_client_ref" ON "messages" USING btree ("client_ref") WHERE "messages"."client_ref" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "messages_source_event" ON "messages" USING btree ("source_event_id") WHERE "messages"."source_event_id" is not null;--> statement-breakpoint
CREATE INDEX "messages_chat_ref" ON "messages" USING btree ("chat_ref") WHERE "messages"."own_post" = false and "messages"."chat_ref" is not null;--> statement-breakpoint
DROP TRIGGER "messages_status_history" ON "messages";--> statement-breakpoint
CREATE TRIGGER "messages_status_history" AFTER INSERT OR UPDATE OF "status", "sent_at" ON "messages"
	FOR EACH ROW WHEN (NEW."direction" = 'out') EXECUTE FUNCTION "record_message_status"();
