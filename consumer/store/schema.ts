// The LMS store: an LMS model in its own Postgres schema `lms` (org units with types and parents, course templates,
// offerings and sections, users with OrgDefinedId, enrolments with roles, parent links, a trash can, archived
// courses, manual vs synced memberships), plus the sync engine's own tables (batches, staging, plan, audit, errors).
// It is not a copy of the provider's tables: records are keyed by the LMS's ids and carry the SIS sync key beside.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

export const lms = pgSchema("lms");

const stamp = () => timestamp({ precision: 3, withTimezone: true, mode: "date" });

/** Where a row came from: the SIS integration, or the LMS itself (an admin, a teacher, an API). */
export type RowSource = "sis" | "manual";

/**
 * Every org unit of the LMS. `kind` is the structural role (an SIS org, an academic session, a course template,
 * a course offering, a section); `type` the LMS org unit type name a profile maps it to (Brightspace: custom types).
 * `sisId` is the sync key (the OneRoster sourcedId); it stays on the row when the mapping is dropped (`unmappedAt`)
 * so history is readable, but only mapped rows take part in later syncs.
 */
export const orgUnits = lms.table(
  "org_units",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    kind: text().$type<OrgUnitKind>().notNull(),
    type: text().notNull(),
    sisId: text(),
    code: text().notNull(),
    name: text().notNull(),
    /** active, inactive (deletion policy "inactivate"), archived (itslearning course archiving). */
    status: text().$type<OrgUnitStatus>().notNull().default("active"),
    startDate: date({ mode: "string" }),
    endDate: date({ mode: "string" }),
    source: text().$type<RowSource>().notNull(),
    /** Grade export to the SIS is enabled for this offering (seed 003: only courses the integration created). */
    gradeExport: boolean().notNull().default(false),
    unmappedAt: stamp(),
    archivedAt: stamp(),
    createdAt: stamp().notNull(),
    updatedAt: stamp().notNull(),
  },
  (t) => [
    uniqueIndex("org_units_kind_sis_id_mapped").on(t.kind, t.sisId).where(sql`${t.unmappedAt} IS NULL`),
    index().on(t.kind, t.code),
  ],
);

export type OrgUnitKind = "org" | "session" | "template" | "offering" | "section";
export type OrgUnitStatus = "active" | "inactive" | "archived";

/** Org units have several parents (an offering sits under its template, its school and its terms). */
export const orgUnitParents = lms.table(
  "org_unit_parents",
  {
    childId: bigint({ mode: "number" }).notNull(),
    parentId: bigint({ mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.childId, t.parentId] }), index().on(t.parentId)],
);

/**
 * LMS users. `sisId` is the sync key (the sourcedId); `orgDefinedId` the LMS field a SIS fills (Brightspace maps
 * sourcedId → OrgDefinedId). A soft-deleted user is inactive and in the trash can (`trashedAt`) until restored.
 */
export const users = lms.table(
  "users",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    sisId: text(),
    orgDefinedId: text(),
    username: text().notNull(),
    firstName: text().notNull(),
    middleName: text(),
    lastName: text().notNull(),
    email: text(),
    /** The LMS role (after the role map). */
    role: text().notNull(),
    /** The OneRoster role the SIS sent. */
    sisRole: text(),
    isActive: boolean().notNull().default(true),
    source: text().$type<RowSource>().notNull(),
    trashedAt: stamp(),
    createdAt: stamp().notNull(),
    updatedAt: stamp().notNull(),
  },
  (t) => [uniqueIndex().on(t.sisId), index().on(t.username), index().on(t.orgDefinedId)],
);

/**
 * Enrolments of users in org units with an LMS role. Class enrolments point at the offering and its section;
 * org enrolments (from a user's `orgs`) at an SIS org unit. Manual ones are never removed by sync.
 */
