CREATE TABLE "seen_logout_tokens" (
	"jti" text PRIMARY KEY NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "disabled_by" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "idp_subject" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "idp_session_id" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "signed_out_session_id" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "sessions_not_before" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "refresh_token" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "revalidated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "external_id" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "name_parts" jsonb;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "seen_logout_tokens_seen_at" ON "seen_logout_tokens" USING btree ("seen_at");--> statement-breakpoint
CREATE INDEX "users_realm_idp_subject" ON "users" USING btree ("realm","idp_subject");