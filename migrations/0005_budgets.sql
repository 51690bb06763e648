CREATE TABLE "budgets" (
	"key" text PRIMARY KEY NOT NULL,
	"tokens" double precision NOT NULL,
	"at_ms" double precision NOT NULL,
	"next_slot_ms" double precision DEFAULT 0 NOT NULL,
	"held_until_ms" double precision DEFAULT 0 NOT NULL,
	"wait_ms" double precision DEFAULT 0 NOT NULL
);
