// Collection and single-object envelopes (notes §2.12): `{users:[…]}` / `{user:{…}}`, with optional warnings.
import { z } from "zod";
import { AcademicSessionSchema } from "./entities/academic-session.js";
import { CategorySchema } from "./entities/category.js";
import { ClassSchema } from "./entities/class.js";
import { CourseSchema } from "./entities/course.js";
import { DemographicsSchema } from "./entities/demographics.js";
import { EnrollmentSchema } from "./entities/enrollment.js";
import { LineItemSchema } from "./entities/line-item.js";
import { OrgSchema } from "./entities/org.js";
import { ResourceSchema } from "./entities/resource.js";
import { ResultSchema } from "./entities/result.js";
import { UserSchema } from "./entities/user.js";
import { StatusInfoSchema } from "./errors.js";
import type { EntityName } from "./fields.js";

/** The strict record schema of each entity, by name. */
export const ENTITY_SCHEMAS: Record<EntityName, z.ZodObject> = {
  academicSession: AcademicSessionSchema,
  class: ClassSchema,
  course: CourseSchema,
  demographics: DemographicsSchema,
  enrollment: EnrollmentSchema,
  org: OrgSchema,
  user: UserSchema,
  resource: ResourceSchema,
  category: CategorySchema,
  lineItem: LineItemSchema,
  result: ResultSchema,
};

/** `{ <key>: Record[], statusInfoSet?: […] }` */
export function collectionEnvelope<T extends z.ZodType>(key: string, record: T) {
  return z.object({ [key]: z.array(record), statusInfoSet: z.array(StatusInfoSchema).optional() });
}

/** `{ <key>: Record, statusInfoSet?: […] }` */
export function singleEnvelope<T extends z.ZodType>(key: string, record: T) {
  return z.object({ [key]: record, statusInfoSet: z.array(StatusInfoSchema).optional() });
}
