CREATE TABLE "rollout"."import_checkpoints" (
	"source" text NOT NULL,
	"kind" text NOT NULL,
	"last_key" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "import_checkpoints_source_kind_pk" PRIMARY KEY("source","kind")
);
--> statement-breakpoint
CREATE TABLE "rollout"."imported_users" (
	"user_id" text PRIMARY KEY NOT NULL,
	"old_state" integer,
	"via" text NOT NULL,
	"imports" integer DEFAULT 1 NOT NULL,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rollout"."suppressed_effects" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"correlation_id" text,
	"stage" text NOT NULL,
	"stage_version" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "suppressed_effects_user_idx" ON "rollout"."suppressed_effects" USING btree ("user_id","id");