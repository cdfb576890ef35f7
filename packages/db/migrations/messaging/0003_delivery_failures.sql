ALTER TABLE "messaging"."outbound_messages" ADD COLUMN "message" jsonb;--> statement-breakpoint
ALTER TABLE "messaging"."outbound_messages" ADD COLUMN "retry_event_id" uuid;--> statement-breakpoint
CREATE INDEX "outbound_messages_retry_event_id_idx" ON "messaging"."outbound_messages" USING btree ("retry_event_id");