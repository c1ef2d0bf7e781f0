// Pure mapping (seed 003 "How OneRoster REST is mapping to Brightspace"): a staged OneRoster record → the LMS row it
// should become, with references as sync keys. No I/O; build-plan.ts compares these with the store.
import type { AcademicSession, Class, Course, Enrollment, Org, User } from "../../oneroster/index.js";
import type { SyncSettings } from "../config.js";
import type { OrgUnitKind } from "../store/schema.js";

/** A reference to an org unit by kind and sync key. */
export interface OrgUnitRef {
  kind: OrgUnitKind;
  sisId: string;
}

export interface DesiredOrgUnit {
  kind: OrgUnitKind;
  sisId: string;
  type: string;
  /** The code before sanitising (identifier, courseCode, classCode, else the title). */
  rawCode: string;
  name: string;
  startDate: string | null;
  endDate: string | null;
  /** Parents that must exist for the unit to be created. */
  required: OrgUnitRef[];
  /** Parents linked when they exist. */
  optional: OrgUnitRef[];
  tobedeleted: boolean;
}

export interface DesiredUser {
  sisId: string;
  orgDefinedId: string;
  username: string;
  firstName: string;
  middleName: string | null;
  lastName: string;
  email: string | null;
  role: string;
  sisRole: string;
  isActive: boolean;
  tobedeleted: boolean;
  /** sourcedIds of parents/guardians (OneRoster `agents`). */
  agents: string[];
  /** sourcedIds of the user's orgs (upper org unit enrolments with the user's role). */
  orgs: string[];
}

export interface DesiredEnrollment {
  sisId: string;
  user: string;
  offering: string;
  role: string;
  sisRole: string;
  isPrimary: boolean | null;
  beginDate: string | null;
  endDate: string | null;
  tobedeleted: boolean;
}

