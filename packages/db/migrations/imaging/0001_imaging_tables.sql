CREATE TABLE "imaging"."photos" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"message_id" text NOT NULL,
	"media_id" text NOT NULL,
	"blob_key" text,
	"mime_type" text,
	"size_bytes" integer,
	"status" text NOT NULL,
	"reason" text,
	"subject_class" text,
	"characteristics" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "imaging"."preview_videos" (
	"pack_id" integer NOT NULL,
	"subject_class" text NOT NULL,
	"blob_key" text NOT NULL,
	"url" text NOT NULL,
	"image_count" integer NOT NULL,
	"skipped_count" integer DEFAULT 0 NOT NULL,
	"duration_seconds" double precision NOT NULL,
	"built_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "preview_videos_pack_id_subject_class_pk" PRIMARY KEY("pack_id","subject_class")
);
--> statement-breakpoint
CREATE TABLE "imaging"."prompts" (
	"request_id" text NOT NULL,
	"prompt_id" bigint NOT NULL,
	"tune_id" bigint NOT NULL,
	"text" text,
	"images" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"user_error" text,
	"source" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "prompts_request_id_prompt_id_pk" PRIMARY KEY("request_id","prompt_id")
);
--> statement-breakpoint
CREATE TABLE "imaging"."tunes" (
	"request_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"pack_id" integer NOT NULL,
	"tier" text NOT NULL,
	"subject_class" text NOT NULL,
	"payment_id" text NOT NULL,
	"photo_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"title" text NOT NULL,
	"tune_id" bigint,
	"existing_tune_id" bigint,
	"status" text NOT NULL,
	"failure_reason" text,
	"eta" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"trained_at" timestamp with time zone,
	"expected_prompts" integer,
	"images_published_at" timestamp with time zone,
	"correlation_id" text,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"tune_deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "photos_message_id_key" ON "imaging"."photos" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "photos_user_idx" ON "imaging"."photos" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "photos_updated_at_idx" ON "imaging"."photos" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "tunes_tune_id_idx" ON "imaging"."tunes" USING btree ("tune_id");--> statement-breakpoint
CREATE INDEX "tunes_user_idx" ON "imaging"."tunes" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "tunes_pending_images_idx" ON "imaging"."tunes" USING btree ("eta") WHERE images_published_at IS NULL AND status <> 'failed';