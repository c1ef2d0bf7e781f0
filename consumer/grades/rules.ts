// Seed 003's grade export rules as pure functions: which courses may export, which grade items and grades meet the
// criteria, which of them must be sent now and why, the sourcedIds used at the SIS and the v1p1 PUT bodies.
// No I/O: export.ts loads the facts, asks these rules and pushes. Imported by consumer/grades/ only.
import type { GradeOutcome, OrgUnitStatus, RowSource } from "../store/schema.js";

/** Seed 003, Limitations: "OneRoster allows multiple ScoreStatus: Brightspace only sends fully graded or exempt". */
export const SENT_SCORE_STATUSES: readonly string[] = ["fully graded", "exempt"];

export function isSentScoreStatus(scoreStatus: string): boolean {
  return SENT_SCORE_STATUSES.includes(scoreStatus);
}

/** The facts about a course offering that decide whether it may export grades at all. */
export interface CourseFacts {
  source: RowSource;
  /** org_units.grade_export: set on the offerings the integration created. */
  gradeExport: boolean;
  sisId: string | null;
  /** The mapping to the SIS class still stands (not dropped by a deletion). */
  mapped: boolean;
  status: OrgUnitStatus;
}

/** The integration's grade export switches (config `grades`) and the provider an export goes to. */
export interface ExportSwitches {
  export: boolean;
  nightly: boolean;
  onDemand: boolean;
  trigger: "scheduled" | "on_demand";
  /** Where the export goes. */
  baseUrl: string;
  /** The LMS's active SIS source system: the provider of its last successful sync (none before the first). */
  activeSource: string | undefined;
}

/** A base URL compared without trailing slashes. */
export function sameBaseUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}

/**
 * Why a course may not export, or undefined when it may. Seed 003 "Grade Export": the course must have been created
 * through the OneRoster integration, the source system must have Grades Export enabled, and the course may only be
 * mapped to one active source system with grades. This LMS has one active source system, the provider its last
 * successful sync read; a course maps to it when its mapping stands, and grades go to that provider only.
 */
export function courseRefusal(course: CourseFacts, switches: ExportSwitches): string | undefined {
  if (!switches.export) {
    return "grade export is not enabled for the SIS source system (config grades.export)";
  }
  if (switches.trigger === "scheduled" && !switches.nightly) {
    return "grades are not sent with the scheduled update (config grades.nightly)";
  }
  if (switches.trigger === "on_demand" && !switches.onDemand) {
    return "teacher-initiated grade export is off (config grades.onDemand)";
  }
  if (switches.activeSource === undefined) {
    return "no sync from the SIS has succeeded yet";
  }
  if (!sameBaseUrl(switches.activeSource, switches.baseUrl)) {
    return `grades go only to the active source system ${switches.activeSource} (its last successful sync), not ${switches.baseUrl}`;
  }
  if (course.source !== "sis") {
    return "the course was not created by the SIS integration";
  }
  if (!course.gradeExport) {
    return "grade export is not enabled on this course offering";
  }
  if (!course.mapped || course.sisId === null) {
    return "the course is no longer mapped to an SIS class";
  }
  if (course.status !== "active") {
    return `the course offering is ${course.status}`;
  }
  return undefined;
}

/** The facts about a grade item that decide whether it meets the export criteria. */
export interface ItemFacts {
  deleted: boolean;
  category?: { sisId: string | null; exportToSis: boolean; status: "active" | "deleted" };
  sessionId: number | null;
  /** Academic session org units that are parents of the item's offering. */
  offeringSessions: ReadonlySet<number>;
}

/**
 * Why a grade item does not meet the criteria, or undefined when it does. Seed 003: grades must belong to grade
 * categories retrieved from the SIS (export-to-SIS), and the item must have an academic session that is a parent
 * of the course offering.
 */
export function itemRefusal(item: ItemFacts): string | undefined {
  if (item.deleted) {
    return "deleted";
  }
  if (!item.category) {
    return "it has no category";
  }
  if (!item.category.exportToSis || item.category.sisId === null) {
    return "its category is not an SIS category (export to SIS is off)";
  }
  if (item.category.status !== "active") {
    return "its SIS category no longer exists at the SIS";
  }
  if (item.sessionId === null) {
    return "it has no academic session";
  }
  if (!item.offeringSessions.has(item.sessionId)) {
    return "its academic session is not a parent of the course offering";
  }
  return undefined;
}

/** What the SIS holds of a line item or result, as grade_export_state records it. */
export interface SentState {
  sentRevision: number | null;
  sentItemRevision: number | null;
  lastOutcome: GradeOutcome;
  deletedAtSis: Date | null;
}

export type SendReason = "never sent" | "changed since last sent" | "failed last time" | "line item changed";

/**
 * Seed 003 "How the grade sync works", line items: sent if never sent, changed since the last send, or failed to
 * be sent during the last export. Undefined when the SIS already holds this revision.
 */
