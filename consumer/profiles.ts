// The two built-in behaviours as data: Brightspace (IPSIS OneRoster REST, seed 003) and itslearning (SIS sync,
// seed 000). A config file overrides any field of the chosen profile (see config.ts for every option).
import type { SyncSettings } from "./config.js";

const ORG_TYPES = {
  district: "District",
  school: "School",
  department: "Department",
  local: "Local",
  national: "National",
  state: "State",
};

/** Brightspace: role map with Teacher and Student by default plus common extras; classes inactivated on delete. */
export const BRIGHTSPACE: SyncSettings = {
  profile: "brightspace",
  roleMap: {
    student: "Learner",
    teacher: "Instructor",
    administrator: "Administrator",
    aide: "Teaching Assistant",
    parent: "Parent",
    guardian: "Parent",
  },
  orgUnitTypes: {
    org: ORG_TYPES,
    session: { schoolYear: "School Year", semester: "Semester", term: "Term", gradingPeriod: "Grading Period" },
    template: "Course Template",
    offering: "Course Offering",
    section: "Section",
  },
  deletion: { classes: "inactivate", persons: "softDelete", missingInFullRun: true },
  safety: {
    enabled: true,
    minimumBase: 50,
    thresholds: {
      persons: { insert: 50, update: 50, delete: 10 },
      groups: { insert: 50, update: 50, delete: 20 },
      memberships: { insert: 50, update: 50, delete: 20 },
    },
  },
  offeringDates: { enabled: false, sessionType: "term", startOffsetDays: 0, endOffsetDays: 0 },
  mapExistingUsers: "off",
  mapExistingOrgUnits: false,
  unenrolByEndDate: false,
  unenrolFromOrgs: false,
  overwrite: { userNames: true, userEmail: true, username: true, orgUnitNames: true, orgUnitCodes: true },
  orgDefinedIdFrom: "sourcedId",
  paused: false,
  schedule: "02:00",
  grades: { export: true, nightly: true, onDemand: true, serviceUser: "IPSIS Service" },
  fetch: { pageSize: 1000, concurrency: 4, timeoutMs: 30_000, retries: 5, overlapSeconds: 120 },
};

/** itslearning: SIS is master; persons soft-deleted to the trash can; courses archived; a safety filter always on. */
export const ITSLEARNING: SyncSettings = {
  ...BRIGHTSPACE,
  profile: "itslearning",
  roleMap: {
    student: "Student",
    teacher: "Staff",
    administrator: "Administrator",
    aide: "Staff",
    parent: "Guardian",
    guardian: "Guardian",
    relative: "Guardian",
  },
  orgUnitTypes: {
    org: ORG_TYPES,
    session: { schoolYear: "School year", semester: "Semester", term: "Term", gradingPeriod: "Period" },
    template: "Subject",
    offering: "Course",
    section: "Group",
  },
  deletion: { classes: "archive", persons: "softDelete", missingInFullRun: true },
  unenrolFromOrgs: true,
  grades: { ...BRIGHTSPACE.grades, serviceUser: "SIS sync" },
};

export const PROFILES = { brightspace: BRIGHTSPACE, itslearning: ITSLEARNING } as const;
export type ProfileName = keyof typeof PROFILES;
