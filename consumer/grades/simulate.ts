// Simulated teachers, for the demo and tests: deterministic from a seed and a round. Round 0 builds gradebooks in a
// few courses (grade items in the SIS's categories with a parent term, a grade for every student, the usual mix of
// score statuses); later rounds regrade, add items, change an item's maximum, delete an item and clear grades.
import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type { LmsDb } from "../store/open.js";
import { enrollments, gradeCategories, gradeItems, grades, orgUnits, users } from "../store/schema.js";
import {
  clearGrade,
  createCourseCategory,
  createGradeItem,
  deleteGradeItem,
  type GradeItemRow,
  GradesError,
  learnersOf,
  sessionChoices,
  setGrade,
  updateGradeItem,
} from "./gradebook.js";

export interface SimulateOptions {
  seed: number;
  /** 0 builds the gradebooks; each later round revises them. */
  round: number;
  /** Courses that get a gradebook in round 0. */
  courses: number;
  /** Grade items per course in round 0. */
  itemsPerCourse?: number;
  now: Date;
}

export interface SimulationSummary {
  round: number;
  courses: string[];
  teachers: string[];
  gradeItems: { created: number; changed: number; deleted: number; inOwnCategory: number };
  grades: { entered: number; changed: number; cleared: number };
  byStatus: Record<string, number>;
}

/** mulberry32 over a string hash: small, fast and the same on every machine. */
function createRandom(seed: number, round: number) {
  let h = 2166136261;
  for (const ch of `${seed}:grades:${round}`) {
    h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  }
  let a = h >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
    pick<T>(list: readonly T[]): T {
      return list[Math.floor(next() * list.length)] as T;
    },
  };
}
type Random = ReturnType<typeof createRandom>;

const STATUS_WEIGHTS: [string, number][] = [
  ["fully graded", 78],
  ["exempt", 5],
  ["partially graded", 6],
  ["submitted", 6],
  ["not submitted", 5],
];
const COMMENTS = ["Great work!", "See me after class.", "Late, but complete.", "Check question 3.", "Well argued."];
const MAXIMA = [10, 20, 25, 50, 100];
const DAY_MS = 86_400_000;

function pickStatus(rng: Random): string {
  let roll = rng.int(100);
  for (const [status, weight] of STATUS_WEIGHTS) {
    if (roll < weight) {
      return status;
    }
    roll -= weight;
  }
  return "fully graded";
}

function scoreFor(rng: Random, status: string, max: number): number | null {
  if (status === "fully graded") {
    return Math.round(max * (0.5 + rng.next() * 0.5) * 2) / 2;
  }
  if (status === "partially graded") {
    return Math.round(max * rng.next() * 0.5 * 2) / 2;
  }
  return null;
}

/** The course's primary teacher's username (the one who "does" the grading), else any teacher, else "teacher". */
async function teacherOf(db: LmsDb, offeringId: number): Promise<string> {
  const rows = await db
    .select({ username: users.username, primary: enrollments.isPrimary })
    .from(enrollments)
    .innerJoin(users, eq(users.id, enrollments.userId))
    .where(and(eq(enrollments.orgUnitId, offeringId), eq(enrollments.sisRole, "teacher")))
    .orderBy(asc(users.id));
  return (rows.find((r) => r.primary) ?? rows[0])?.username ?? "teacher";
}

async function gradeAll(
  db: LmsDb,
  rng: Random,
  item: GradeItemRow,
  learners: number[],
  teacher: string,
  now: Date,
  summary: SimulationSummary,
  share = 1,
): Promise<void> {
  const known = { item, learners: new Set(learners) };
  for (const userId of learners) {
    if (share < 1 && !rng.chance(share)) {
      continue;
    }
    const status = pickStatus(rng);
    await setGrade(
      db,
      {
        gradeItemId: item.id,
        userId,
        scoreStatus: status,
        score: scoreFor(rng, status, item.maxScore),
        comment: rng.chance(0.15) ? rng.pick(COMMENTS) : null,
        gradedBy: teacher,
      },
      now,
      known,
    );
    summary.grades.entered++;
    summary.byStatus[status] = (summary.byStatus[status] ?? 0) + 1;
  }
}

