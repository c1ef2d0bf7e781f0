// The school-year rollover, run by an advance (clock.ts) when the simulated date crosses the year boundary, in
// named phases: the new session tree, last year retired, students promoted or graduated, a kindergarten cohort,
// and the new year's schedule for every school.
import { and, asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { academicSessions, classes, courses, demographics, enrollments, users } from "../server/db/schema.js";
import { allSessions, buildSchoolYear, type SchoolYearCalendar } from "./calendar.js";
import { pendingStamp, type Run, touch } from "./clock-run.js";
import { buildDemographics, buildUser, type DistrictPlan, resourceForSubject } from "./generate.js";
import { insertRows } from "./load.js";
import { createFaker } from "./people.js";
import { createRng, hashString, type Rng } from "./random.js";
import type { UserRow } from "./rows.js";
import { IdAllocator, LEVEL_GRADES, type Level, levelOfGrade, nextGrade, scheduleSchool } from "./schedule.js";

/** Shared by the phases of one rollover. */
interface Rollover {
  run: Run;
  oldCal: SchoolYearCalendar;
  cal: SchoolYearCalendar;
  newEnd: number;
  rng: Rng;
  stampFn: () => Date;
}

/**
 * The school-year boundary: a new session tree, courses and classes; last year's courses, classes and
 * enrolments tombstoned; students promoted (into the feeder school of the next level) and graduates leaving.
 */
export async function rollover(run: Run): Promise<void> {
  const newEnd = run.state.schoolYearEnd + 1;
  const stamp = pendingStamp(run);
  const r: Rollover = {
    run,
    oldCal: run.cal,
    cal: buildSchoolYear(newEnd),
    newEnd,
    rng: createRng(run.state.generator.seed, "rollover", newEnd),
    stampFn: () => stamp,
  };
  run.stream.ids = new IdAllocator(`y${newEnd}-`);
  await addYearSessions(r);
  await retireLastYear(r);
  await promoteStudents(r);
  await enrolKindergarten(r);
  await scheduleNewYear(r);
  run.state.schoolYearEnd = newEnd;
  run.cal = r.cal;
}

/** The new school year's session tree (year, semesters, terms, grading periods), unless it already exists. */
async function addYearSessions({ run, cal, stampFn }: Rollover): Promise<void> {
  const existing = await run.tx
    .select({ id: academicSessions.sourcedId })
    .from(academicSessions)
    .where(eq(academicSessions.sourcedId, cal.year.sourcedId));
  if (existing.length > 0) {
    return;
  }
  const sessions = allSessions(cal).map((s) => ({
    ...s,
    status: "active",
    dateLastModified: stampFn(),
    metadata: null,
    schoolYear: cal.schoolYear,
  }));
  await insertRows(run, "academicSessions", sessions);
  touch(run, "academicSessions", sessions.length);
}

/** `term_ids && ARRAY[…]`: classes scheduled in any of the given terms. */
function inTerms(termIds: string[]): SQL {
  return sql`${classes.termIds} && ARRAY[${sql.join(
    termIds.map((t) => sql`${t}`),
    sql`, `,
  )}]::text[]`;
}

/** Last year's classes, courses and enrolments become tombstones. */
async function retireLastYear({ run, oldCal, stampFn }: Rollover): Promise<void> {
  const { tx } = run;
  const oldTerms = oldCal.terms.map((t) => t.sourcedId);
  const tombstone = { status: "tobedeleted", dateLastModified: stampFn() };
  const oldClasses = await tx
    .update(classes)
    .set(tombstone)
    .where(and(eq(classes.status, "active"), inTerms(oldTerms)))
    .returning({ id: classes.sourcedId });
  touch(run, "classes", oldClasses.length);
  const oldCourses = await tx
    .update(courses)
    .set(tombstone)
    .where(and(eq(courses.status, "active"), eq(courses.schoolYearId, oldCal.year.sourcedId)))
    .returning({ id: courses.sourcedId });
  touch(run, "courses", oldCourses.length);
  const oldEnrollments = await tx
    .update(enrollments)
    .set(tombstone)
    .where(
      and(
        eq(enrollments.status, "active"),
        inArray(enrollments.classId, tx.select({ id: classes.sourcedId }).from(classes).where(inTerms(oldTerms))),
      ),
    )
    .returning({ id: enrollments.sourcedId });
  touch(run, "enrollments", oldEnrollments.length);
}

/** School ids by level, in plan order. */
function schoolsByLevel(plan: DistrictPlan): Record<Level, string[]> {
  const byLevel: Record<Level, string[]> = { elementary: [], middle: [], high: [] };
  for (const x of plan.schools) {
    byLevel[x.level].push(x.sourcedId);
  }
  return byLevel;
}

/** Promotion, highest grade first so nobody is promoted twice; level changes go to the feeder school. */
async function promoteStudents(r: Rollover): Promise<void> {
  const byLevel = schoolsByLevel(r.run.stream.plan);
  const allGrades = [...LEVEL_GRADES.elementary, ...LEVEL_GRADES.middle, ...LEVEL_GRADES.high].reverse();
  for (const grade of allGrades) {
    const next = nextGrade(grade);
    if (next === null) {
      await graduate(r, grade);
      continue;
    }
    const fromLevel = levelOfGrade(grade);
    const toLevel = levelOfGrade(next);
    for (const [idx, schoolId] of byLevel[fromLevel].entries()) {
      const target = fromLevel === toLevel ? schoolId : byLevel[toLevel][idx % Math.max(1, byLevel[toLevel].length)];
      await promoteCohort(r, grade, next, schoolId, target);
    }
  }
}

/** The last grade leaves: students and their demographics become tombstones. */
async function graduate({ run, stampFn }: Rollover, grade: string): Promise<void> {
  const grads = await run.tx
    .update(users)
    .set({ status: "tobedeleted", enabledUser: false, dateLastModified: stampFn() })
    .where(and(eq(users.role, "student"), eq(users.status, "active"), sql`${users.grades} = ARRAY[${grade}]::text[]`))
    .returning({ id: users.sourcedId });
  touch(run, "users", grads.length);
  if (grads.length === 0) {
    return;
  }
  const d = await run.tx
    .update(demographics)
    .set({ status: "tobedeleted", dateLastModified: stampFn() })
    .where(
      inArray(
        demographics.sourcedId,
        grads.map((g) => g.id),
      ),
    )
    .returning({ id: demographics.sourcedId });
  touch(run, "demographics", d.length);
}

/**
 * One school's cohort of a grade moves up a grade, into `target` (its feeder school at the next level); with no
 * school of that level they leave. Parents and guardians follow a child into another school, as on a transfer.
 */
async function promoteCohort(
  { run, stampFn }: Rollover,
  grade: string,
  next: string,
  schoolId: string,
  target: string | undefined,
): Promise<void> {
  const { tx } = run;
  const where = and(
    eq(users.role, "student"),
    eq(users.status, "active"),
    sql`${users.grades} = ARRAY[${grade}]::text[]`,
    sql`${users.orgIds} = ARRAY[${schoolId}]::text[]`,
  );
  const moved = target
    ? await tx
        .update(users)
        .set({ grades: [next], orgIds: [target], dateLastModified: stampFn() })
        .where(where)
        .returning({ id: users.sourcedId, agents: users.agentIds })
    : await tx
        .update(users)
        .set({ status: "tobedeleted", enabledUser: false, dateLastModified: stampFn() })
        .where(where)
        .returning({ id: users.sourcedId, agents: users.agentIds });
  touch(run, "users", moved.length);
  const guardians = [...new Set(moved.flatMap((m) => m.agents ?? []))];
  if (!target || target === schoolId || guardians.length === 0) {
    return;
  }
  const followed = await tx
    .update(users)
    .set({
      orgIds: sql`array_append(array_remove(${users.orgIds}, ${target}), ${target})`,
      dateLastModified: stampFn(),
    })
    .where(
      and(inArray(users.sourcedId, guardians), eq(users.status, "active"), sql`not (${target} = any(${users.orgIds}))`),
    )
    .returning({ id: users.sourcedId });
  touch(run, "users", followed.length);
}

/** A new kindergarten cohort at every elementary school, each child with a parent (agents both ways). */
async function enrolKindergarten({ run, cal, newEnd, rng, stampFn }: Rollover): Promise<void> {
  const { state, stream } = run;
  const plan = stream.plan;
  stream.serial.n = 1_000_000_000 + newEnd * 100_000;
  const kf = createFaker(state.generator.locale, hashString(`${state.generator.seed}:kindergarten:${newEnd}`));
  for (const school of plan.schools.filter((x) => x.level === "elementary")) {
    const newUsers: UserRow[] = [];
    const newDemo = [];
    const extended = { ...plan, cal };
    for (let i = 0; i < (school.studentsPerGrade[0] ?? 0); i++) {
      const sex = rng.chance(0.5) ? "female" : "male";
      const child = buildUser(stream, kf, rng, stampFn, {
        role: "student",
        orgIds: [school.sourcedId],
        sex,
        awkward: false,
        grade: "KG",
      });
      const parent = buildUser(stream, kf, rng, stampFn, {
        role: "parent",
        orgIds: [school.sourcedId],
        sex: "female",
        awkward: false,
        familyName: child.familyName,
      });
      child.agentIds = [parent.sourcedId];
      parent.agentIds = [child.sourcedId];
      newUsers.push(child, parent);
      newDemo.push(buildDemographics(extended, kf, rng, stampFn, child, "KG", sex));
    }
    await insertRows(run, "users", newUsers);
    await insertRows(run, "demographics", newDemo);
    touch(run, "users", newUsers.length);
    touch(run, "demographics", newDemo.length);
  }
}

/** The new year's schedule for every school, taught by the school's current staff. */
async function scheduleNewYear(r: Rollover): Promise<void> {
  for (const school of r.run.stream.plan.schools) {
    await scheduleOneSchool(r, school);
  }
}

/** Active students of a school, one list per grade of its level, in sourcedId order. */
async function studentsByGrade(run: Run, schoolId: string, level: Level): Promise<string[][]> {
  const out: string[][] = [];
  for (const grade of LEVEL_GRADES[level]) {
    const rows = await run.tx
      .select({ id: users.sourcedId })
      .from(users)
      .where(
        and(
          eq(users.role, "student"),
          eq(users.status, "active"),
          sql`${users.grades} = ARRAY[${grade}]::text[]`,
          sql`${users.orgIds} @> ARRAY[${schoolId}]::text[]`,
        ),
      )
      .orderBy(asc(users.sourcedId));
    out.push(rows.map((x) => x.id));
  }
  return out;
}

/** The school's active teachers (one is hired when none is left) and aides. */
async function staffOf(r: Rollover, schoolId: string): Promise<{ teachers: string[]; aides: string[] }> {
  const { run, newEnd, rng, stampFn } = r;
  const staff = await run.tx
    .select({ id: users.sourcedId, role: users.role })
    .from(users)
    .where(
      and(
        inArray(users.role, ["teacher", "aide"]),
        eq(users.status, "active"),
        sql`${users.orgIds} @> ARRAY[${schoolId}]::text[]`,
      ),
    )
    .orderBy(asc(users.sourcedId));
  const teachers = staff.filter((s) => s.role === "teacher").map((s) => s.id);
  const aides = staff.filter((s) => s.role === "aide").map((s) => s.id);
  if (teachers.length === 0) {
    const { generator } = run.state;
    const f = createFaker(generator.locale, hashString(`${generator.seed}:rollover:${newEnd}:${schoolId}`));
    const hire = buildUser(run.stream, f, rng, stampFn, {
      role: "teacher",
      orgIds: [schoolId],
      sex: "female",
      awkward: false,
    });
    await insertRows(run, "users", [hire]);
    touch(run, "users", 1);
    teachers.push(hire.sourcedId);
  }
  return { teachers, aides };
}

async function scheduleOneSchool(r: Rollover, school: DistrictPlan["schools"][number]): Promise<void> {
  const { run, cal, rng, stampFn } = r;
  const { plan } = run.stream;
  const level = school.level;
  const { teachers, aides } = await staffOf(r, school.sourcedId);
  const out = scheduleSchool({
    school: { sourcedId: school.sourcedId, level, code: school.code },
    cal,
    studentsByGrade: await studentsByGrade(run, school.sourcedId, level),
    classSize: plan.counts.classSize,
    sectionsPerTeacher: plan.counts.sectionsPerTeacher,
    teacher: (pool, slot) =>
      pool === "advisory"
        ? (teachers[slot % teachers.length] as string)
        : (teachers[hashString(`${pool}#${slot}`) % teachers.length] as string),
    aides,
    proctor: null,
    resourceFor: (subject) => resourceForSubject(plan.counts, subject),
    stamp: stampFn,
    ids: run.stream.ids,
    rng,
    asOfDate: cal.year.startDate,
    edges: null,
  });
  await insertRows(run, "courses", out.courses);
  await insertRows(run, "classes", out.classes);
  await insertRows(run, "enrollments", out.enrollments);
  touch(run, "courses", out.courses.length);
  touch(run, "classes", out.classes.length);
  touch(run, "enrollments", out.enrollments.length);
}
