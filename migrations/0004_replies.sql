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
--> statement-breakpoint
CREATE FUNCTION "record_message_status"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO "message_statuses" ("message_id", "status", "at") VALUES (NEW."id", NEW."status", coalesce(NEW."received_at", NEW."created_at"));
		RETURN NEW;
	END IF;
	IF OLD."sent_at" IS NULL AND NEW."sent_at" IS NOT NULL AND NEW."status" <> 'sent' THEN
		INSERT INTO "message_statuses" ("message_id", "status", "at") VALUES (NEW."id", 'sent', NEW."sent_at");
	END IF;
	IF NEW."status" IS DISTINCT FROM OLD."status" THEN
		INSERT INTO "message_statuses" ("message_id", "status", "at") VALUES (NEW."id", NEW."status",
			CASE NEW."status" WHEN 'sent' THEN coalesce(NEW."sent_at", now()) WHEN 'received' THEN coalesce(NEW."received_at", now()) ELSE now() END);
	END IF;
	RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER "messages_status_history" AFTER INSERT OR UPDATE OF "status", "sent_at" ON "messages"
	FOR EACH ROW EXECUTE FUNCTION "record_message_status"();
