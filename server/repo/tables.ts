// Maps every entity to its drizzle table and every wire field to the SQL expression that holds it.
// The query engine (query/to-sql.ts) and the presenters read this map; nothing else knows column names.
import { type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn, PgTable } from "drizzle-orm/pg-core";
import type { EntityName } from "../../oneroster/index.js";
import * as t from "../db/schema.js";

export interface EntityTable {
  table: PgTable;
  /** The primary key column (`sourced_id`). */
  id: AnyPgColumn;
  status: AnyPgColumn;
  dateLastModified: AnyPgColumn;
  /** Gradebook tables only: the DELETE tombstone flag (notes §7.2). */
  deleted?: AnyPgColumn;
  /** Wire field → SQL expression: a column, or a derived value such as `children`. */
  columns: Record<string, AnyPgColumn | SQL>;
}

/**
 * Child ids of a self-referencing tree, derived from `parent_id` so they can never disagree with it. The outer row's
 * id is named with its table on purpose: drizzle writes a column of a one-table select unqualified, and inside this
 * subquery a bare `sourced_id` would be the child's own (so `children` came out empty).
 */
function childIds(table: typeof t.orgs | typeof t.academicSessions): SQL {
  return sql`array(select c.sourced_id from ${table} c where c.parent_id = ${table}.sourced_id order by c.sourced_id)`;
}

const base = (tbl: {
  sourcedId: AnyPgColumn;
  status: AnyPgColumn;
  dateLastModified: AnyPgColumn;
  metadata: AnyPgColumn;
}) => ({
  sourcedId: tbl.sourcedId,
  status: tbl.status,
  dateLastModified: tbl.dateLastModified,
  metadata: tbl.metadata,
});

