CREATE SCHEMA "rollout";
--> statement-breakpoint
CREATE TABLE "rollout"."owners" (
	"user_id" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"reason" text NOT NULL,
	"stage_version" integer NOT NULL,
	"assigned_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "owners_owner_known" CHECK ("rollout"."owners"."owner" in ('new', 'old'))
);
--> statement-breakpoint
CREATE TABLE "rollout"."stage" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"stage" text DEFAULT 'shadow' NOT NULL,
	"percent" integer DEFAULT 0 NOT NULL,
	"allow" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"deny" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"updated_by" text DEFAULT 'migration' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stage_singleton" CHECK ("rollout"."stage"."id" = 1),
	CONSTRAINT "stage_known" CHECK ("rollout"."stage"."stage" in ('shadow', 'canary', 'full', 'fallback')),
	CONSTRAINT "stage_percent_range" CHECK ("rollout"."stage"."percent" between 0 and 100)
);
--> statement-breakpoint
CREATE TABLE "rollout"."stage_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"version" integer NOT NULL,
	"changed_by" text NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"from" jsonb NOT NULL,
	"to" jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "owners_owner_idx" ON "rollout"."owners" USING btree ("owner");--> statement-breakpoint
-- The one stage row: the move-over starts in shadow (every user with the old app).
INSERT INTO "rollout"."stage" ("id") VALUES (1) ON CONFLICT DO NOTHING;
