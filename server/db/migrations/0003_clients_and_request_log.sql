DROP INDEX "provider"."request_log_client_id_index";--> statement-breakpoint
ALTER TABLE "provider"."oauth_clients" ADD COLUMN "token_leniency" text DEFAULT 'strict' NOT NULL;--> statement-breakpoint
ALTER TABLE "provider"."oauth_clients" ADD COLUMN "updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "provider"."oauth_clients" ADD COLUMN "tokens_valid_after" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "provider"."oauth_clients" ADD COLUMN "deleted_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "provider"."request_log" ADD COLUMN "operation" text;--> statement-breakpoint
ALTER TABLE "provider"."request_log" ADD COLUMN "bytes" integer;--> statement-breakpoint
ALTER TABLE "provider"."request_log" ADD COLUMN "total" integer;--> statement-breakpoint
ALTER TABLE "provider"."request_log" ADD COLUMN "faults" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "provider"."request_log" ADD COLUMN "findings" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
CREATE INDEX "request_log_client_id_at_index" ON "provider"."request_log" USING btree ("client_id","at");--> statement-breakpoint
ALTER TABLE "provider"."oauth_clients" DROP COLUMN "faults";