export const enrollments = lms.table(
  "enrollments",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    /** The enrolment's sync key: the OneRoster enrollment sourcedId, or `org:<user>:<org>` for org enrolments. */
    sisId: text(),
    userId: bigint({ mode: "number" }).notNull(),
    orgUnitId: bigint({ mode: "number" }).notNull(),
    sectionId: bigint({ mode: "number" }),
    role: text().notNull(),
    /** The OneRoster role the SIS sent. */
    sisRole: text(),
    kind: text().$type<"class" | "org">().notNull(),
    source: text().$type<RowSource>().notNull(),
    isPrimary: boolean(),
    beginDate: date({ mode: "string" }),
    endDate: date({ mode: "string" }),
    createdAt: stamp().notNull(),
    updatedAt: stamp().notNull(),
  },
  (t) => [uniqueIndex().on(t.sisId), index().on(t.userId), index().on(t.orgUnitId)],
);

/** Parent and guardian links (OneRoster `agents`). */
export const parentLinks = lms.table(
  "parent_links",
  {
    parentUserId: bigint({ mode: "number" }).notNull(),
    childUserId: bigint({ mode: "number" }).notNull(),
    source: text().$type<RowSource>().notNull(),
    createdAt: stamp().notNull(),
  },
  (t) => [primaryKey({ columns: [t.parentUserId, t.childUserId] }), index().on(t.childUserId)],
);

/** Engine state: the store version (bumped by every apply and manual change) and the last successful run. */
export const syncState = lms.table("sync_state", {
  key: text().primaryKey(),
  value: jsonb().notNull(),
  updatedAt: stamp().notNull(),
});

export type BatchStatus =
  | "fetching"
  | "planned"
  | "held"
  | "completed"
  | "completed_with_errors"
  | "failed"
  | "discarded"
  | "dry_run";

/** One run of the engine (a batch, as Brightspace's IPSIS and itslearning's run log call it). */
export const batches = lms.table("batches", {
  id: bigserial({ mode: "number" }).primaryKey(),
  status: text().$type<BatchStatus>().notNull(),
  mode: text().$type<"full" | "delta">().notNull(),
  /** Delta runs read records changed after this instant (already minus the overlap). */
  since: stamp(),
  profile: text().notNull(),
  baseUrl: text().notNull(),
  startedAt: stamp().notNull(),
  fetchedAt: stamp(),
  finishedAt: stamp(),
  /** Store version the plan was computed against; approve refuses when the store moved on. */
  planVersion: integer(),
  counts: jsonb().$type<Record<string, Record<string, number>>>(),
  holdReasons: jsonb().$type<string[]>(),
  timings: jsonb().$type<Record<string, number>>(),
  warnings: jsonb().$type<string[]>(),
  error: text(),
  /** Who started it: `sync` for a scheduled/CLI run, or the operator who approved it. */
  startedBy: text().notNull(),
  approvedBy: text(),
  resumedCount: integer().notNull().default(0),
});

/** Fetch progress per collection: the page cursor, committed with each page so a killed run resumes there. */
export const batchCollections = lms.table(
  "batch_collections",
  {
    batchId: bigint({ mode: "number" }).notNull(),
    collection: text().notNull(),
    cursor: jsonb().$type<{ offset: number; pages: number; firstTotal?: number; unstable?: boolean }>().notNull(),
    complete: boolean().notNull().default(false),
    records: integer().notNull().default(0),
    total: integer(),
    warnings: jsonb().$type<string[]>().notNull().default([]),
    ms: doublePrecision().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.batchId, t.collection] })],
);

/** Records fetched by a batch, one row per (collection, sourcedId): a re-fetched page overwrites, never doubles. */
export const stagedRecords = lms.table(
  "staged_records",
  {
    batchId: bigint({ mode: "number" }).notNull(),
    collection: text().notNull(),
    sourcedId: text().notNull(),
    record: jsonb().$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.batchId, t.collection, t.sourcedId] })],
);

export type PlanEntity = "orgUnit" | "user" | "parentLink" | "enrollment";
export type PlanAction =
  | "create"
  | "update"
  | "delete"
  | "restore"
  | "archive"
  | "inactivate"
  | "unmap"
  | "adopt"
  | "manual";
export type SafetyGroup = "persons" | "groups" | "memberships";

