// Course (courses / course), notes §2.6.
import { z } from "zod";
import { baseShape, GuidRefSchema } from "../common.js";
import type { EntityDescriptor } from "../fields.js";
import { baseFields } from "./base.js";

export const CourseSchema = z.object({
  ...baseShape,
  title: z.string(),
  schoolYear: GuidRefSchema.optional(),
  courseCode: z.string().optional(),
  grades: z.array(z.string()).optional(),
  subjects: z.array(z.string()).optional(),
  org: GuidRefSchema,
  subjectCodes: z.array(z.string()).optional(),
  resources: z.array(GuidRefSchema).optional(),
});
export type Course = z.infer<typeof CourseSchema>;

export const courseEntity: EntityDescriptor = {
  name: "course",
  collectionKey: "courses",
  singleKey: "course",
  path: "courses",
  gradebook: false,
  fields: {
    ...baseFields,
    title: { kind: "string" },
    schoolYear: { kind: "ref", target: "academicSession" },
    courseCode: { kind: "string" },
    grades: { kind: "strings" },
    subjects: { kind: "strings" },
    org: { kind: "ref", target: "org" },
    subjectCodes: { kind: "strings" },
    resources: { kind: "refs", target: "resource" },
  },
};
