CREATE TABLE "provider"."fault_counters" (
	"scope" text NOT NULL,
	"name" text NOT NULL,
	"key" text NOT NULL,
	"n" bigint NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "fault_counters_scope_name_key_pk" PRIMARY KEY("scope","name","key")
);
--> statement-breakpoint
CREATE TABLE "provider"."fault_switches" (
	"scope" text NOT NULL,
	"name" text NOT NULL,
	"params" jsonb NOT NULL,
	"switched_on_at" timestamp (3) with time zone NOT NULL,
	"until" timestamp (3) with time zone,
	CONSTRAINT "fault_switches_scope_name_pk" PRIMARY KEY("scope","name")
);
--> statement-breakpoint
CREATE INDEX "fault_counters_updated_at_index" ON "provider"."fault_counters" USING btree ("updated_at");