// LineItem (lineItems / lineItem), notes §2.11; written by gradebook PUT.
import { z } from "zod";
import { baseShape, DateOrDateTimeSchema, DateTimeSchema, GuidRefInputSchema, GuidRefSchema } from "../common.js";
import { StatusSchema } from "../enums.js";
import type { EntityDescriptor } from "../fields.js";
import { baseFields } from "./base.js";

export const LineItemSchema = z.object({
  ...baseShape,
  title: z.string(),
  description: z.string().optional(),
  assignDate: DateTimeSchema,
  dueDate: DateTimeSchema,
  class: GuidRefSchema,
  category: GuidRefSchema,
  gradingPeriod: GuidRefSchema,
  resultValueMin: z.number(),
  resultValueMax: z.number(),
});
export type LineItem = z.infer<typeof LineItemSchema>;

/**
 * PUT body of a line item, lenient where real clients are (notes §7.1): sourcedId-only references,
 * no category and no gradingPeriod, dates or date-times.
 */
export const LineItemInputSchema = z.object({
  sourcedId: z.string().optional(),
  status: StatusSchema.optional(),
  dateLastModified: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  title: z.string().min(1),
  description: z.string().optional(),
  assignDate: DateOrDateTimeSchema,
  dueDate: DateOrDateTimeSchema,
  class: GuidRefInputSchema,
  category: GuidRefInputSchema.optional(),
  gradingPeriod: GuidRefInputSchema.optional(),
  resultValueMin: z.number(),
  resultValueMax: z.number(),
});
export type LineItemInput = z.infer<typeof LineItemInputSchema>;

export const lineItemEntity: EntityDescriptor = {
  name: "lineItem",
  collectionKey: "lineItems",
  singleKey: "lineItem",
  path: "lineItems",
  gradebook: true,
  fields: {
    ...baseFields,
    title: { kind: "string" },
    description: { kind: "string" },
    assignDate: { kind: "datetime" },
    dueDate: { kind: "datetime" },
    class: { kind: "ref", target: "class" },
    category: { kind: "ref", target: "category" },
    gradingPeriod: { kind: "ref", target: "academicSession" },
    resultValueMin: { kind: "number" },
    resultValueMax: { kind: "number" },
  },
};
