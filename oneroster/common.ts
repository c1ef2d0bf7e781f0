// Primitive wire formats shared by every entity: sourcedId, dates, date-times, GUIDRefs, the base class (notes §2.1-2.3).
import { z } from "zod";
import { GuidTypeSchema, StatusSchema } from "./enums.js";

/** `YYYY-MM-DD` (notes §2.1). */
export const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
/** ISO 8601 date-time that carries a zone (`Z` or an offset), fractional seconds optional. */
export const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function isRealDate(value: string): boolean {
  return !Number.isNaN(Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value));
}

export const DateSchema = z.string().regex(DATE_RE, "expected a date YYYY-MM-DD").refine(isRealDate, "not a real date");
export const DateTimeSchema = z
  .string()
  .regex(DATETIME_RE, "expected an ISO 8601 date-time with a UTC zone")
  .refine(isRealDate, "not a real date-time");

/** Parses a date or date-time for comparisons: a date-only value is midnight UTC (notes §8). */
export function parseInstant(value: string): Date | undefined {
  if (DATE_RE.test(value) || DATETIME_RE.test(value)) {
    const d = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

export const SourcedIdSchema = z.string().min(1);

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
