// Every entity descriptor by name, and the GUIDRef href path of each reference type.
import type { GuidType } from "../enums.js";
import type { EntityDescriptor, EntityName } from "../fields.js";
import { academicSessionEntity } from "./academic-session.js";
import { categoryEntity } from "./category.js";
import { classEntity } from "./class.js";
import { courseEntity } from "./course.js";
import { demographicsEntity } from "./demographics.js";
import { enrollmentEntity } from "./enrollment.js";
import { lineItemEntity } from "./line-item.js";
import { orgEntity } from "./org.js";
import { resourceEntity } from "./resource.js";
import { resultEntity } from "./result.js";
import { userEntity } from "./user.js";

export const ENTITIES: Record<EntityName, EntityDescriptor> = {
  academicSession: academicSessionEntity,
  class: classEntity,
  course: courseEntity,
  demographics: demographicsEntity,
  enrollment: enrollmentEntity,
  org: orgEntity,
  user: userEntity,
  resource: resourceEntity,
  category: categoryEntity,
  lineItem: lineItemEntity,
  result: resultEntity,
};

/** Path segment a GUIDRef of this type points at (schools are orgs, terms are academicSessions; notes §2.3). */
export const HREF_PATH: Record<GuidType, string> = {
  academicSession: "academicSessions",
  term: "academicSessions",
  gradingPeriod: "academicSessions",
  category: "categories",
  class: "classes",
  course: "courses",
  demographics: "demographics",
  enrollment: "enrollments",
  lineItem: "lineItems",
  org: "orgs",
  resource: "resources",
  result: "results",
  user: "users",
  student: "users",
  teacher: "users",
};