export function lineItemSendReason(revision: number, state: SentState | undefined): SendReason | undefined {
  if (state?.lastOutcome === "failure") {
    return "failed last time";
  }
  if (!state || state.sentRevision === null || state.deletedAtSis !== null) {
    return "never sent";
  }
  if (state.sentRevision !== revision) {
    return "changed since last sent";
  }
  return undefined;
}

/**
 * Seed 003, results: sent if never sent, updated since last sent, failed during the last export, or their line item
 * was modified since. `itemRevisionAtSis` is the revision of the line item the SIS holds (after this run's line
 * item pushes; for a preview, the revision about to be pushed).
 */
export function resultSendReason(
  revision: number,
  state: SentState | undefined,
  itemRevisionAtSis: number | null,
): SendReason | undefined {
  const own = lineItemSendReason(revision, state);
  if (own) {
    return own;
  }
  if (state && state.sentItemRevision !== itemRevisionAtSis) {
    return "line item changed";
  }
  return undefined;
}

/** A deleted grade item or grade is sent as DELETE once, when the SIS may hold it (a 404 then counts as done). */
export function needsDelete(state: SentState | undefined): boolean {
  return state !== undefined && state.deletedAtSis === null;
}

/** The LMS's own id of a grade item, as the `{lineItemSourcedId}` part of what is sent. */
export function gradeItemSourcedId(gradeItemId: number): string {
  return `gi-${gradeItemId}`;
}

/** Seed 003: "The line item sourced id that gets sent is class-specific: {lineItemSourcedId}_{classSourcedId}". */
export function lineItemSourcedId(gradeItemId: number, classSourcedId: string): string {
  return `${gradeItemSourcedId(gradeItemId)}_${classSourcedId}`;
}

/** A result's sourcedId: its line item's and the student's, so a resend replaces rather than duplicates. */
export function resultSourcedId(lineItemId: string, studentSourcedId: string): string {
  return `${lineItemId}_${studentSourcedId}`;
}

const guidRef = (baseUrl: string, path: string, type: string, sourcedId: string) => ({
  href: `${baseUrl.replace(/\/+$/, "")}/${path}/${encodeURIComponent(sourcedId)}`,
  sourcedId,
  type,
});

export interface LineItemPayloadInput {
  sourcedId: string;
  name: string;
  description: string | null;
  assignDate: Date;
  dueDate: Date;
  minScore: number;
  maxScore: number;
  endOfCourse: boolean;
  classSourcedId: string;
  categorySourcedId: string;
  /** The academic session chosen on the grade item, sent as the line item's gradingPeriod (notes §2.11). */
  sessionSourcedId: string;
}

/** The PUT body of a line item in its singular envelope (notes §7.1). */
export function lineItemPayload(baseUrl: string, li: LineItemPayloadInput): { lineItem: Record<string, unknown> } {
  return {
    lineItem: {
      sourcedId: li.sourcedId,
      status: "active",
      title: li.name,
      ...(li.description ? { description: li.description } : {}),
      assignDate: li.assignDate.toISOString(),
      dueDate: li.dueDate.toISOString(),
      class: guidRef(baseUrl, "classes", "class", li.classSourcedId),
      category: guidRef(baseUrl, "categories", "category", li.categorySourcedId),
      gradingPeriod: guidRef(baseUrl, "academicSessions", "academicSession", li.sessionSourcedId),
      resultValueMin: li.minScore,
      resultValueMax: li.maxScore,
      // v1p1 has no end-of-course field; the flag travels as metadata (notes §2.2: metadata is for extensions).
      ...(li.endOfCourse ? { metadata: { endOfCourse: true } } : {}),
    },
  };
}

export interface ResultPayloadInput {
  sourcedId: string;
  lineItemSourcedId: string;
  studentSourcedId: string;
  scoreStatus: string;
  score: number | null;
  comment: string | null;
  /** When the grade was last changed; sent as the date it was scored. */
  scoredAt: Date;
}

/** The PUT body of a result in its singular envelope (notes §7.1). An exempt grade without a score sends 0. */
export function resultPayload(baseUrl: string, r: ResultPayloadInput): { result: Record<string, unknown> } {
  return {
    result: {
      sourcedId: r.sourcedId,
      status: "active",
      lineItem: guidRef(baseUrl, "lineItems", "lineItem", r.lineItemSourcedId),
      student: guidRef(baseUrl, "users", "user", r.studentSourcedId),
      scoreStatus: r.scoreStatus,
      score: r.score ?? 0,
      scoreDate: r.scoredAt.toISOString().slice(0, 10),
      ...(r.comment ? { comment: r.comment } : {}),
    },
  };
}

/** The field a provider's error description names (`lineItem.class.sourcedId: …`), if it starts with one. */
export function fieldOf(description: string | undefined): string | undefined {
  return description ? /^([A-Za-z]+(?:\.[A-Za-z]+)+):/.exec(description)?.[1] : undefined;
}
