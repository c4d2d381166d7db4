CREATE TABLE "job_cursors" (
	"name" text PRIMARY KEY NOT NULL,
	"position" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_key" text NOT NULL,
	"channel" text NOT NULL,
	"event" text NOT NULL,
	"token_id" text,
	"recipient" text,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "token_usage_addresses" (
	"token_id" text NOT NULL,
	"address" text NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	CONSTRAINT "token_usage_addresses_token_id_address_pk" PRIMARY KEY("token_id","address")
);
--> statement-breakpoint
CREATE TABLE "token_usage_hours" (
	"token_id" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "token_usage_hours_token_id_hour_pk" PRIMARY KEY("token_id","hour")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_event_channel" ON "notifications" USING btree ("event_key","channel");--> statement-breakpoint
CREATE INDEX "notifications_due" ON "notifications" USING btree ("next_attempt_at");--> statement-breakpoint
CREATE INDEX "token_usage_addresses_last_seen" ON "token_usage_addresses" USING btree ("last_seen");--> statement-breakpoint
CREATE INDEX "token_usage_hours_hour" ON "token_usage_hours" USING btree ("hour");--> statement-breakpoint
CREATE INDEX "tokens_live_expiry" ON "tokens" USING btree ("expires_at") WHERE "tokens"."revoked_at" is null;