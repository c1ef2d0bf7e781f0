CREATE SCHEMA "provider";
--> statement-breakpoint
CREATE TABLE "provider"."academic_sessions" (
	"sourced_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"date_last_modified" timestamp (3) with time zone NOT NULL,
	"metadata" jsonb,
	"title" text NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date NOT NULL,
	"type" text NOT NULL,
	"parent_id" text,
	"school_year" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "provider"."categories" (
	"sourced_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"date_last_modified" timestamp (3) with time zone NOT NULL,
	"metadata" jsonb,
	"title" text NOT NULL,
	"deleted" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "provider"."classes" (
	"sourced_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"date_last_modified" timestamp (3) with time zone NOT NULL,
	"metadata" jsonb,
	"title" text NOT NULL,
	"class_code" text,
	"class_type" text NOT NULL,
	"location" text,
	"grades" text[],
	"subjects" text[],
	"course_id" text NOT NULL,
	"school_id" text NOT NULL,
	"term_ids" text[] NOT NULL,
	"subject_codes" text[],
	"periods" text[],
	"resource_ids" text[]
);
--> statement-breakpoint
CREATE TABLE "provider"."courses" (
	"sourced_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"date_last_modified" timestamp (3) with time zone NOT NULL,
	"metadata" jsonb,
	"title" text NOT NULL,
	"school_year_id" text,
	"course_code" text,
	"grades" text[],
	"subjects" text[],
	"org_id" text NOT NULL,
	"subject_codes" text[],
	"resource_ids" text[]
);
--> statement-breakpoint
CREATE TABLE "provider"."demographics" (
	"sourced_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"date_last_modified" timestamp (3) with time zone NOT NULL,
	"metadata" jsonb,
	"birth_date" date,
	"sex" text,
	"american_indian_or_alaska_native" boolean,
	"asian" boolean,
	"black_or_african_american" boolean,
	"native_hawaiian_or_other_pacific_islander" boolean,
	"white" boolean,
	"demographic_race_two_or_more_races" boolean,
	"hispanic_or_latino_ethnicity" boolean,
	"country_of_birth_code" text,
	"state_of_birth_abbreviation" text,
	"city_of_birth" text,
	"public_school_residence_status" text
);
--> statement-breakpoint
CREATE TABLE "provider"."enrollments" (
	"sourced_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"date_last_modified" timestamp (3) with time zone NOT NULL,
	"metadata" jsonb,
	"user_id" text NOT NULL,
	"class_id" text NOT NULL,
	"school_id" text NOT NULL,
	"role" text NOT NULL,
	"primary" boolean,
	"begin_date" date,
	"end_date" date
);
--> statement-breakpoint
CREATE TABLE "provider"."line_items" (
	"sourced_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"date_last_modified" timestamp (3) with time zone NOT NULL,
	"metadata" jsonb,
	"title" text NOT NULL,
	"description" text,
	"assign_date" timestamp (3) with time zone NOT NULL,
	"due_date" timestamp (3) with time zone NOT NULL,
	"class_id" text NOT NULL,
	"category_id" text,
	"grading_period_id" text,
	"result_value_min" double precision NOT NULL,
	"result_value_max" double precision NOT NULL,
	"deleted" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "provider"."oauth_clients" (
	"client_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"secret_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"faults" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "provider"."orgs" (
	"sourced_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"date_last_modified" timestamp (3) with time zone NOT NULL,
	"metadata" jsonb,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"identifier" text,
	"parent_id" text
);
--> statement-breakpoint
CREATE TABLE "provider"."request_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"request_id" text NOT NULL,
	"client_id" text,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"query" text,
	"status" integer NOT NULL,
	"duration_ms" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "provider"."resources" (
	"sourced_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"date_last_modified" timestamp (3) with time zone NOT NULL,
	"metadata" jsonb,
	"title" text,
	"roles" text[],
	"importance" text,
	"vendor_resource_id" text NOT NULL,
	"vendor_id" text,
	"application_id" text
);
--> statement-breakpoint
CREATE TABLE "provider"."results" (
	"sourced_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"date_last_modified" timestamp (3) with time zone NOT NULL,
	"metadata" jsonb,
	"line_item_id" text NOT NULL,
	"student_id" text NOT NULL,
	"score_status" text NOT NULL,
	"score" double precision NOT NULL,
	"score_date" date NOT NULL,
	"comment" text,
	"deleted" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "provider"."settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "provider"."signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"alg" text NOT NULL,
	"private_jwk" jsonb NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "provider"."users" (
	"sourced_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"date_last_modified" timestamp (3) with time zone NOT NULL,
	"metadata" jsonb,
	"username" text NOT NULL,
	"user_ids" jsonb,
	"enabled_user" boolean NOT NULL,
	"given_name" text NOT NULL,
	"family_name" text NOT NULL,
	"middle_name" text,
	"role" text NOT NULL,
	"identifier" text,
	"email" text,
	"sms" text,
	"phone" text,
	"agent_ids" text[],
	"org_ids" text[] NOT NULL,
	"grades" text[],
	"password" text
);
--> statement-breakpoint
CREATE INDEX "academic_sessions_parent_id_index" ON "provider"."academic_sessions" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "academic_sessions_type_index" ON "provider"."academic_sessions" USING btree ("type");--> statement-breakpoint
CREATE INDEX "academic_sessions_date_last_modified_index" ON "provider"."academic_sessions" USING btree ("date_last_modified");--> statement-breakpoint
CREATE INDEX "categories_date_last_modified_index" ON "provider"."categories" USING btree ("date_last_modified");--> statement-breakpoint
CREATE INDEX "classes_course_id_index" ON "provider"."classes" USING btree ("course_id");--> statement-breakpoint
CREATE INDEX "classes_school_id_index" ON "provider"."classes" USING btree ("school_id");--> statement-breakpoint
CREATE INDEX "classes_term_ids_index" ON "provider"."classes" USING gin ("term_ids");--> statement-breakpoint
CREATE INDEX "classes_date_last_modified_index" ON "provider"."classes" USING btree ("date_last_modified");--> statement-breakpoint
CREATE INDEX "courses_org_id_index" ON "provider"."courses" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "courses_date_last_modified_index" ON "provider"."courses" USING btree ("date_last_modified");--> statement-breakpoint
CREATE INDEX "demographics_date_last_modified_index" ON "provider"."demographics" USING btree ("date_last_modified");--> statement-breakpoint
CREATE INDEX "enrollments_user_id_index" ON "provider"."enrollments" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "enrollments_class_id_index" ON "provider"."enrollments" USING btree ("class_id");--> statement-breakpoint
CREATE INDEX "enrollments_school_id_index" ON "provider"."enrollments" USING btree ("school_id");--> statement-breakpoint
CREATE INDEX "enrollments_date_last_modified_index" ON "provider"."enrollments" USING btree ("date_last_modified");--> statement-breakpoint
CREATE INDEX "line_items_class_id_index" ON "provider"."line_items" USING btree ("class_id");--> statement-breakpoint
CREATE INDEX "line_items_category_id_index" ON "provider"."line_items" USING btree ("category_id");--> statement-breakpoint
CREATE INDEX "line_items_date_last_modified_index" ON "provider"."line_items" USING btree ("date_last_modified");--> statement-breakpoint
CREATE INDEX "orgs_parent_id_index" ON "provider"."orgs" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "orgs_type_index" ON "provider"."orgs" USING btree ("type");--> statement-breakpoint
CREATE INDEX "orgs_date_last_modified_index" ON "provider"."orgs" USING btree ("date_last_modified");--> statement-breakpoint
CREATE INDEX "request_log_at_index" ON "provider"."request_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "request_log_client_id_index" ON "provider"."request_log" USING btree ("client_id");--> statement-breakpoint
CREATE INDEX "resources_date_last_modified_index" ON "provider"."resources" USING btree ("date_last_modified");--> statement-breakpoint
CREATE INDEX "results_line_item_id_index" ON "provider"."results" USING btree ("line_item_id");--> statement-breakpoint
CREATE INDEX "results_student_id_index" ON "provider"."results" USING btree ("student_id");--> statement-breakpoint
CREATE INDEX "results_date_last_modified_index" ON "provider"."results" USING btree ("date_last_modified");--> statement-breakpoint
CREATE INDEX "users_role_index" ON "provider"."users" USING btree ("role");--> statement-breakpoint
CREATE INDEX "users_org_ids_index" ON "provider"."users" USING gin ("org_ids");--> statement-breakpoint
CREATE INDEX "users_email_index" ON "provider"."users" USING btree ("email");--> statement-breakpoint
CREATE INDEX "users_date_last_modified_index" ON "provider"."users" USING btree ("date_last_modified");