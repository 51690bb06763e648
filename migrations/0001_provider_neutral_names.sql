ALTER TABLE "messages" RENAME COLUMN "id_sms_api" TO "client_ref";--> statement-breakpoint
ALTER TABLE "messages" RENAME COLUMN "error_codes" TO "provider_codes";--> statement-breakpoint
ALTER INDEX "messages_id_sms_api" RENAME TO "messages_client_ref";
