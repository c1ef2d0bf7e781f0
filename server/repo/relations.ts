// Relationship endpoints (notes §1.3-1.5 notes): for each nested operation, the parents that must exist
// (404 otherwise) and the SQL that scopes the child collection. Derivation rules are ours where v1p1 is silent.
import { type SQL, sql } from "drizzle-orm";
import type { EntityName, Subset } from "../../oneroster/index.js";
import * as t from "../db/schema.js";

export interface ParentCheck {
  entity: EntityName;
  id: string;
  /** Label for the 404 description, e.g. `school`. */
  label: string;
  subset?: Subset;
  /** Extra condition on the parent row, e.g. the class belongs to the school. */
  extra?: SQL;
}

export interface Relation {
  parents: ParentCheck[];
  scope: SQL[];
}

type Params = Record<string, string>;
const must = (params: Params, name: string): string => {
  const v = params[name];
  if (v === undefined) {
    throw new Error(`missing path parameter ${name}`);
  }
  return v;
};

const school = (id: string): ParentCheck => ({
  entity: "org",
  id,
  label: "school",
  subset: { field: "type", value: "school" },
});
const klass = (id: string, extra?: SQL): ParentCheck => ({
  entity: "class",
  id,
  label: "class",
  ...(extra ? { extra } : {}),
});
const term = (id: string): ParentCheck => ({
  entity: "academicSession",
  id,
  label: "term",
  subset: { field: "type", value: "term" },
});
const userOf = (id: string, role?: "student" | "teacher"): ParentCheck => ({
  entity: "user",
  id,
  label: role ?? "user",
  ...(role ? { subset: { field: "role", value: role } } : {}),
});

/** Users enrolled (actively) in a class with a role, optionally requiring the enrolment's school. */
function enrolledUsers(classId: string, role: "student" | "teacher", schoolId?: string): SQL {
  const inSchool = schoolId === undefined ? sql`` : sql` and e.school_id = ${schoolId}`;
  return sql`${t.users.sourcedId} in (select e.user_id from ${t.enrollments} e where e.class_id = ${classId} and e.role = ${role} and e.status = 'active'${inSchool})`;
}

/** Classes a user holds an active enrolment in. */
function classesOfUser(userId: string): SQL {
  return sql`${t.classes.sourcedId} in (select e.class_id from ${t.enrollments} e where e.user_id = ${userId} and e.status = 'active')`;
}

/** Line items of a class that are not deleted. */
function lineItemsOfClass(classId: string): SQL {
  return sql`(select li.sourced_id from ${t.lineItems} li where li.class_id = ${classId} and li.deleted = false)`;
}

const classInSchool = (schoolId: string) => sql`school_id = ${schoolId}`;