export const ENTITY_TABLES: Record<EntityName, EntityTable> = {
  org: {
    table: t.orgs,
    id: t.orgs.sourcedId,
    status: t.orgs.status,
    dateLastModified: t.orgs.dateLastModified,
    columns: {
      ...base(t.orgs),
      name: t.orgs.name,
      type: t.orgs.type,
      identifier: t.orgs.identifier,
      parent: t.orgs.parentId,
      children: childIds(t.orgs),
    },
  },
  academicSession: {
    table: t.academicSessions,
    id: t.academicSessions.sourcedId,
    status: t.academicSessions.status,
    dateLastModified: t.academicSessions.dateLastModified,
    columns: {
      ...base(t.academicSessions),
      title: t.academicSessions.title,
      startDate: t.academicSessions.startDate,
      endDate: t.academicSessions.endDate,
      type: t.academicSessions.type,
      parent: t.academicSessions.parentId,
      children: childIds(t.academicSessions),
      schoolYear: t.academicSessions.schoolYear,
    },
  },
  course: {
    table: t.courses,
    id: t.courses.sourcedId,
    status: t.courses.status,
    dateLastModified: t.courses.dateLastModified,
    columns: {
      ...base(t.courses),
      title: t.courses.title,
      schoolYear: t.courses.schoolYearId,
      courseCode: t.courses.courseCode,
      grades: t.courses.grades,
      subjects: t.courses.subjects,
      org: t.courses.orgId,
      subjectCodes: t.courses.subjectCodes,
      resources: t.courses.resourceIds,
    },
  },
  class: {
    table: t.classes,
    id: t.classes.sourcedId,
    status: t.classes.status,
    dateLastModified: t.classes.dateLastModified,
    columns: {
      ...base(t.classes),
      title: t.classes.title,
      classCode: t.classes.classCode,
      classType: t.classes.classType,
      location: t.classes.location,
      grades: t.classes.grades,
      subjects: t.classes.subjects,
      course: t.classes.courseId,
      school: t.classes.schoolId,
      terms: t.classes.termIds,
      subjectCodes: t.classes.subjectCodes,
      periods: t.classes.periods,
      resources: t.classes.resourceIds,
    },
  },
  user: {
    table: t.users,
    id: t.users.sourcedId,
    status: t.users.status,
    dateLastModified: t.users.dateLastModified,
    columns: {
      ...base(t.users),
      username: t.users.username,
      userIds: t.users.userIds,
      enabledUser: t.users.enabledUser,
      givenName: t.users.givenName,
      familyName: t.users.familyName,
      middleName: t.users.middleName,
      role: t.users.role,
      identifier: t.users.identifier,
      email: t.users.email,
      sms: t.users.sms,
      phone: t.users.phone,
      agents: t.users.agentIds,
      orgs: t.users.orgIds,
      grades: t.users.grades,
      password: t.users.password,
    },
  },
  enrollment: {
    table: t.enrollments,
    id: t.enrollments.sourcedId,
    status: t.enrollments.status,
    dateLastModified: t.enrollments.dateLastModified,
    columns: {
      ...base(t.enrollments),
      user: t.enrollments.userId,
      class: t.enrollments.classId,
      school: t.enrollments.schoolId,
      role: t.enrollments.role,
      primary: t.enrollments.primary,
      beginDate: t.enrollments.beginDate,
      endDate: t.enrollments.endDate,
    },
  },
  demographics: {
    table: t.demographics,
    id: t.demographics.sourcedId,
    status: t.demographics.status,
    dateLastModified: t.demographics.dateLastModified,
    columns: {
      ...base(t.demographics),
      birthDate: t.demographics.birthDate,
      sex: t.demographics.sex,
      americanIndianOrAlaskaNative: t.demographics.americanIndianOrAlaskaNative,
      asian: t.demographics.asian,
      blackOrAfricanAmerican: t.demographics.blackOrAfricanAmerican,
      nativeHawaiianOrOtherPacificIslander: t.demographics.nativeHawaiianOrOtherPacificIslander,
      white: t.demographics.white,
      demographicRaceTwoOrMoreRaces: t.demographics.demographicRaceTwoOrMoreRaces,
      hispanicOrLatinoEthnicity: t.demographics.hispanicOrLatinoEthnicity,
      countryOfBirthCode: t.demographics.countryOfBirthCode,
      stateOfBirthAbbreviation: t.demographics.stateOfBirthAbbreviation,
      cityOfBirth: t.demographics.cityOfBirth,
      publicSchoolResidenceStatus: t.demographics.publicSchoolResidenceStatus,
    },
  },
  resource: {
    table: t.resources,
    id: t.resources.sourcedId,
    status: t.resources.status,
    dateLastModified: t.resources.dateLastModified,
    columns: {
      ...base(t.resources),
      title: t.resources.title,
      roles: t.resources.roles,
      importance: t.resources.importance,
      vendorResourceId: t.resources.vendorResourceId,
      vendorId: t.resources.vendorId,
      applicationId: t.resources.applicationId,
    },
  },
  category: {
    table: t.categories,
    id: t.categories.sourcedId,
    status: t.categories.status,
    dateLastModified: t.categories.dateLastModified,
    deleted: t.categories.deleted,
    columns: { ...base(t.categories), title: t.categories.title },
  },
  lineItem: {
    table: t.lineItems,
    id: t.lineItems.sourcedId,
    status: t.lineItems.status,
    dateLastModified: t.lineItems.dateLastModified,
    deleted: t.lineItems.deleted,
    columns: {
      ...base(t.lineItems),
      title: t.lineItems.title,
      description: t.lineItems.description,
      assignDate: t.lineItems.assignDate,
      dueDate: t.lineItems.dueDate,
      class: t.lineItems.classId,
      category: t.lineItems.categoryId,
      gradingPeriod: t.lineItems.gradingPeriodId,
      resultValueMin: t.lineItems.resultValueMin,
      resultValueMax: t.lineItems.resultValueMax,
    },
  },
  result: {
    table: t.results,
    id: t.results.sourcedId,
    status: t.results.status,
    dateLastModified: t.results.dateLastModified,
    deleted: t.results.deleted,
    columns: {
      ...base(t.results),
      lineItem: t.results.lineItemId,
      student: t.results.studentId,
      scoreStatus: t.results.scoreStatus,
      score: t.results.score,
      scoreDate: t.results.scoreDate,
      comment: t.results.comment,
    },
  },
};
