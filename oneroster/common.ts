// Primitive wire formats shared by every entity: sourcedId, dates, date-times, GUIDRefs, the base class (notes §2.1-2.3).
import { z } from "zod";
import { GuidTypeSchema, StatusSchema } from "./enums.js";

/** `YYYY-MM-DD` (notes §2.1). */
export const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
/** ISO 8601 date-time that carries a zone (`Z` or an offset), fractional seconds optional. */
export const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

const DATETIME_PARTS =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2})))?$/;

/** The instants every date and date-time must fall in, after its zone is applied: years 0001 to 9999 in UTC. */
export const EARLIEST_INSTANT = new Date("0001-01-01T00:00:00.000Z").getTime();
export const LATEST_INSTANT = new Date("9999-12-31T23:59:59.999Z").getTime();

const daysIn = (year: number, month: number) =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/** Why a date or date-time is not one, or undefined when it is. Calendar rules are strict: no 2026-02-30, no 24:00. */
export function calendarProblem(value: string): string | undefined {
  const m = DATETIME_PARTS.exec(value);
  if (!m) {
    return "expected YYYY-MM-DD or an ISO 8601 date-time with a zone, e.g. 2026-01-31T08:00:00Z";
  }
  const [, y, mo, d, h, mi, s, , zone, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1) {
    return "year 0000 does not exist; years run from 0001 to 9999";
  }
  if (month < 1 || month > 12) {
    return `month ${mo} does not exist`;
  }
  if (day < 1 || day > daysIn(year, month)) {
    return `${y}-${mo} has no day ${d}`;
  }
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59)) {
    return `${h}:${mi}${s === undefined ? "" : `:${s}`} is not a time of day (00:00:00 to 23:59:59)`;
  }
  if (
    zone !== undefined &&
    zone !== "Z" &&
    (Number(oh) > 14 || Number(om) > 59 || (Number(oh) === 14 && Number(om) > 0))
  ) {
    return `offset ${sign}${oh}:${om} is not a time zone (-14:00 to +14:00)`;
  }
  const instant = toInstant(m);
  if (instant < EARLIEST_INSTANT || instant > LATEST_INSTANT) {
    return "out of range: it must fall between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z";
  }
  return undefined;
}

function toInstant(m: RegExpExecArray): number {
  const [, y, mo, d, h, mi, s, frac, zone, sign, oh, om] = m;
  const at = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  at.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  at.setUTCHours(Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), Number((frac ?? "0").padEnd(3, "0").slice(0, 3)));
  const offsetMinutes =
    zone === undefined || zone === "Z" ? 0 : (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om));
  return at.getTime() - offsetMinutes * 60_000;
}

const isDateOnly = (value: string) => DATE_RE.test(value) && calendarProblem(value) === undefined;
const isDateTime = (value: string) => DATETIME_RE.test(value) && calendarProblem(value) === undefined;

export const DateSchema = z
  .string()
  .regex(DATE_RE, "expected a date YYYY-MM-DD")
  .superRefine((v, ctx) => {
    const problem = DATE_RE.test(v) ? calendarProblem(v) : undefined;
    if (problem) {
      ctx.addIssue({ code: "custom", message: `not a real date: ${problem}` });
    }
  });
export const DateTimeSchema = z
  .string()
  .regex(DATETIME_RE, "expected an ISO 8601 date-time with a UTC zone")
  .superRefine((v, ctx) => {
    const problem = DATETIME_RE.test(v) ? calendarProblem(v) : undefined;
    if (problem) {
      ctx.addIssue({ code: "custom", message: `not a real date-time: ${problem}` });
    }
  });

/** A date or a date-time, as PUT bodies may send either (notes §2.11, §7.1); one message names the problem. */
export const DateOrDateTimeSchema = z.string().superRefine((v, ctx) => {
  const problem = calendarProblem(v);
  if (problem) {
    ctx.addIssue({ code: "custom", message: `not a real date or date-time: ${problem}` });
  }
});

/**
 * Parses a date or date-time for comparisons: a date-only value is midnight UTC (notes §8). Undefined for anything
 * that is not a real calendar date in years 0001-9999 (`calendarProblem` says why).
 */
export function parseInstant(value: string): Date | undefined {
  if (!isDateOnly(value) && !isDateTime(value)) {
    return undefined;
  }
  const m = DATETIME_PARTS.exec(value);
  return m ? new Date(toInstant(m)) : undefined;
}

export const SourcedIdSchema = z.string().min(1);

/** A vocabulary extension token, `ext:` and a name (notes §2.1): legal where v1p1 allows extending a vocabulary. */
export const ExtensionTokenSchema = z.string().regex(/^ext:\S+$/, "expected a v1p1 value or an ext: extension");

/** A reference as providers send it: href, sourcedId and type all present (notes §2.3). */
export const GuidRefSchema = z.object({
  href: z.string().min(1),
  sourcedId: SourcedIdSchema,
  type: GuidTypeSchema,
});
export type GuidRef = z.infer<typeof GuidRefSchema>;

/** A reference as clients may send it in PUT bodies: only sourcedId is required (notes §2.3, §7.1). */
export const GuidRefInputSchema = z.object({
  href: z.string().optional(),
  sourcedId: SourcedIdSchema,
  type: z.string().optional(),
});
export type GuidRefInput = z.infer<typeof GuidRefInputSchema>;

export const MetadataSchema = z.record(z.string(), z.unknown());

/** Fields every entity carries (notes §2.2). */
export const baseShape = {
  sourcedId: SourcedIdSchema,
  status: StatusSchema,
  dateLastModified: DateTimeSchema,
  metadata: MetadataSchema.optional(),
};
