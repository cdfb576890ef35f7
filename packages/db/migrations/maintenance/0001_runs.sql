CREATE TABLE "maintenance"."runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"command" text NOT NULL,
	"dry_run" boolean DEFAULT false NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"summary" jsonb
);
--> statement-breakpoint
CREATE INDEX "runs_command_started_at_idx" ON "maintenance"."runs" USING btree ("command","started_at");