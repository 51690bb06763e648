CREATE TABLE "blocks" (
	"phone" text PRIMARY KEY NOT NULL,
	"blocked_by" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
INSERT INTO "blocks" ("phone", "blocked_by", "at") SELECT "phone", 'the team', "at" FROM "opt_outs" WHERE "source" = 'chat';--> statement-breakpoint
DELETE FROM "opt_outs" WHERE "source" = 'chat';