/** The plan of a batch, one row per record change, applied in `seq` order; approve applies exactly these rows. */
export const planChanges = lms.table(
  "plan_changes",
  {
    batchId: bigint({ mode: "number" }).notNull(),
    seq: integer().notNull(),
    entity: text().$type<PlanEntity>().notNull(),
    action: text().$type<PlanAction>().notNull(),
    group: text().$type<SafetyGroup>().notNull(),
    /** The sync key of the record changed. */
    sisId: text().notNull(),
    /** For org units, the kind; for enrolments, `class` or `org`. */
    kind: text(),
    /** The LMS row as it was when planned (updates, deletes), for the audit and for approve's staleness check. */
    before: jsonb().$type<Record<string, unknown>>(),
    /** What the row becomes, with references as sync keys (resolved to LMS ids when applied). */
    after: jsonb().$type<Record<string, unknown>>(),
    reason: text(),
  },
  (t) => [primaryKey({ columns: [t.batchId, t.seq] })],
);

/** Errors of a batch: a record the engine could not take (its data, never secrets), or a collection that failed. */
export const batchErrors = lms.table(
  "batch_errors",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    batchId: bigint({ mode: "number" }).notNull(),
    collection: text().notNull(),
    sourcedId: text(),
    code: text().notNull(),
    message: text().notNull(),
    record: jsonb().$type<Record<string, unknown>>(),
    at: stamp().notNull(),
  },
  (t) => [index().on(t.batchId)],
);

/** One row per record change applied: before and after, so any change can be explained later. */
export const auditLog = lms.table(
  "audit_log",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    batchId: bigint({ mode: "number" }).notNull(),
    entity: text().notNull(),
    action: text().notNull(),
    sisId: text().notNull(),
    before: jsonb().$type<Record<string, unknown>>(),
    after: jsonb().$type<Record<string, unknown>>(),
    at: stamp().notNull(),
  },
  (t) => [index().on(t.batchId), index().on(t.entity, t.sisId)],
);

// ---- gradebook (consumer/grades/) -------------------------------------------------------------------------------
// The LMS side of grade export (seed 003 "Grade Export", "How to sync Grades"): categories, grade items and grades
// as teachers keep them, plus what was last sent of each and an export history. Written by consumer/grades/ only.

export type GradeCategoryStatus = "active" | "deleted";

/**
 * Grade categories. SIS ones come from the provider (`GET /categories`) with export-to-SIS on and no offering
 * (every course may use them); a teacher's own categories belong to one offering and never export. An SIS category
 * the provider no longer lists is `deleted` and its grade items stop exporting.
 */
export const gradeCategories = lms.table(
  "grade_categories",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    /** The category's sourcedId at the SIS; null for a teacher's own category. */
    sisId: text(),
    /** The course offering a teacher's own category belongs to; null for SIS categories. */
    offeringId: bigint({ mode: "number" }),
    name: text().notNull(),
    /** Seed 003: categories created by the SIS have "Export to SIS" selected; only their grade items are sent. */
    exportToSis: boolean().notNull().default(false),
    source: text().$type<RowSource>().notNull(),
    status: text().$type<GradeCategoryStatus>().notNull().default("active"),
    createdAt: stamp().notNull(),
    updatedAt: stamp().notNull(),
  },
  (t) => [uniqueIndex().on(t.sisId), index().on(t.offeringId)],
);

/**
 * Grade items of a course offering (OneRoster line items once sent). `sessionId` is the academic session org unit
 * chosen for the item (seed 003: it must be a parent of the offering); `revision` grows with every change, so
 * "changed since the last send" is a comparison of revisions, free of clocks. Deleted items stay until the SIS
 * has been sent the DELETE.
 */
export const gradeItems = lms.table(
  "grade_items",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    offeringId: bigint({ mode: "number" }).notNull(),
    categoryId: bigint({ mode: "number" }),
    sessionId: bigint({ mode: "number" }),
    name: text().notNull(),
    description: text(),
    assignDate: stamp().notNull(),
    dueDate: stamp().notNull(),
    minScore: doublePrecision().notNull().default(0),
    maxScore: doublePrecision().notNull(),
    /** Seed 003 "Create a Grade Item": sent as an End of Course assignment. */
    endOfCourse: boolean().notNull().default(false),
    revision: integer().notNull().default(1),
    createdBy: text().notNull(),
    createdAt: stamp().notNull(),
    updatedAt: stamp().notNull(),
    deletedAt: stamp(),
  },
  (t) => [index().on(t.offeringId)],
);

