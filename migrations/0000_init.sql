CREATE TABLE "contacts" (
	"phone" text PRIMARY KEY NOT NULL,
	"first_name" text,
	"last_name" text,
	"email" text,
	"address" text,
	"synced_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" serial PRIMARY KEY NOT NULL,
	"phone" text NOT NULL,
	"platform" text NOT NULL,
	"channel" text,
	"thread_ref" text,
	"previous_thread_ref" text,
	"open" boolean DEFAULT true NOT NULL,
	"last_activity_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"dedupe_key" text NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_dedupe_key_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"ordering_key" text,
	"payload" jsonb NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 10 NOT NULL,
	"lease_until" timestamp with time zone,
	"locked_by" text,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"conversation_id" integer NOT NULL,
	"direction" text NOT NULL,
	"body" text NOT NULL,
	"id_sms_api" text,
	"status" text NOT NULL,
	"error_codes" jsonb,
	"error" text,
	"segments" integer,
	"encoding" text,
	"author" text,
	"link" text,
	"priority" text DEFAULT 'normal' NOT NULL,
	"send_at" timestamp with time zone,
	"chat_ref" text,
	"own_post" boolean DEFAULT false NOT NULL,
	"source_event_id" text,
	"sent_at" timestamp with time zone,
	"received_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "opt_outs" (
	"phone" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "routes" (
	"id" serial PRIMARY KEY NOT NULL,
	"pattern" text NOT NULL,
	"platform" text NOT NULL,
	"channel" text NOT NULL,
	CONSTRAINT "routes_pattern_unique" UNIQUE("pattern")
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "conversations_phone_platform" ON "conversations" USING btree ("phone","platform");--> statement-breakpoint
CREATE INDEX "conversations_thread" ON "conversations" USING btree ("thread_ref");--> statement-breakpoint
CREATE INDEX "jobs_due" ON "jobs" USING btree ("kind","run_at") WHERE "jobs"."state" <> 'dead';--> statement-breakpoint
CREATE INDEX "jobs_ordering" ON "jobs" USING btree ("ordering_key","id") WHERE "jobs"."state" <> 'dead';--> statement-breakpoint
CREATE UNIQUE INDEX "messages_id_sms_api" ON "messages" USING btree ("id_sms_api");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_source_event" ON "messages" USING btree ("source_event_id");--> statement-breakpoint
CREATE INDEX "messages_conversation" ON "messages" USING btree ("conversation_id","id");--> statement-breakpoint
CREATE INDEX "messages_chat_ref" ON "messages" USING btree ("chat_ref");