/** Courses that can hold an exportable gradebook: created by the integration, active, with students and a term. */
async function candidateCourses(db: LmsDb): Promise<(typeof orgUnits.$inferSelect)[]> {
  return db
    .select()
    .from(orgUnits)
    .where(
      and(
        eq(orgUnits.kind, "offering"),
        eq(orgUnits.source, "sis"),
        eq(orgUnits.gradeExport, true),
        eq(orgUnits.status, "active"),
        isNull(orgUnits.unmappedAt),
      ),
    )
    .orderBy(asc(orgUnits.sisId));
}

/** One round of teacher activity. Round 0 needs the SIS's categories (refresh them first). */
export async function simulateTeachers(db: LmsDb, options: SimulateOptions): Promise<SimulationSummary> {
  const rng = createRandom(options.seed, options.round);
  const now = options.now;
  const summary: SimulationSummary = {
    round: options.round,
    courses: [],
    teachers: [],
    gradeItems: { created: 0, changed: 0, deleted: 0, inOwnCategory: 0 },
    grades: { entered: 0, changed: 0, cleared: 0 },
    byStatus: {},
  };
  const sisCategories = await db
    .select()
    .from(gradeCategories)
    .where(and(eq(gradeCategories.source, "sis"), eq(gradeCategories.status, "active")))
    .orderBy(asc(gradeCategories.sisId));
  if (sisCategories.length === 0) {
    throw new GradesError(
      "BAD_CATEGORY",
      "no SIS grade categories yet: run `rosterlab grades categories --refresh` (or a sync with --grades) first",
    );
  }
  const teachers = new Set<string>();
  if (options.round === 0) {
    const candidates = await candidateCourses(db);
    const chosen: { offering: (typeof candidates)[number]; learners: number[]; sessions: number[] }[] = [];
    // A seeded shuffle spreads the gradebooks over schools and teachers; keep courses with two students and a term.
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [candidates[i], candidates[j]] = [
        candidates[j] as (typeof candidates)[number],
        candidates[i] as (typeof candidates)[number],
      ];
    }
    for (let i = 0; i < candidates.length && chosen.length < options.courses; i++) {
      const offering = candidates[i] as (typeof candidates)[number];
      const learners = [...(await learnersOf(db, offering.id))].sort((a, b) => a - b);
      const sessions = (await sessionChoices(db, offering.id)).map((s) => s.id);
      if (learners.length >= 2 && sessions.length > 0) {
        chosen.push({ offering, learners, sessions });
      }
    }
    for (const [ci, c] of chosen.entries()) {
      const teacher = await teacherOf(db, c.offering.id);
      teachers.add(teacher);
      summary.courses.push(c.offering.code);
      const n = options.itemsPerCourse ?? 3;
      for (let i = 0; i < n; i++) {
        const category = rng.pick(sisCategories);
        const assignDate = new Date(now.getTime() - (n - i) * 7 * DAY_MS);
        const item = await createGradeItem(
          db,
          {
            offeringId: c.offering.id,
            name: `${category.name.replace(/zes$|s$/, "")} ${i + 1}`,
            categoryId: category.id,
            sessionId: rng.pick(c.sessions),
            maxScore: rng.pick(MAXIMA),
            endOfCourse: i === n - 1 && ci % 3 === 0,
            assignDate,
            dueDate: new Date(assignDate.getTime() + 5 * DAY_MS),
            createdBy: teacher,
          },
          now,
        );
        summary.gradeItems.created++;
        await gradeAll(db, rng, item, c.learners, teacher, now, summary);
      }
      // Every fourth course keeps a practice item in the teacher's own category: it never leaves the LMS.
      if (ci % 4 === 0) {
        const own = await createCourseCategory(db, c.offering.id, "Practice (not for the SIS)", now);
        const item = await createGradeItem(
          db,
          {
            offeringId: c.offering.id,
            name: "Practice quiz",
            categoryId: own.id,
            sessionId: rng.pick(c.sessions),
            maxScore: 10,
            createdBy: teacher,
          },
          now,
        );
        summary.gradeItems.created++;
        summary.gradeItems.inOwnCategory++;
        await gradeAll(db, rng, item, c.learners, teacher, now, summary);
      }
    }
    summary.teachers = [...teachers];
    return summary;
  }

  // Later rounds: the courses that have gradebooks, in a stable order.
  const offeringIds = (
    await db.selectDistinct({ id: gradeItems.offeringId }).from(gradeItems).where(isNull(gradeItems.deletedAt))
  )
    .map((r) => r.id)
    .sort((a, b) => a - b);
  const offerings = offeringIds.length
    ? await db.select().from(orgUnits).where(inArray(orgUnits.id, offeringIds)).orderBy(asc(orgUnits.id))
    : [];
  for (const [ci, offering] of offerings.entries()) {
    if (offering.status !== "active" || offering.unmappedAt !== null) {
      continue;
    }
    const teacher = await teacherOf(db, offering.id);
    const learners = await learnersOf(db, offering.id);
    const items = await db
      .select()
      .from(gradeItems)
      .where(and(eq(gradeItems.offeringId, offering.id), isNull(gradeItems.deletedAt)))
      .orderBy(asc(gradeItems.id));
    const exportable = items.filter((i) => sisCategories.some((c) => c.id === i.categoryId));
    if (exportable.length === 0) {
      continue;
    }
    teachers.add(teacher);
    summary.courses.push(offering.code);
    // Regrade about one grade in twelve (students still in the course only).
    const itemGrades = await db
      .select()
      .from(grades)
      .where(
        and(
          inArray(
            grades.gradeItemId,
            exportable.map((i) => i.id),
          ),
          isNull(grades.deletedAt),
        ),
      )
      .orderBy(asc(grades.id));
    for (const g of itemGrades) {
      if (!learners.has(g.userId) || !rng.chance(1 / 12)) {
        continue;
      }
      const item = exportable.find((i) => i.id === g.gradeItemId) as GradeItemRow;
      const status = g.scoreStatus === "fully graded" ? "fully graded" : pickStatus(rng);
      await setGrade(
        db,
        {
          gradeItemId: g.gradeItemId,
          userId: g.userId,
          scoreStatus: status,
          score: scoreFor(rng, status, item.maxScore),
          comment: g.comment,
          gradedBy: teacher,
        },
        now,
        { item, learners },
      );
      summary.grades.changed++;
    }
    // A new item in about a third of the courses.
    if (rng.chance(1 / 3)) {
      const category = rng.pick(sisCategories);
      const template = exportable[0] as GradeItemRow;
      const item = await createGradeItem(
        db,
        {
          offeringId: offering.id,
          name: `${category.name.replace(/zes$|s$/, "")} ${items.length + 1}`,
          categoryId: category.id,
          sessionId: template.sessionId,
          maxScore: rng.pick(MAXIMA),
          assignDate: now,
          dueDate: new Date(now.getTime() + 5 * DAY_MS),
          createdBy: teacher,
        },
        now,
      );
      summary.gradeItems.created++;
      await gradeAll(
        db,
        rng,
        item,
        [...learners].sort((a, b) => a - b),
        teacher,
        now,
        summary,
        0.8,
      );
    }
    // Round 2 changes one item's maximum in the first course: every one of its results is sent again.
    if (options.round === 2 && ci === 0) {
      const item = exportable[0] as GradeItemRow;
      await updateGradeItem(db, item.id, { maxScore: item.maxScore * 2 }, now);
      summary.gradeItems.changed++;
    }
    // Round 3 deletes an item in the second course and clears a grade in the first (both sent as DELETEs).
    if (options.round === 3 && ci === 1 && exportable.length > 1) {
      await deleteGradeItem(db, (exportable.at(-1) as GradeItemRow).id, now);
      summary.gradeItems.deleted++;
    }
    if (options.round === 3 && ci === 0) {
      const g = itemGrades.find((x) => learners.has(x.userId));
      if (g && (await clearGrade(db, g.gradeItemId, g.userId, now))) {
        summary.grades.cleared++;
      }
    }
  }
  summary.teachers = [...teachers];
  return summary;
}
