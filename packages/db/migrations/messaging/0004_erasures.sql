CREATE TABLE "messaging"."erasures" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_hash" text NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"payment_hashes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"verified_at" timestamp with time zone,
	"leftovers" jsonb
);
--> statement-breakpoint
CREATE INDEX "erasures_user_hash_idx" ON "messaging"."erasures" USING btree ("user_hash");--> statement-breakpoint
CREATE INDEX "erasures_unverified_idx" ON "messaging"."erasures" USING btree ("erased_at") WHERE verified_at IS NULL;