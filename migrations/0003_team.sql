ALTER TABLE "routes" DROP CONSTRAINT "routes_pattern_unique";--> statement-breakpoint
CREATE UNIQUE INDEX "routes_pattern_platform" ON "routes" USING btree ("pattern","platform");
