// Class (classes / class), notes §2.5.
import { z } from "zod";
import { baseShape, GuidRefSchema } from "../common.js";
import { ClassTypeSchema } from "../enums.js";
import type { EntityDescriptor } from "../fields.js";
import { baseFields } from "./base.js";

export const ClassSchema = z.object({
  ...baseShape,
  title: z.string(),
  classCode: z.string().optional(),
  classType: ClassTypeSchema,
  location: z.string().optional(),
  grades: z.array(z.string()).optional(),
  subjects: z.array(z.string()).optional(),
  course: GuidRefSchema,
  school: GuidRefSchema,
  terms: z.array(GuidRefSchema).min(1),
  subjectCodes: z.array(z.string()).optional(),
  periods: z.array(z.string()).optional(),
  resources: z.array(GuidRefSchema).optional(),
});
export type Class = z.infer<typeof ClassSchema>;

export const classEntity: EntityDescriptor = {
  name: "class",
  collectionKey: "classes",
  singleKey: "class",
  path: "classes",
  gradebook: false,
  fields: {
    ...baseFields,
    title: { kind: "string" },
    classCode: { kind: "string" },
    classType: { kind: "enum", values: ClassTypeSchema.options },
    location: { kind: "string" },
    grades: { kind: "strings" },
    subjects: { kind: "strings" },
    course: { kind: "ref", target: "course" },
    school: { kind: "ref", target: "org" },
    terms: { kind: "refs", target: "academicSession" },
    subjectCodes: { kind: "strings" },
    periods: { kind: "strings" },
    resources: { kind: "refs", target: "resource" },
  },
};
