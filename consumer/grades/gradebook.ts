// The LMS gradebook as teachers use it: find a course, its academic sessions and categories, create and change grade
// items, enter and clear grades. Every change bumps the object's revision (what "changed since last sent" compares).
// Writes only the gradebook tables; used by the grades CLI, the simulated teachers and tests.
import { and, asc, eq, inArray, isNull, or, type SQL } from "drizzle-orm";
import { ScoreStatusSchema } from "../../oneroster/index.js";
import type { LmsDb } from "../store/open.js";
import { enrollments, gradeCategories, gradeItems, grades, orgUnitParents, orgUnits, users } from "../store/schema.js";

/** A gradebook request that cannot be done, with a stable code (the CLI maps codes to exit statuses). */
export class GradesError extends Error {
  constructor(
    readonly code:
      | "NOT_FOUND"
      | "AMBIGUOUS"
      | "BAD_INPUT"
      | "BAD_SESSION"
      | "BAD_CATEGORY"
      | "NOT_ENROLLED"
      | "NOT_EXPORTABLE"
      | "FETCH_FAILED",
    message: string,
  ) {
    super(message);
    this.name = "GradesError";
  }
}

export type OfferingRow = typeof orgUnits.$inferSelect;
export type GradeItemRow = typeof gradeItems.$inferSelect;
export type GradeRow = typeof grades.$inferSelect;
export type CategoryRow = typeof gradeCategories.$inferSelect;

async function findUnit(db: LmsDb, kind: "offering" | "section" | "session", ref: string): Promise<OfferingRow> {
  const byKind = eq(orgUnits.kind, kind);
  const bySis = await db
    .select()
    .from(orgUnits)
    .where(and(byKind, eq(orgUnits.sisId, ref), isNull(orgUnits.unmappedAt)));
  if (bySis[0]) {
    return bySis[0];
  }
  const conditions: SQL[] = [eq(orgUnits.code, ref)];
  if (/^\d+$/.test(ref)) {
    conditions.push(eq(orgUnits.id, Number(ref)));
  }
  const rows = await db
    .select()
    .from(orgUnits)
    .where(and(byKind, or(...conditions)))
    .orderBy(asc(orgUnits.id));
  if (rows.length === 0) {
    throw new GradesError("NOT_FOUND", `no ${kind} with the sourcedId, code or id '${ref}'`);
  }
  if (rows.length > 1) {
    throw new GradesError(
      "AMBIGUOUS",
      `${rows.length} ${kind}s have the code '${ref}' (ids ${rows.map((r) => r.id).join(", ")}); use the id or the sourcedId`,
    );
  }
  return rows[0] as OfferingRow;
}

/** A course offering by SIS sourcedId (mapped), org unit code or LMS id. */
export function findOffering(db: LmsDb, ref: string): Promise<OfferingRow> {
  return findUnit(db, "offering", ref);
}

/** A section of the offering, by sourcedId, code or id. */
export async function findSection(db: LmsDb, offering: OfferingRow, ref: string): Promise<OfferingRow> {
  const section = await findUnit(db, "section", ref);
  const [link] = await db
    .select()
    .from(orgUnitParents)
    .where(and(eq(orgUnitParents.childId, section.id), eq(orgUnitParents.parentId, offering.id)));
  if (!link) {
    throw new GradesError("BAD_INPUT", `section ${section.code} is not a section of ${offering.code}`);
  }
  return section;
}

/**
 * Seed 003 "Academic Sessions": the choices are the org units created by the SIS for academic sessions that are
 * parents of the course offering.
 */
export async function sessionChoices(db: LmsDb, offeringId: number): Promise<OfferingRow[]> {
  const parents = await db
    .select({ id: orgUnitParents.parentId })
    .from(orgUnitParents)
    .where(eq(orgUnitParents.childId, offeringId));
  if (parents.length === 0) {
    return [];
  }
  return db
    .select()
    .from(orgUnits)
    .where(
      and(
        inArray(
          orgUnits.id,
          parents.map((p) => p.id),
        ),
        eq(orgUnits.kind, "session"),
        eq(orgUnits.source, "sis"),
        isNull(orgUnits.unmappedAt),
      ),
    )
    .orderBy(asc(orgUnits.startDate), asc(orgUnits.id));
}

/** A session choice of the offering by sourcedId, code or id; BAD_SESSION when it is not a parent of the offering. */
export async function findSession(db: LmsDb, offeringId: number, ref: string): Promise<OfferingRow> {
  const choices = await sessionChoices(db, offeringId);
  const found = choices.find((s) => s.sisId === ref || s.code === ref || String(s.id) === ref);
  if (!found) {
    throw new GradesError(
      "BAD_SESSION",
      `academic session '${ref}' is not a parent of the course offering; choose one of: ${choices.map((s) => `${s.sisId} (${s.name})`).join(", ") || "(none: sync the roster first)"}`,
    );
  }
  return found;
}

