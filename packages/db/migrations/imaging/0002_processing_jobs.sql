ALTER TABLE "imaging"."photos" ADD COLUMN "correlation_id" text;--> statement-breakpoint
ALTER TABLE "imaging"."photos" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "imaging"."photos" ADD COLUMN "next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "imaging"."photos" ADD COLUMN "claimed_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "imaging"."photos" ADD COLUMN "last_error" text;--> statement-breakpoint
ALTER TABLE "imaging"."tunes" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "imaging"."tunes" ADD COLUMN "next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "imaging"."tunes" ADD COLUMN "claimed_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "imaging"."tunes" ADD COLUMN "last_error" text;--> statement-breakpoint
CREATE INDEX "photos_pending_idx" ON "imaging"."photos" USING btree ("next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "tunes_pending_idx" ON "imaging"."tunes" USING btree ("next_attempt_at") WHERE status = 'pending';