// Resource (resources / resource), notes §2.11.
import { z } from "zod";
import { baseShape } from "../common.js";
import { ImportanceSchema, RoleSchema } from "../enums.js";
import type { EntityDescriptor } from "../fields.js";
import { baseFields } from "./base.js";

export const ResourceSchema = z.object({
  ...baseShape,
  title: z.string().optional(),
  roles: z.array(RoleSchema).optional(),
  importance: ImportanceSchema.optional(),
  vendorResourceId: z.string(),
  vendorId: z.string().optional(),
  applicationId: z.string().optional(),
});
export type Resource = z.infer<typeof ResourceSchema>;

export const resourceEntity: EntityDescriptor = {
  name: "resource",
  collectionKey: "resources",
  singleKey: "resource",
  path: "resources",
  gradebook: false,
  fields: {
    ...baseFields,
    title: { kind: "string" },
    roles: { kind: "strings" },
    importance: { kind: "enum", values: ImportanceSchema.options },
    vendorResourceId: { kind: "string" },
    vendorId: { kind: "string" },
    applicationId: { kind: "string" },
  },
};
