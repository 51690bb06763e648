-- Store, then answer, then work (issue 14): a callback is stored unprocessed and acted on by the
-- worker, which sets processed_at in the transaction that writes its effects. Rows stored
-- before this migration were acted on when stored: the default (now()) marks them processed.
-- A callback that fails is tried again at retry_at; two partial indexes keep the inbox and the
-- waiting callbacks small to read.
ALTER TABLE "events" ADD COLUMN "processed_at" timestamp with time zone DEFAULT now();--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "retry_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "error" text;--> statement-breakpoint
CREATE INDEX "events_inbox" ON "events" USING btree ("id") WHERE "events"."processed_at" is null;--> statement-breakpoint
CREATE INDEX "events_waiting" ON "events" USING btree ("retry_at") WHERE "events"."processed_at" is null and "events"."retry_at" is not null;
