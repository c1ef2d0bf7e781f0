CREATE SCHEMA "lms";
--> statement-breakpoint
CREATE TABLE "lms"."audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"batch_id" bigint NOT NULL,
	"entity" text NOT NULL,
	"action" text NOT NULL,
	"sis_id" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lms"."batch_collections" (
	"batch_id" bigint NOT NULL,
	"collection" text NOT NULL,
	"cursor" jsonb NOT NULL,
	"complete" boolean DEFAULT false NOT NULL,
	"records" integer DEFAULT 0 NOT NULL,
	"total" integer,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"ms" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "batch_collections_batch_id_collection_pk" PRIMARY KEY("batch_id","collection")
);
--> statement-breakpoint
CREATE TABLE "lms"."batch_errors" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"batch_id" bigint NOT NULL,
	"collection" text NOT NULL,
	"sourced_id" text,
	"code" text NOT NULL,
	"message" text NOT NULL,
	"record" jsonb,
	"at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lms"."batches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"mode" text NOT NULL,
	"since" timestamp (3) with time zone,
	"profile" text NOT NULL,
	"base_url" text NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"fetched_at" timestamp (3) with time zone,
	"finished_at" timestamp (3) with time zone,
	"plan_version" integer,
	"counts" jsonb,
	"hold_reasons" jsonb,
	"timings" jsonb,
	"warnings" jsonb,
	"error" text,
	"started_by" text NOT NULL,
	"approved_by" text,
	"resumed_count" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lms"."enrollments" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"sis_id" text,
	"user_id" bigint NOT NULL,
	"org_unit_id" bigint NOT NULL,
	"section_id" bigint,
	"role" text NOT NULL,
	"sis_role" text,
	"kind" text NOT NULL,
	"source" text NOT NULL,
	"is_primary" boolean,
	"begin_date" date,
	"end_date" date,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lms"."org_unit_parents" (
	"child_id" bigint NOT NULL,
	"parent_id" bigint NOT NULL,
	CONSTRAINT "org_unit_parents_child_id_parent_id_pk" PRIMARY KEY("child_id","parent_id")
);
--> statement-breakpoint
CREATE TABLE "lms"."org_units" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"type" text NOT NULL,
	"sis_id" text,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"start_date" date,
	"end_date" date,
	"source" text NOT NULL,
	"grade_export" boolean DEFAULT false NOT NULL,
	"unmapped_at" timestamp (3) with time zone,
	"archived_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lms"."parent_links" (
	"parent_user_id" bigint NOT NULL,
	"child_user_id" bigint NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "parent_links_parent_user_id_child_user_id_pk" PRIMARY KEY("parent_user_id","child_user_id")
);
--> statement-breakpoint
CREATE TABLE "lms"."plan_changes" (
	"batch_id" bigint NOT NULL,
	"seq" integer NOT NULL,
	"entity" text NOT NULL,
	"action" text NOT NULL,
	"group" text NOT NULL,
	"sis_id" text NOT NULL,
	"kind" text,
	"before" jsonb,
	"after" jsonb,
	"reason" text,
	CONSTRAINT "plan_changes_batch_id_seq_pk" PRIMARY KEY("batch_id","seq")
);
--> statement-breakpoint
CREATE TABLE "lms"."staged_records" (
	"batch_id" bigint NOT NULL,
	"collection" text NOT NULL,
	"sourced_id" text NOT NULL,
	"record" jsonb NOT NULL,
	CONSTRAINT "staged_records_batch_id_collection_sourced_id_pk" PRIMARY KEY("batch_id","collection","sourced_id")
);
--> statement-breakpoint
CREATE TABLE "lms"."sync_state" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lms"."users" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"sis_id" text,
	"org_defined_id" text,
	"username" text NOT NULL,
	"first_name" text NOT NULL,
	"middle_name" text,
	"last_name" text NOT NULL,
	"email" text,
	"role" text NOT NULL,
	"sis_role" text,
	"is_active" boolean DEFAULT true NOT NULL,
	"source" text NOT NULL,
	"trashed_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_log_batch_id_index" ON "lms"."audit_log" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "audit_log_entity_sis_id_index" ON "lms"."audit_log" USING btree ("entity","sis_id");--> statement-breakpoint
CREATE INDEX "batch_errors_batch_id_index" ON "lms"."batch_errors" USING btree ("batch_id");--> statement-breakpoint
CREATE UNIQUE INDEX "enrollments_sis_id_index" ON "lms"."enrollments" USING btree ("sis_id");--> statement-breakpoint
CREATE INDEX "enrollments_user_id_index" ON "lms"."enrollments" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "enrollments_org_unit_id_index" ON "lms"."enrollments" USING btree ("org_unit_id");--> statement-breakpoint
CREATE INDEX "org_unit_parents_parent_id_index" ON "lms"."org_unit_parents" USING btree ("parent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "org_units_kind_sis_id_mapped" ON "lms"."org_units" USING btree ("kind","sis_id") WHERE "lms"."org_units"."unmapped_at" IS NULL;--> statement-breakpoint
CREATE INDEX "org_units_kind_code_index" ON "lms"."org_units" USING btree ("kind","code");--> statement-breakpoint
CREATE INDEX "parent_links_child_user_id_index" ON "lms"."parent_links" USING btree ("child_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_sis_id_index" ON "lms"."users" USING btree ("sis_id");--> statement-breakpoint
CREATE INDEX "users_username_index" ON "lms"."users" USING btree ("username");--> statement-breakpoint
CREATE INDEX "users_org_defined_id_index" ON "lms"."users" USING btree ("org_defined_id");