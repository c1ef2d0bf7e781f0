// `sync export`: the LMS store's roster as OneRoster-shaped JSON, keyed by the SIS sync keys, so any two states
// (the LMS after a run, the provider's data, yesterday's export) can be diffed record by record. Only what the LMS
// keeps is exported; synced rows only (manual ones have no sourcedId). Sorted by sourcedId everywhere.
import { asc, eq, isNotNull } from "drizzle-orm";
import type { LmsDb } from "./store/open.js";
import { enrollments, orgUnitParents, orgUnits, parentLinks, users } from "./store/schema.js";

export interface ExportedRoster {
  academicSessions: Record<string, unknown>[];
  orgs: Record<string, unknown>[];
  courses: Record<string, unknown>[];
  classes: Record<string, unknown>[];
  users: Record<string, unknown>[];
  enrollments: Record<string, unknown>[];
}

const bySourcedId = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  String(a.sourcedId) < String(b.sourcedId) ? -1 : String(a.sourcedId) > String(b.sourcedId) ? 1 : 0;

/**
 * Reads the roster. `status` is `active` for live rows and `tobedeleted` for what the LMS deleted softly (users in
 * the trash can, inactivated or unmapped org units); archived courses carry `lms.status: archived`.
 */
export async function exportRoster(db: LmsDb): Promise<ExportedRoster> {
  const units = await db.select().from(orgUnits).where(isNotNull(orgUnits.sisId)).orderBy(asc(orgUnits.id));
  const byId = new Map(units.map((u) => [u.id, u]));
  const parents = new Map<number, typeof units>();
  for (const p of await db.select().from(orgUnitParents)) {
    const parent = byId.get(p.parentId);
    if (parent) {
      parents.set(p.childId, [...(parents.get(p.childId) ?? []), parent]);
    }
  }
  const parentIds = (id: number, kind: string) =>
    (parents.get(id) ?? [])
      .filter((p) => p.kind === kind)
      .map((p) => p.sisId as string)
      .sort();
  const status = (u: (typeof units)[number]) => (u.status === "active" && !u.unmappedAt ? "active" : "tobedeleted");
  const out: ExportedRoster = { academicSessions: [], orgs: [], courses: [], classes: [], users: [], enrollments: [] };
  // A class unmapped and created again keeps only its newest offering in the export.
  for (const u of units) {
    const sourcedId = u.sisId as string;
    const lms = { id: u.id, type: u.type, code: u.code, status: u.status };
    switch (u.kind) {
      case "session":
        out.academicSessions.push({
          sourcedId,
          status: status(u),
          title: u.name,
          startDate: u.startDate,
          endDate: u.endDate,
          parent: parentIds(u.id, "session")[0] ?? null,
          lms,
        });
        break;
      case "org":
        out.orgs.push({ sourcedId, status: status(u), name: u.name, parent: parentIds(u.id, "org")[0] ?? null, lms });
        break;
      case "template":
        out.courses.push({
          sourcedId,
          status: status(u),
          title: u.name,
          org: parentIds(u.id, "org")[0] ?? null,
          schoolYear: parentIds(u.id, "session")[0] ?? null,
          lms,
        });
        break;
      case "offering":
        out.classes.push({
          sourcedId,
          status: status(u),
          title: u.name,
          course: parentIds(u.id, "template")[0] ?? null,
          school: parentIds(u.id, "org")[0] ?? null,
          terms: parentIds(u.id, "session"),
          lms: { ...lms, startDate: u.startDate, endDate: u.endDate, gradeExport: u.gradeExport },
        });
        break;
      default:
        break; // sections are the offering's inner structure, not a OneRoster object of their own
    }
  }
  const userRows = await db.select().from(users).orderBy(asc(users.id));
  const userById = new Map(userRows.map((u) => [u.id, u]));
  const agents = new Map<number, string[]>();
  // `agents` as OneRoster lists them: on both sides of a link (a child's guardians, a guardian's children).
  for (const l of await db.select().from(parentLinks)) {
    const parent = userById.get(l.parentUserId);
    const child = userById.get(l.childUserId);
    // Links of a user in the trash can are kept (a restore brings them back) but are not live, so not exported.
    if (parent?.sisId && child?.sisId && !parent.trashedAt && !child.trashedAt) {
      agents.set(l.childUserId, [...(agents.get(l.childUserId) ?? []), parent.sisId]);
      agents.set(l.parentUserId, [...(agents.get(l.parentUserId) ?? []), child.sisId]);
    }
  }
  const orgEnrolments = new Map<number, string[]>();
  const enrolmentRows = await db.select().from(enrollments).orderBy(asc(enrollments.id));
  for (const e of enrolmentRows) {
    if (e.kind === "org") {
      const org = byId.get(e.orgUnitId);
      if (org?.sisId) {
        orgEnrolments.set(e.userId, [...(orgEnrolments.get(e.userId) ?? []), org.sisId]);
      }
    }
  }
  for (const u of userRows) {
    if (!u.sisId) {
      continue;
    }
    out.users.push({
      sourcedId: u.sisId,
      status: u.trashedAt ? "tobedeleted" : "active",
      username: u.username,
      enabledUser: u.isActive,
      givenName: u.firstName,
      familyName: u.lastName,
      middleName: u.middleName,
      email: u.email,
      role: u.sisRole,
      agents: (agents.get(u.id) ?? []).sort(),
      orgs: (orgEnrolments.get(u.id) ?? []).sort(),
      lms: { id: u.id, orgDefinedId: u.orgDefinedId, role: u.role, source: u.source },
    });
  }
  for (const e of enrolmentRows) {
    if (e.kind !== "class" || !e.sisId) {
      continue;
    }
    const user = userById.get(e.userId);
    const offering = byId.get(e.orgUnitId);
    out.enrollments.push({
      sourcedId: e.sisId,
      status: "active",
      user: user?.sisId ?? null,
      class: offering?.sisId ?? null,
      role: e.sisRole,
      primary: e.isPrimary,
      beginDate: e.beginDate,
      endDate: e.endDate,
      lms: { id: e.id, role: e.role, source: e.source },
    });
  }
  for (const list of Object.values(out)) {
    list.sort(bySourcedId);
  }
  return out;
}

/** Quick counts of the store for `sync status`. */
export async function storeCounts(db: LmsDb): Promise<Record<string, number>> {
  const roster = await exportRoster(db);
  const manual = await db.select({ id: enrollments.id }).from(enrollments).where(eq(enrollments.source, "manual"));
  const active = (list: Record<string, unknown>[]) => list.filter((r) => r.status === "active").length;
  return {
    academicSessions: active(roster.academicSessions),
    orgs: active(roster.orgs),
    courses: active(roster.courses),
    classes: active(roster.classes),
    archivedClasses: roster.classes.filter((c) => (c.lms as { status: string }).status === "archived").length,
    users: active(roster.users),
    trashedUsers: roster.users.filter((u) => u.status === "tobedeleted").length,
    enrollments: roster.enrollments.length,
    manualEnrollments: manual.length,
  };
}
