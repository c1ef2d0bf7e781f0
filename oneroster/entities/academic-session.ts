// AcademicSession (academicSessions / academicSession), notes §2.4; terms and grading periods are sessions.
import { z } from "zod";
import { baseShape, DateSchema, GuidRefSchema } from "../common.js";
import { SessionTypeSchema } from "../enums.js";
import type { EntityDescriptor } from "../fields.js";
import { baseFields } from "./base.js";

export const AcademicSessionSchema = z.object({
  ...baseShape,
  title: z.string(),
  startDate: DateSchema,
  endDate: DateSchema,
  type: SessionTypeSchema,
  parent: GuidRefSchema.optional(),
  children: z.array(GuidRefSchema).optional(),
  schoolYear: z.string().regex(/^\d{4}$/, "expected a 4-digit year"),
});
export type AcademicSession = z.infer<typeof AcademicSessionSchema>;

export const academicSessionEntity: EntityDescriptor = {
  name: "academicSession",
  collectionKey: "academicSessions",
  singleKey: "academicSession",
  path: "academicSessions",
  gradebook: false,
  fields: {
    ...baseFields,
    title: { kind: "string" },
    startDate: { kind: "date" },
    endDate: { kind: "date" },
    type: { kind: "enum", values: SessionTypeSchema.options },
    parent: { kind: "ref", target: "academicSession" },
    children: { kind: "refs", target: "academicSession" },
    schoolYear: { kind: "string" },
  },
};