/** Categories a grade item of the offering may use: the SIS ones (active) and the course's own. */
export function categoryChoices(db: LmsDb, offeringId: number): Promise<CategoryRow[]> {
  return db
    .select()
    .from(gradeCategories)
    .where(
      and(
        eq(gradeCategories.status, "active"),
        or(isNull(gradeCategories.offeringId), eq(gradeCategories.offeringId, offeringId)),
      ),
    )
    .orderBy(asc(gradeCategories.id));
}

export async function findCategory(db: LmsDb, offeringId: number, ref: string): Promise<CategoryRow> {
  const choices = await categoryChoices(db, offeringId);
  const found =
    choices.find((c) => c.sisId === ref || String(c.id) === ref) ??
    choices.find((c) => c.name.toLowerCase() === ref.toLowerCase());
  if (!found) {
    throw new GradesError(
      "BAD_CATEGORY",
      `no category '${ref}' for this course; choose one of: ${choices.map((c) => `${c.sisId ?? c.id} (${c.name})`).join(", ") || "(none: run `rosterlab grades categories --refresh`)"}`,
    );
  }
  return found;
}

/** A teacher's own category in one course: usable for grade items, never exported (export to SIS off). */
export async function createCourseCategory(
  db: LmsDb,
  offeringId: number,
  name: string,
  now: Date,
): Promise<CategoryRow> {
  const [row] = await db
    .insert(gradeCategories)
    .values({ offeringId, name, exportToSis: false, source: "manual", createdAt: now, updatedAt: now })
    .returning();
  if (!row) {
    throw new Error("could not create the category");
  }
  return row;
}

export interface GradeItemInput {
  offeringId: number;
  name: string;
  categoryId: number | null;
  sessionId: number | null;
  maxScore: number;
  minScore?: number;
  endOfCourse?: boolean;
  description?: string | null;
  assignDate?: Date;
  dueDate?: Date;
  createdBy: string;
}

async function checkItemRefs(db: LmsDb, offeringId: number, categoryId: number | null, sessionId: number | null) {
  if (categoryId !== null && !(await categoryChoices(db, offeringId)).some((c) => c.id === categoryId)) {
    throw new GradesError("BAD_CATEGORY", `category ${categoryId} cannot be used in this course`);
  }
  if (sessionId !== null && !(await sessionChoices(db, offeringId)).some((s) => s.id === sessionId)) {
    throw new GradesError("BAD_SESSION", `academic session ${sessionId} is not a parent of the course offering`);
  }
}

function checkScores(min: number, max: number): void {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) {
    throw new GradesError("BAD_INPUT", `the maximum score (${max}) must be a number above the minimum (${min})`);
  }
}

