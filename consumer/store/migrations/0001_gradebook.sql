CREATE TABLE "lms"."grade_categories" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"sis_id" text,
	"offering_id" bigint,
	"name" text NOT NULL,
	"export_to_sis" boolean DEFAULT false NOT NULL,
	"source" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lms"."grade_export_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"export_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"lms_id" bigint NOT NULL,
	"sourced_id" text NOT NULL,
	"reason" text NOT NULL,
	"outcome" text NOT NULL,
	"http_status" integer,
	"provider_status" jsonb,
	"message" text,
	"at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lms"."grade_export_state" (
	"kind" text NOT NULL,
	"lms_id" bigint NOT NULL,
	"sourced_id" text NOT NULL,
	"sent_revision" integer,
	"sent_item_revision" integer,
	"last_outcome" text NOT NULL,
	"last_export_id" bigint,
	"last_attempt_at" timestamp (3) with time zone NOT NULL,
	"deleted_at_sis" timestamp (3) with time zone,
	CONSTRAINT "grade_export_state_kind_lms_id_pk" PRIMARY KEY("kind","lms_id")
);
--> statement-breakpoint
CREATE TABLE "lms"."grade_exports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"offering_id" bigint NOT NULL,
	"trigger" text NOT NULL,
	"started_by" text NOT NULL,
	"base_url" text NOT NULL,
	"section_id" bigint,
	"session_id" bigint,
	"status" text NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"finished_at" timestamp (3) with time zone,
	"counts" jsonb,
	"message" text
);
--> statement-breakpoint
CREATE TABLE "lms"."grade_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"offering_id" bigint NOT NULL,
	"category_id" bigint,
	"session_id" bigint,
	"name" text NOT NULL,
	"description" text,
	"assign_date" timestamp (3) with time zone NOT NULL,
	"due_date" timestamp (3) with time zone NOT NULL,
	"min_score" double precision DEFAULT 0 NOT NULL,
	"max_score" double precision NOT NULL,
	"end_of_course" boolean DEFAULT false NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"deleted_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "lms"."grades" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"grade_item_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"score_status" text NOT NULL,
	"score" double precision,
	"comment" text,
	"revision" integer DEFAULT 1 NOT NULL,
	"graded_by" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"deleted_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "grade_categories_sis_id_index" ON "lms"."grade_categories" USING btree ("sis_id");--> statement-breakpoint
CREATE INDEX "grade_categories_offering_id_index" ON "lms"."grade_categories" USING btree ("offering_id");--> statement-breakpoint
CREATE INDEX "grade_export_items_export_id_index" ON "lms"."grade_export_items" USING btree ("export_id");--> statement-breakpoint
CREATE INDEX "grade_exports_offering_id_index" ON "lms"."grade_exports" USING btree ("offering_id");--> statement-breakpoint
CREATE INDEX "grade_items_offering_id_index" ON "lms"."grade_items" USING btree ("offering_id");--> statement-breakpoint
CREATE UNIQUE INDEX "grades_grade_item_id_user_id_index" ON "lms"."grades" USING btree ("grade_item_id","user_id");--> statement-breakpoint
CREATE INDEX "grades_user_id_index" ON "lms"."grades" USING btree ("user_id");