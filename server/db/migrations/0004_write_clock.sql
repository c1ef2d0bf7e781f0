CREATE TABLE "provider"."write_clock" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"last_stamp" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "write_clock_one_row" CHECK ("provider"."write_clock"."id")
);
