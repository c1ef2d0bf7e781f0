// OneRoster v1p1 vocabularies as zod enums (notes §2). Imported by every other folder through index.ts.
import { z } from "zod";

/** Record status. v1p1 removed `inactive` (notes §2.2). */
export const StatusSchema = z.enum(["active", "tobedeleted"]);
export type Status = z.infer<typeof StatusSchema>;

/** User roles (notes §2.10). */
export const RoleSchema = z.enum([
  "administrator",
  "aide",
  "guardian",
  "parent",
  "proctor",
  "relative",
  "student",
  "teacher",
]);
export type Role = z.infer<typeof RoleSchema>;

/**
 * Enrollment roles of the v1p1 data model: four (notes §2.8). The IMS OpenAPI reuses the user roles, but strict
 * clients hold to these four; other values belong in the `ext:` extension form (notes §2.1).
 */
export const EnrollmentRoleSchema = z.enum(["administrator", "proctor", "student", "teacher"]);
export type EnrollmentRole = z.infer<typeof EnrollmentRoleSchema>;

export const OrgTypeSchema = z.enum(["department", "district", "local", "national", "school", "state"]);
export type OrgType = z.infer<typeof OrgTypeSchema>;

export const SessionTypeSchema = z.enum(["gradingPeriod", "semester", "schoolYear", "term"]);
export type SessionType = z.infer<typeof SessionTypeSchema>;

export const ClassTypeSchema = z.enum(["homeroom", "scheduled"]);
export type ClassType = z.infer<typeof ClassTypeSchema>;

export const GenderSchema = z.enum(["male", "female"]);

export const ImportanceSchema = z.enum(["primary", "secondary"]);

/** Result score status; the tokens contain spaces (notes §2.11). */
export const ScoreStatusSchema = z.enum(["exempt", "fully graded", "not submitted", "partially graded", "submitted"]);
export type ScoreStatus = z.infer<typeof ScoreStatusSchema>;

/** GUIDRef types (IMS 1.1 OpenAPI vocabulary, notes §2.3). */
export const GuidTypeSchema = z.enum([
  "academicSession",
  "category",
  "class",
  "course",
  "demographics",
  "enrollment",
  "lineItem",
  "org",
  "resource",
  "result",
  "student",
  "teacher",
  "user",
  "term",
  "gradingPeriod",
]);
export type GuidType = z.infer<typeof GuidTypeSchema>;

/** CEDS grade codes (notes §2.1). */
export const GRADE_CODES = [
  "IT",
  "PR",
  "PK",
  "TK",
  "KG",
  "01",
  "02",
  "03",
  "04",
  "05",
  "06",
  "07",
  "08",
  "09",
  "10",
  "11",
  "12",
  "13",
  "PS",
  "UG",
  "Other",
] as const;
