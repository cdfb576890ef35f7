CREATE SCHEMA "imaging";
--> statement-breakpoint
CREATE TABLE "imaging"."dead_letters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"subscription" text NOT NULL,
	"event_id" uuid NOT NULL,
	"type" text NOT NULL,
	"key" text,
	"envelope" jsonb NOT NULL,
	"reason" text NOT NULL,
	"last_error" text,
	"delivery_count" integer NOT NULL,
	"dead_lettered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"replayed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "imaging"."inbox" (
	"subscription" text NOT NULL,
	"event_id" uuid NOT NULL,
	"handled_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_subscription_event_id_pk" PRIMARY KEY("subscription","event_id")
);
--> statement-breakpoint
CREATE TABLE "imaging"."outbox" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL,
	"type" text NOT NULL,
	"key" text,
	"envelope" jsonb NOT NULL,
	"target_subscription" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_until" timestamp with time zone,
	"published_at" timestamp with time zone,
	"publish_attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "dead_letters_subscription_event_idx" ON "imaging"."dead_letters" USING btree ("subscription","event_id");--> statement-breakpoint
CREATE INDEX "dead_letters_dead_lettered_at_idx" ON "imaging"."dead_letters" USING btree ("dead_lettered_at");--> statement-breakpoint
CREATE INDEX "inbox_handled_at_idx" ON "imaging"."inbox" USING btree ("handled_at");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "imaging"."outbox" USING btree ("seq") WHERE published_at IS NULL;--> statement-breakpoint
CREATE INDEX "outbox_published_at_idx" ON "imaging"."outbox" USING btree ("published_at") WHERE published_at IS NOT NULL;