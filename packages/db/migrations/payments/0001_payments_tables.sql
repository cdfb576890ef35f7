CREATE TABLE "payments"."payment_rejections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"reason" text NOT NULL,
	"raw_payload" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments"."payments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"provider_payment_id" text NOT NULL,
	"provider_event_id" text,
	"status" text NOT NULL,
	"review_reason" text,
	"user_id" text,
	"tier" text,
	"amount" numeric(14, 3),
	"currency" text,
	"name" text,
	"raw_payload" jsonb NOT NULL,
	"event_id" uuid,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "payment_rejections_received_idx" ON "payments"."payment_rejections" USING btree ("received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_provider_payment_key" ON "payments"."payments" USING btree ("provider","provider_payment_id");--> statement-breakpoint
CREATE INDEX "payments_user_idx" ON "payments"."payments" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "payments_status_idx" ON "payments"."payments" USING btree ("status","received_at");