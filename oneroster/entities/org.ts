// Org (orgs / org), notes §2.9; schools are orgs of type `school`.
import { z } from "zod";
import { baseShape, GuidRefSchema } from "../common.js";
import { OrgTypeSchema } from "../enums.js";
import type { EntityDescriptor } from "../fields.js";
import { baseFields } from "./base.js";

export const OrgSchema = z.object({
  ...baseShape,
  name: z.string(),
  type: OrgTypeSchema,
  identifier: z.string().optional(),
  parent: GuidRefSchema.optional(),
  children: z.array(GuidRefSchema).optional(),
});
export type Org = z.infer<typeof OrgSchema>;

export const orgEntity: EntityDescriptor = {
  name: "org",
  collectionKey: "orgs",
  singleKey: "org",
  path: "orgs",
  gradebook: false,
  fields: {
    ...baseFields,
    name: { kind: "string" },
    type: { kind: "enum", values: OrgTypeSchema.options },
    identifier: { kind: "string" },
    parent: { kind: "ref", target: "org" },
    children: { kind: "refs", target: "org" },
  },
};
