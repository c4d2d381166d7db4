ALTER TABLE "tokens" ADD COLUMN "restrictions" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "tokens" ADD COLUMN "rotated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tokens" ADD COLUMN "previous_secret_hash" text;--> statement-breakpoint
ALTER TABLE "tokens" ADD COLUMN "previous_secret_fingerprint" integer;--> statement-breakpoint
ALTER TABLE "tokens" ADD COLUMN "previous_secret_until" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "tokens_owner_live" ON "tokens" USING btree ("owner_id","expires_at") WHERE "tokens"."revoked_at" is null;--> statement-breakpoint
CREATE INDEX "tokens_rotated_from" ON "tokens" USING btree ("rotated_from") WHERE "tokens"."rotated_from" is not null;