/** A student's grade on a grade item (a OneRoster result once sent); one row per item and user, revised in place. */
export const grades = lms.table(
  "grades",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    gradeItemId: bigint({ mode: "number" }).notNull(),
    userId: bigint({ mode: "number" }).notNull(),
    /** A OneRoster scoreStatus; only `fully graded` and `exempt` are sent (seed 003, Limitations). */
    scoreStatus: text().notNull(),
    score: doublePrecision(),
    comment: text(),
    revision: integer().notNull().default(1),
    gradedBy: text().notNull(),
    createdAt: stamp().notNull(),
    updatedAt: stamp().notNull(),
    deletedAt: stamp(),
  },
  (t) => [uniqueIndex().on(t.gradeItemId, t.userId), index().on(t.userId)],
);

export type GradeObjectKind = "lineItem" | "result";
export type GradeOutcome = "success" | "failure";

/**
 * What the SIS holds of each grade item and grade: the revision it last accepted, for results the revision of
 * their line item at that moment, and the outcome of the latest attempt (a failure is retried on the next run).
 */
export const gradeExportState = lms.table(
  "grade_export_state",
  {
    kind: text().$type<GradeObjectKind>().notNull(),
    /** grade_items.id or grades.id. */
    lmsId: bigint({ mode: "number" }).notNull(),
    /** The sourcedId used at the SIS. */
    sourcedId: text().notNull(),
    /** The revision the SIS last accepted; null while it never has. */
    sentRevision: integer(),
    /** Results: the line item's accepted revision when this result was accepted. */
    sentItemRevision: integer(),
    lastOutcome: text().$type<GradeOutcome>().notNull(),
    lastExportId: bigint({ mode: "number" }),
    lastAttemptAt: stamp().notNull(),
    /** When the SIS accepted its DELETE. */
    deletedAtSis: stamp(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.lmsId] })],
);

export type GradeExportTrigger = "scheduled" | "on_demand";
export type GradeExportStatus = "running" | "completed" | "completed_with_errors" | "failed";

/** One export of one course (seed 003 "View All Exports"): who started it, when, and what it sent. */
export const gradeExports = lms.table(
  "grade_exports",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    offeringId: bigint({ mode: "number" }).notNull(),
    trigger: text().$type<GradeExportTrigger>().notNull(),
    /** The teacher or operator; the service user for scheduled exports (seed 003). */
    startedBy: text().notNull(),
    baseUrl: text().notNull(),
    /** Filters of an on-demand export (section, academic session org units). */
    sectionId: bigint({ mode: "number" }),
    sessionId: bigint({ mode: "number" }),
    status: text().$type<GradeExportStatus>().notNull(),
    startedAt: stamp().notNull(),
    finishedAt: stamp(),
    counts: jsonb().$type<Record<string, Record<string, number>>>(),
    message: text(),
  },
  (t) => [index().on(t.offeringId)],
);

/**
 * Per category, grade item and result of an export: sent or not, with the SIS's HTTP status and status payload.
 * Objects sent as deleted are not listed (seed 003: deletions do not appear in the Export History).
 */
export const gradeExportItems = lms.table(
  "grade_export_items",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    exportId: bigint({ mode: "number" }).notNull(),
    kind: text().$type<"category" | GradeObjectKind>().notNull(),
    lmsId: bigint({ mode: "number" }).notNull(),
    sourcedId: text().notNull(),
    /** Why it was sent: never sent, changed, failed last time, line item changed (categories: checked). */
    reason: text().notNull(),
    outcome: text().$type<GradeOutcome>().notNull(),
    httpStatus: integer(),
    /** The provider's status payload (codeMajor, severity, codeMinor, description), normalised. */
    providerStatus: jsonb().$type<Record<string, string>>(),
    message: text(),
    at: stamp().notNull(),
  },
  (t) => [index().on(t.exportId)],
);
