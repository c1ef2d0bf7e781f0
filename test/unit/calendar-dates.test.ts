// Strict calendar dates (issue 8, item 3; notes §2.1): calendarProblem and parseInstant accept real dates and
// date-times in years 0001-9999 (after the zone is applied) and say why anything else is not one.
import { describe, expect, it } from "vitest";
import {
  calendarProblem,
  DateOrDateTimeSchema,
  DateSchema,
  DateTimeSchema,
  parseInstant,
} from "../../oneroster/index.js";

describe("calendarProblem", () => {
  it.each([
    "2026-01-31",
    "2028-02-29",
    "2000-02-29",
    "0001-01-01",
    "9999-12-31",
    "2026-06-30T23:59:59Z",
    "2026-06-30T23:59:59.999999999Z",
    "2026-06-30T00:00+14:00",
    "2026-06-30T00:00:00-1200",
    "9999-12-31T23:59:59Z",
    "0001-01-01T12:00:00+12:00",
  ])("accepts %s", (value) => {
    expect(calendarProblem(value)).toBeUndefined();
    expect(parseInstant(value)).toBeInstanceOf(Date);
  });

  it.each([
    ["2026-02-29", /2026-02 has no day 29/],
    ["1900-02-29", /1900-02 has no day 29/],
    ["2026-04-31", /2026-04 has no day 31/],
    ["2026-02-30", /no day 30/],
    ["2026-13-01", /month 13/],
    ["2026-00-01", /month 00/],
    ["2026-01-00", /no day 00/],
    ["0000-01-01", /year 0000/],
    ["2026-01-01T24:00:00Z", /time of day/],
    ["2026-01-01T23:60:00Z", /time of day/],
    ["2026-01-01T23:59:60Z", /time of day/],
    ["2026-01-01T00:00:00+14:30", /time zone/],
    ["2026-01-01T00:00:00-15:00", /time zone/],
    ["9999-12-31T23:59:59-14:00", /out of range/],
    ["0001-01-01T00:00:00+00:01", /out of range/],
    ["2026-01-01T00:00:00", /expected YYYY-MM-DD or an ISO 8601 date-time with a zone/],
    ["26-01-01", /expected/],
    ["+002026-01-01", /expected/],
  ])("refuses %s, saying why", (value, why) => {
    expect(calendarProblem(value)).toMatch(why);
    expect(parseInstant(value)).toBeUndefined();
  });

  it("reads years below 100 as they are written, not as 19xx", () => {
    expect(parseInstant("0050-03-01T00:00:00Z")?.toISOString()).toBe("0050-03-01T00:00:00.000Z");
  });

  it("applies the offset: the same instant in two zones", () => {
    expect(parseInstant("2026-01-01T02:30:00+02:30")?.getTime()).toBe(parseInstant("2026-01-01T00:00:00Z")?.getTime());
  });

  it("backs the schemas, whose messages say what is wrong", () => {
    expect(DateSchema.safeParse("2026-02-30").error?.issues[0]?.message).toMatch(
      /not a real date: 2026-02 has no day 30/,
    );
    expect(DateTimeSchema.safeParse("2026-02-28T24:00:00Z").success).toBe(false);
    expect(DateOrDateTimeSchema.safeParse("2026-02-28").success).toBe(true);
    expect(DateOrDateTimeSchema.safeParse("2026-02-28T10:00:00Z").success).toBe(true);
    expect(DateOrDateTimeSchema.safeParse("2026-02-30").error?.issues[0]?.message).toMatch(/no day 30/);
  });
});
