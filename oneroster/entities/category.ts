// Category (categories / category), notes §2.11; written by gradebook PUT.
import { z } from "zod";
import { baseShape } from "../common.js";
import { StatusSchema } from "../enums.js";
import type { EntityDescriptor } from "../fields.js";
import { baseFields } from "./base.js";

export const CategorySchema = z.object({ ...baseShape, title: z.string() });
export type Category = z.infer<typeof CategorySchema>;

/** PUT body of a category: server-managed fields optional (notes §7.1). */
export const CategoryInputSchema = z.object({
  sourcedId: z.string().optional(),
  status: StatusSchema.optional(),
  dateLastModified: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  title: z.string().min(1),
});
export type CategoryInput = z.infer<typeof CategoryInputSchema>;

export const categoryEntity: EntityDescriptor = {
  name: "category",
  collectionKey: "categories",
  singleKey: "category",
  path: "categories",
  gradebook: true,
  fields: { ...baseFields, title: { kind: "string" } },
};
