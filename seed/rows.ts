// Row types of the provider tables as the generator emits them, and the stream item the loader consumes.
// Rows follow server/db/schema.ts exactly (drizzle insert shapes). seed/ only.
import { dataTables } from "../server/db/schema.js";

export type TableName = keyof typeof dataTables;
export type RowOf<T extends TableName> = (typeof dataTables)[T]["$inferInsert"];

export type OrgRow = RowOf<"orgs">;
export type SessionRow = RowOf<"academicSessions">;
export type ResourceRow = RowOf<"resources">;
export type CourseRow = RowOf<"courses">;
export type ClassRow = RowOf<"classes">;
export type UserRow = RowOf<"users">;
export type DemographicsRow = RowOf<"demographics">;
export type EnrollmentRow = RowOf<"enrollments">;
export type CategoryRow = RowOf<"categories">;
export type LineItemRow = RowOf<"lineItems">;
export type ResultRow = RowOf<"results">;

/** One generated record, or a progress marker between schools. */
export type GeneratedItem =
  | { [T in TableName]: { table: T; row: RowOf<T> } }[TableName]
  | { progress: { done: number; total: number; label: string } };

/** Every data table in load order (parents before children), as the schema declares them. */
export const TABLE_NAMES = Object.keys(dataTables) as TableName[];

/** Deliberate awkward cases (issue 3, "Edge cases on purpose"), counted in the seed summary. */
export interface EdgeCaseCounts {
  usersInTwoSchools: number;
  coTaughtClasses: number;
  classesWithoutTeacher: number;
  usersWithoutEnrollment: number;
  longTitlesOrCodes: number;
  specialCharacterCodes: number;
  awkwardNames: number;
  unknownRoles: number;
  datedEnrollments: number;
  endedEnrollments: number;
  tobedeleted: number;
}

export function emptyEdgeCounts(): EdgeCaseCounts {
  return {
    usersInTwoSchools: 0,
    coTaughtClasses: 0,
    classesWithoutTeacher: 0,
    usersWithoutEnrollment: 0,
    longTitlesOrCodes: 0,
    specialCharacterCodes: 0,
    awkwardNames: 0,
    unknownRoles: 0,
    datedEnrollments: 0,
    endedEnrollments: 0,
    tobedeleted: 0,
  };
}
