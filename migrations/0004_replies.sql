CREATE TABLE "templates" (
	"name" text PRIMARY KEY NOT NULL,
	"body" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE TABLE "auto_replies" (
	"conversation_id" integer NOT NULL,
	"period" text NOT NULL,
	"message_id" bigint,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "auto_replies_pk" PRIMARY KEY("conversation_id","period")
);--> statement-breakpoint
CREATE TABLE "message_statuses" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"message_id" bigint NOT NULL,
	"status" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE INDEX "message_statuses_message" ON "message_statuses" USING btree ("message_id","id");--> statement-breakpoint
CREATE TABLE "forgotten" (
	"phone_hash" text PRIMARY KEY NOT NULL,
	"stop_at" timestamp with time zone,
	"forgotten_at" timestamp with time zone DEFAULT now() NOT NULL
);