/** A record the engine cannot take, with the reason (recorded as a batch error with the record's data). */
export class MappingError extends Error {
  constructor(
    readonly code: "ROLE_UNMAPPED" | "TYPE_UNMAPPED" | "MISSING_PARENT" | "MISSING_REFERENCE",
    message: string,
  ) {
    super(message);
  }
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function desiredSession(s: AcademicSession, settings: SyncSettings): DesiredOrgUnit {
  const type = settings.orgUnitTypes.session[s.type];
  if (!type) {
    throw new MappingError("TYPE_UNMAPPED", `no org unit type is configured for session type "${s.type}"`);
  }
  return {
    kind: "session",
    sisId: s.sourcedId,
    type,
    rawCode: s.title,
    name: s.title,
    startDate: s.startDate,
    endDate: s.endDate,
    required: [],
    optional: s.parent ? [{ kind: "session", sisId: s.parent.sourcedId }] : [],
    tobedeleted: s.status === "tobedeleted",
  };
}

export function desiredOrg(o: Org, settings: SyncSettings): DesiredOrgUnit {
  const type = settings.orgUnitTypes.org[o.type];
  if (!type) {
    throw new MappingError("TYPE_UNMAPPED", `no org unit type is configured for org type "${o.type}"`);
  }
  return {
    kind: "org",
    sisId: o.sourcedId,
    type,
    rawCode: o.identifier ?? o.name,
    name: o.name,
    startDate: null,
    endDate: null,
    required: [],
    optional: o.parent ? [{ kind: "org", sisId: o.parent.sourcedId }] : [],
    tobedeleted: o.status === "tobedeleted",
  };
}

export function desiredTemplate(c: Course, settings: SyncSettings): DesiredOrgUnit {
  return {
    kind: "template",
    sisId: c.sourcedId,
    type: settings.orgUnitTypes.template,
    rawCode: c.courseCode ?? c.title,
    name: c.title,
    startDate: null,
    endDate: null,
    required: [{ kind: "org", sisId: c.org.sourcedId }],
    optional: c.schoolYear ? [{ kind: "session", sisId: c.schoolYear.sourcedId }] : [],
    tobedeleted: c.status === "tobedeleted",
  };
}

/**
 * A class becomes a course offering (under its template, school and terms) and one section beneath it.
 * Offering dates come from the first term of the configured type, with the day offsets, when that option is on.
 */
export function desiredOffering(
  c: Class,
  settings: SyncSettings,
  sessionOf: (sisId: string) => { type: string; startDate: string | null; endDate: string | null } | undefined,
): { offering: DesiredOrgUnit; section: DesiredOrgUnit } {
  let startDate: string | null = null;
  let endDate: string | null = null;
  if (settings.offeringDates.enabled) {
    const first = c.terms
      .map((t) => sessionOf(t.sourcedId))
      .find((s) => s !== undefined && s.type === settings.offeringDates.sessionType);
    if (first?.startDate && first.endDate) {
      startDate = addDays(first.startDate, settings.offeringDates.startOffsetDays);
      endDate = addDays(first.endDate, settings.offeringDates.endOffsetDays);
    }
  }
  const tobedeleted = c.status === "tobedeleted";
  const offering: DesiredOrgUnit = {
    kind: "offering",
    sisId: c.sourcedId,
    type: settings.orgUnitTypes.offering,
    rawCode: c.classCode ?? c.title,
    name: c.title,
    startDate,
    endDate,
    required: [
      { kind: "template", sisId: c.course.sourcedId },
      { kind: "org", sisId: c.school.sourcedId },
    ],
    optional: c.terms.map((t) => ({ kind: "session" as const, sisId: t.sourcedId })),
    tobedeleted,
  };
  const section: DesiredOrgUnit = {
    kind: "section",
    sisId: c.sourcedId,
    type: settings.orgUnitTypes.section,
    rawCode: c.classCode ?? c.title,
    name: c.title,
    startDate,
    endDate,
    required: [{ kind: "offering", sisId: c.sourcedId }],
    optional: [],
    tobedeleted,
  };
  return { offering, section };
}

/** The LMS role of a OneRoster role, or a MappingError (seed 003: an unconfigured role is an error on the user). */
export function mapRole(role: string, settings: SyncSettings, what: string): string {
  const mapped = (settings.roleMap as Record<string, string | undefined>)[role];
  if (!mapped) {
    throw new MappingError(
      "ROLE_UNMAPPED",
      `the SIS role "${role}" of ${what} is not in the role map (${Object.keys(settings.roleMap).join(", ")})`,
    );
  }
  return mapped;
}

export function desiredUser(u: User, settings: SyncSettings): DesiredUser {
  const role = mapRole(u.role, settings, `user ${u.sourcedId}`);
  const orgDefinedId = settings.orgDefinedIdFrom === "identifier" && u.identifier ? u.identifier : u.sourcedId;
  return {
    sisId: u.sourcedId,
    orgDefinedId,
    username: u.username,
    firstName: u.givenName,
    middleName: u.middleName ?? null,
    lastName: u.familyName,
    email: u.email ?? null,
    role,
    sisRole: u.role,
    isActive: u.enabledUser !== false,
    tobedeleted: u.status === "tobedeleted",
    agents: (u.agents ?? []).map((a) => a.sourcedId),
    orgs: u.orgs.map((o) => o.sourcedId),
  };
}

export function desiredEnrollment(e: Enrollment, settings: SyncSettings): DesiredEnrollment {
  return {
    sisId: e.sourcedId,
    user: e.user.sourcedId,
    offering: e.class.sourcedId,
    role: mapRole(e.role, settings, `enrollment ${e.sourcedId}`),
    sisRole: e.role,
    isPrimary: e.primary ?? null,
    beginDate: e.beginDate ?? null,
    endDate: e.endDate ?? null,
    tobedeleted: e.status === "tobedeleted",
  };
}

/** The sync key of an org enrolment derived from a user's `orgs`. */
export function orgEnrollmentKey(userSisId: string, orgSisId: string): string {
  return `org:${userSisId}:${orgSisId}`;
}

/** The sync key of a parent link. */
export function parentLinkKey(parentSisId: string, childSisId: string): string {
  return `${parentSisId}>${childSisId}`;
}
