CREATE TABLE "messaging"."conversations" (
	"user_id" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"language" text DEFAULT 'en' NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messaging"."feedback" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"rating" integer,
	"text" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messaging"."inbound_messages" (
	"wamid" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"type" text NOT NULL,
	"sent_at" timestamp with time zone,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messaging"."message_statuses" (
	"wamid" text PRIMARY KEY NOT NULL,
	"recipient" text,
	"status" text NOT NULL,
	"rank" integer NOT NULL,
	"error_code" integer,
	"error_title" text,
	"status_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messaging"."outbound_messages" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"recipient" text NOT NULL,
	"kind" text NOT NULL,
	"wamid" text,
	"outcome" text NOT NULL,
	"error_code" integer,
	"error_message" text,
	"attempts" integer DEFAULT 1 NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messaging"."pack_videos" (
	"pack_id" integer NOT NULL,
	"subject_class" text NOT NULL,
	"url" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pack_videos_pack_id_subject_class_pk" PRIMARY KEY("pack_id","subject_class")
);
--> statement-breakpoint
CREATE INDEX "conversations_state_updated_at_idx" ON "messaging"."conversations" USING btree ("state","updated_at");--> statement-breakpoint
CREATE INDEX "feedback_created_at_idx" ON "messaging"."feedback" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "inbound_messages_received_at_idx" ON "messaging"."inbound_messages" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "outbound_messages_wamid_idx" ON "messaging"."outbound_messages" USING btree ("wamid");--> statement-breakpoint
CREATE INDEX "outbound_messages_sent_at_idx" ON "messaging"."outbound_messages" USING btree ("sent_at");