export const RELATIONS: Record<string, (p: Params) => Relation> = {
  getCoursesForSchool: (p) => ({
    parents: [school(must(p, "schoolId"))],
    scope: [sql`${t.courses.orgId} = ${must(p, "schoolId")}`],
  }),
  getEnrollmentsForClassInSchool: (p) => ({
    parents: [school(must(p, "schoolId")), klass(must(p, "classId"), classInSchool(must(p, "schoolId")))],
    scope: [
      sql`${t.enrollments.classId} = ${must(p, "classId")}`,
      sql`${t.enrollments.schoolId} = ${must(p, "schoolId")}`,
    ],
  }),
  getStudentsForClassInSchool: (p) => ({
    parents: [school(must(p, "schoolId")), klass(must(p, "classId"), classInSchool(must(p, "schoolId")))],
    scope: [enrolledUsers(must(p, "classId"), "student", must(p, "schoolId"))],
  }),
  getTeachersForClassInSchool: (p) => ({
    parents: [school(must(p, "schoolId")), klass(must(p, "classId"), classInSchool(must(p, "schoolId")))],
    scope: [enrolledUsers(must(p, "classId"), "teacher", must(p, "schoolId"))],
  }),
  getEnrollmentsForSchool: (p) => ({
    parents: [school(must(p, "schoolId"))],
    scope: [sql`${t.enrollments.schoolId} = ${must(p, "schoolId")}`],
  }),
  getStudentsForSchool: (p) => ({
    parents: [school(must(p, "schoolId"))],
    scope: [sql`${must(p, "schoolId")} = any(${t.users.orgIds})`],
  }),
  getTeachersForSchool: (p) => ({
    parents: [school(must(p, "schoolId"))],
    scope: [sql`${must(p, "schoolId")} = any(${t.users.orgIds})`],
  }),
  // v1p1 sessions carry no org: a school's terms are the terms its classes are scheduled in.
  getTermsForSchool: (p) => ({
    parents: [school(must(p, "schoolId"))],
    scope: [
      sql`${t.academicSessions.sourcedId} in (select unnest(c.term_ids) from ${t.classes} c where c.school_id = ${must(p, "schoolId")})`,
    ],
  }),
  getClassesForTerm: (p) => ({
    parents: [term(must(p, "termId"))],
    scope: [sql`${must(p, "termId")} = any(${t.classes.termIds})`],
  }),
  getGradingPeriodsForTerm: (p) => ({
    parents: [term(must(p, "termId"))],
    scope: [sql`${t.academicSessions.parentId} = ${must(p, "termId")}`],
  }),
  getClassesForCourse: (p) => ({
    parents: [{ entity: "course", id: must(p, "courseId"), label: "course" }],
    scope: [sql`${t.classes.courseId} = ${must(p, "courseId")}`],
  }),
  getClassesForStudent: (p) => ({
    parents: [userOf(must(p, "studentId"), "student")],
    scope: [classesOfUser(must(p, "studentId"))],
  }),
  getClassesForTeacher: (p) => ({
    parents: [userOf(must(p, "teacherId"), "teacher")],
    scope: [classesOfUser(must(p, "teacherId"))],
  }),
  getClassesForSchool: (p) => ({
    parents: [school(must(p, "schoolId"))],
    scope: [sql`${t.classes.schoolId} = ${must(p, "schoolId")}`],
  }),
  getClassesForUser: (p) => ({ parents: [userOf(must(p, "userId"))], scope: [classesOfUser(must(p, "userId"))] }),
  getStudentsForClass: (p) => ({
    parents: [klass(must(p, "classId"))],
    scope: [enrolledUsers(must(p, "classId"), "student")],
  }),
  getTeachersForClass: (p) => ({
    parents: [klass(must(p, "classId"))],
    scope: [enrolledUsers(must(p, "classId"), "teacher")],
  }),
  getResourcesForCourse: (p) => ({
    parents: [{ entity: "course", id: must(p, "courseId"), label: "course" }],
    scope: [
      sql`${t.resources.sourcedId} in (select unnest(c.resource_ids) from ${t.courses} c where c.sourced_id = ${must(p, "courseId")})`,
    ],
  }),
  getResourcesForClass: (p) => ({
    parents: [klass(must(p, "classId"))],
    scope: [
      sql`${t.resources.sourcedId} in (select unnest(c.resource_ids) from ${t.classes} c where c.sourced_id = ${must(p, "classId")})`,
    ],
  }),
  getResultsForClass: (p) => ({
    parents: [klass(must(p, "classId"))],
    scope: [sql`${t.results.lineItemId} in ${lineItemsOfClass(must(p, "classId"))}`],
  }),
  getLineItemsForClass: (p) => ({
    parents: [klass(must(p, "classId"))],
    scope: [sql`${t.lineItems.classId} = ${must(p, "classId")}`],
  }),
  getResultsForLineItemForClass: (p) => ({
    parents: [
      klass(must(p, "classId")),
      {
        entity: "lineItem",
        id: must(p, "lineItemId"),
        label: "lineItem in this class",
        extra: sql`class_id = ${must(p, "classId")}`,
      },
    ],
    scope: [sql`${t.results.lineItemId} = ${must(p, "lineItemId")}`],
  }),
  getResultsForStudentForClass: (p) => ({
    parents: [klass(must(p, "classId")), userOf(must(p, "studentId"), "student")],
    scope: [
      sql`${t.results.studentId} = ${must(p, "studentId")}`,
      sql`${t.results.lineItemId} in ${lineItemsOfClass(must(p, "classId"))}`,
    ],
  }),
  // v1p1 categories belong to no class: every live category is one a teacher can use in any class, so a class
  // without line items yet lists them all (not []), and so does one whose line items use only some. Deleted ones
  // stay out unless the request is a delta read (query/to-sql.ts), as on /categories.
  getCategoriesForClass: (p) => ({
    parents: [klass(must(p, "classId"))],
    scope: [],
  }),
};

/** Reads every path parameter as the placeholder of the same name. */
const PLACEHOLDER_PARAMS = new Proxy({} as Params, {
  get: (_, name) => sql.placeholder(String(name)) as unknown as string,
});

/**
 * The relation of `operationId` with sql.placeholder(name) where each path id goes, for a statement built once and
 * executed with the ids as values (ListShape in records.ts); undefined for an endpoint that is no relationship.
 */
export function relationOverPlaceholders(operationId: string): Relation | undefined {
  return RELATIONS[operationId]?.(PLACEHOLDER_PARAMS);
}
