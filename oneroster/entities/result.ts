// Result (results / result), notes §2.11; written by gradebook PUT.
import { z } from "zod";
import { baseShape, DateOrDateTimeSchema, DateSchema, GuidRefInputSchema, GuidRefSchema } from "../common.js";
import { ScoreStatusSchema, StatusSchema } from "../enums.js";
import type { EntityDescriptor } from "../fields.js";
import { baseFields } from "./base.js";

export const ResultSchema = z.object({
  ...baseShape,
  lineItem: GuidRefSchema,
  student: GuidRefSchema,
  scoreStatus: ScoreStatusSchema,
  score: z.number(),
  scoreDate: DateSchema,
  comment: z.string().optional(),
});
export type Result = z.infer<typeof ResultSchema>;

/**
 * PUT body of a result, lenient where real clients are (notes §7.1): sourcedId-only references,
 * `scoreDate` as a date-time, empty comment, score above the line item's maximum.
 */
export const ResultInputSchema = z.object({
  sourcedId: z.string().optional(),
  status: StatusSchema.optional(),
  dateLastModified: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  lineItem: GuidRefInputSchema,
  student: GuidRefInputSchema,
  scoreStatus: ScoreStatusSchema,
  score: z.number(),
  scoreDate: DateOrDateTimeSchema,
  comment: z.string().optional(),
});
export type ResultInput = z.infer<typeof ResultInputSchema>;

export const resultEntity: EntityDescriptor = {
  name: "result",
  collectionKey: "results",
  singleKey: "result",
  path: "results",
  gradebook: true,
  fields: {
    ...baseFields,
    lineItem: { kind: "ref", target: "lineItem" },
    student: { kind: "ref", target: "user" },
    scoreStatus: { kind: "enum", values: ScoreStatusSchema.options },
    score: { kind: "number" },
    scoreDate: { kind: "date" },
    comment: { kind: "string" },
  },
};
