// What an LMS administrator does by hand, outside the integration: manual users and manual enrolments. Sync never
// removes manual enrolments (seed 003) and maps SIS users onto manual users only when configured to. Each change
// bumps the store version, so a plan held before it can no longer be approved blindly.
import { bumpStoreVersion } from "./apply.js";
import type { LmsDb } from "./store/open.js";
import { enrollments, orgUnits, users } from "./store/schema.js";

export interface ManualEnrolment {
  userId: number;
  orgUnitId: number;
  role: string;
  sectionId?: number;
}

/** Enrols a user by hand (source `manual`); returns the enrolment id. */
export async function manualEnrol(db: LmsDb, e: ManualEnrolment, now: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(enrollments)
      .values({
        userId: e.userId,
        orgUnitId: e.orgUnitId,
        sectionId: e.sectionId ?? null,
        role: e.role,
        kind: "class",
        source: "manual",
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: enrollments.id });
    await bumpStoreVersion(tx, now);
    return row?.id as number;
  });
}

export interface ManualUser {
  username: string;
  firstName: string;
  lastName: string;
  role: string;
  orgDefinedId?: string;
  email?: string;
}

/** Creates a user by hand (no sync key); returns its id. */
export async function manualUser(db: LmsDb, u: ManualUser, now: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(users)
      .values({
        username: u.username,
        firstName: u.firstName,
        lastName: u.lastName,
        role: u.role,
        orgDefinedId: u.orgDefinedId ?? null,
        email: u.email ?? null,
        source: "manual",
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: users.id });
    await bumpStoreVersion(tx, now);
    return row?.id as number;
  });
}

export interface ManualOrgUnit {
  kind: "org" | "session" | "template" | "offering" | "section";
  type: string;
  code: string;
  name: string;
}

/** Creates an org unit by hand (no sync key); returns its id. */
export async function manualOrgUnit(db: LmsDb, u: ManualOrgUnit, now: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(orgUnits)
      .values({ ...u, source: "manual", createdAt: now, updatedAt: now })
      .returning({ id: orgUnits.id });
    await bumpStoreVersion(tx, now);
    return row?.id as number;
  });
}