export async function createGradeItem(db: LmsDb, input: GradeItemInput, now: Date): Promise<GradeItemRow> {
  const name = input.name.trim();
  if (name === "") {
    throw new GradesError("BAD_INPUT", "a grade item needs a name");
  }
  checkScores(input.minScore ?? 0, input.maxScore);
  await checkItemRefs(db, input.offeringId, input.categoryId, input.sessionId);
  const assignDate = input.assignDate ?? now;
  const [row] = await db
    .insert(gradeItems)
    .values({
      offeringId: input.offeringId,
      categoryId: input.categoryId,
      sessionId: input.sessionId,
      name,
      description: input.description ?? null,
      assignDate,
      dueDate: input.dueDate ?? assignDate,
      minScore: input.minScore ?? 0,
      maxScore: input.maxScore,
      endOfCourse: input.endOfCourse ?? false,
      createdBy: input.createdBy,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  if (!row) {
    throw new Error("could not create the grade item");
  }
  return row;
}

export async function getGradeItem(db: LmsDb, id: number): Promise<GradeItemRow> {
  const [row] = await db.select().from(gradeItems).where(eq(gradeItems.id, id));
  if (!row || row.deletedAt) {
    throw new GradesError("NOT_FOUND", `there is no grade item ${id}`);
  }
  return row;
}

export type GradeItemPatch = Partial<
  Pick<
    GradeItemRow,
    | "name"
    | "categoryId"
    | "sessionId"
    | "maxScore"
    | "minScore"
    | "endOfCourse"
    | "description"
    | "assignDate"
    | "dueDate"
  >
>;

/** Changes a grade item; a real change bumps its revision (its line item and every result are then re-sent). */
export async function updateGradeItem(db: LmsDb, id: number, patch: GradeItemPatch, now: Date): Promise<GradeItemRow> {
  const item = await getGradeItem(db, id);
  const next = { ...item, ...patch };
  checkScores(next.minScore, next.maxScore);
  if (patch.categoryId !== undefined || patch.sessionId !== undefined) {
    await checkItemRefs(db, item.offeringId, next.categoryId, next.sessionId);
  }
  const changed = (Object.keys(patch) as (keyof GradeItemPatch)[]).some((k) => {
    const a = item[k];
    const b = next[k];
    return a instanceof Date && b instanceof Date ? a.getTime() !== b.getTime() : a !== b;
  });
  if (!changed) {
    return item;
  }
  const [row] = await db
    .update(gradeItems)
    .set({ ...patch, revision: item.revision + 1, updatedAt: now })
    .where(eq(gradeItems.id, id))
    .returning();
  return row ?? item;
}

/** Deletes a grade item (kept as deleted until the SIS has been sent the DELETE). */
export async function deleteGradeItem(db: LmsDb, id: number, now: Date): Promise<void> {
  const item = await getGradeItem(db, id);
  await db
    .update(gradeItems)
    .set({ deletedAt: now, updatedAt: now, revision: item.revision + 1 })
    .where(eq(gradeItems.id, id));
}

/** A user by SIS sourcedId, username, OrgDefinedId or LMS id. */
export async function findUser(db: LmsDb, ref: string): Promise<typeof users.$inferSelect> {
  const conditions: SQL[] = [eq(users.sisId, ref), eq(users.username, ref), eq(users.orgDefinedId, ref)];
  if (/^\d+$/.test(ref)) {
    conditions.push(eq(users.id, Number(ref)));
  }
  const rows = await db
    .select()
    .from(users)
    .where(or(...conditions))
    .limit(2);
  if (rows.length === 0) {
    throw new GradesError("NOT_FOUND", `no user with the sourcedId, username, OrgDefinedId or id '${ref}'`);
  }
  if (rows.length > 1) {
    throw new GradesError("AMBIGUOUS", `'${ref}' names more than one user; use the sourcedId`);
  }
  return rows[0] as typeof users.$inferSelect;
}

/** Users enrolled in the offering as students (SIS role student), by LMS id. */
export async function learnersOf(db: LmsDb, offeringId: number, sectionId?: number): Promise<Set<number>> {
  const rows = await db
    .select({ userId: enrollments.userId })
    .from(enrollments)
    .innerJoin(users, eq(users.id, enrollments.userId))
    .where(
      and(
        eq(enrollments.orgUnitId, offeringId),
        eq(enrollments.kind, "class"),
        or(eq(enrollments.sisRole, "student"), and(isNull(enrollments.sisRole), eq(users.sisRole, "student"))),
        ...(sectionId !== undefined ? [eq(enrollments.sectionId, sectionId)] : []),
      ),
    );
  return new Set(rows.map((r) => r.userId));
}

export interface GradeInput {
  gradeItemId: number;
  userId: number;
  scoreStatus: string;
  score?: number | null;
  comment?: string | null;
  gradedBy: string;
}

/**
 * Enters or changes a student's grade; a real change bumps its revision. Only students of the course. A caller
 * grading a whole class passes the item and its learners once (`known`) instead of a lookup per grade.
 */
export async function setGrade(
  db: LmsDb,
  input: GradeInput,
  now: Date,
  known?: { item: GradeItemRow; learners: ReadonlySet<number> },
): Promise<GradeRow> {
  const status = ScoreStatusSchema.safeParse(input.scoreStatus);
  if (!status.success) {
    throw new GradesError(
      "BAD_INPUT",
      `scoreStatus must be one of ${ScoreStatusSchema.options.map((s) => `"${s}"`).join(", ")}`,
    );
  }
  const score = input.score ?? null;
  if (score !== null && !Number.isFinite(score)) {
    throw new GradesError("BAD_INPUT", "the score must be a number");
  }
  if (status.data === "fully graded" && score === null) {
    throw new GradesError("BAD_INPUT", "a fully graded grade needs a score");
  }
  const item = known?.item.id === input.gradeItemId ? known.item : await getGradeItem(db, input.gradeItemId);
  const learners = known?.item.id === input.gradeItemId ? known.learners : await learnersOf(db, item.offeringId);
  if (!learners.has(input.userId)) {
    throw new GradesError("NOT_ENROLLED", `user ${input.userId} is not a student of this course`);
  }
  const values = { scoreStatus: status.data, score, comment: input.comment ?? null };
  const [existing] = await db
    .select()
    .from(grades)
    .where(and(eq(grades.gradeItemId, input.gradeItemId), eq(grades.userId, input.userId)));
  if (!existing) {
    const [row] = await db
      .insert(grades)
      .values({
        gradeItemId: input.gradeItemId,
        userId: input.userId,
        ...values,
        gradedBy: input.gradedBy,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    if (!row) {
      throw new Error("could not store the grade");
    }
    return row;
  }
  const same =
    existing.deletedAt === null &&
    existing.scoreStatus === values.scoreStatus &&
    existing.score === values.score &&
    existing.comment === values.comment;
  if (same) {
    return existing;
  }
  const [row] = await db
    .update(grades)
    .set({ ...values, gradedBy: input.gradedBy, deletedAt: null, revision: existing.revision + 1, updatedAt: now })
    .where(eq(grades.id, existing.id))
    .returning();
  return row ?? existing;
}

/** Clears a grade (sent to the SIS as a DELETE of its result when the SIS holds it). */
export async function clearGrade(db: LmsDb, gradeItemId: number, userId: number, now: Date): Promise<boolean> {
  const [existing] = await db
    .select()
    .from(grades)
    .where(and(eq(grades.gradeItemId, gradeItemId), eq(grades.userId, userId), isNull(grades.deletedAt)));
  if (!existing) {
    return false;
  }
  await db
    .update(grades)
    .set({ deletedAt: now, updatedAt: now, revision: existing.revision + 1 })
    .where(eq(grades.id, existing.id));
  return true;
}
