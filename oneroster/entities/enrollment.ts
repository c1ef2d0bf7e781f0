// Enrollment (enrollments / enrollment), notes §2.8.
import { z } from "zod";
import { baseShape, DateSchema, ExtensionTokenSchema, GuidRefSchema } from "../common.js";
import { EnrollmentRoleSchema } from "../enums.js";
import type { EntityDescriptor } from "../fields.js";
import { baseFields } from "./base.js";

export const EnrollmentSchema = z.object({
  ...baseShape,
  user: GuidRefSchema,
  class: GuidRefSchema,
  school: GuidRefSchema,
  role: z.union([EnrollmentRoleSchema, ExtensionTokenSchema]),
  primary: z.boolean().optional(),
  beginDate: DateSchema.optional(),
  endDate: DateSchema.optional(),
});
export type Enrollment = z.infer<typeof EnrollmentSchema>;

export const enrollmentEntity: EntityDescriptor = {
  name: "enrollment",
  collectionKey: "enrollments",
  singleKey: "enrollment",
  path: "enrollments",
  gradebook: false,
  fields: {
    ...baseFields,
    user: { kind: "ref", target: "user" },
    class: { kind: "ref", target: "class" },
    school: { kind: "ref", target: "org" },
    role: { kind: "enum", values: EnrollmentRoleSchema.options },
    primary: { kind: "boolean" },
    beginDate: { kind: "date" },
    endDate: { kind: "date" },
  },
};
