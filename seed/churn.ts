// The district's daily churn: each school day a number of events proportional to active student enrolments —
// new students, withdrawals, transfers, schedule changes, replaced teachers, name and e-mail changes, new guardians,
// new line items with grades — deterministic from the seed and the day. Runs inside an advance (clock.ts).
import type { Faker } from "@faker-js/faker";
import { and, asc, eq, ne, sql } from "drizzle-orm";
import { categories, classes, demographics, enrollments, users } from "../server/db/schema.js";
import { addDays, type IsoDate, type SessionNode } from "./calendar.js";
import {
  activeUserIds,
  currentStudentEnrollmentIds,
  insertFresh,
  pendingStamp,
  pool,
  type Run,
  touch,
} from "./clock-run.js";
import { buildDemographics, buildUser, CATEGORIES, categoryId } from "./generate.js";
import { insertRows } from "./load.js";
import { createFaker, slug } from "./people.js";
import { createRng, hashString, type Rng } from "./random.js";
import type { ResultRow, UserRow } from "./rows.js";
import { IdAllocator, LEVEL_GRADES, type Level, levelOfGrade } from "./schedule.js";

export const CHURN_EVENTS = [
  "newStudent",
  "withdrawal",
  "transfer",
  "scheduleChange",
  "teacherReplaced",
  "nameChange",
  "emailChange",
  "newGuardian",
  "newLineItem",
] as const;
export type ChurnEvent = (typeof CHURN_EVENTS)[number];

const WEIGHTS: Record<ChurnEvent, number> = {
  newStudent: 14,
  withdrawal: 10,
  transfer: 8,
  scheduleChange: 30,
  teacherReplaced: 5,
  nameChange: 8,
  emailChange: 6,
  newGuardian: 7,
  newLineItem: 12,
};

/** One school day: a number of churn events proportional to active student enrolments, drawn by weight. */
export async function churnDay(run: Run): Promise<void> {
  const { state } = run;
  const rng = createRng(state.generator.seed, "day", state.day);
  const f = createFaker(state.generator.locale, hashString(`${state.generator.seed}:day:${state.day}`));
  run.stream.ids = new IdAllocator(`d${String(state.day).padStart(4, "0")}-`);
  run.stream.serial.n = 10_000_000 + state.day * 100_000;
  run.pools = new Map();
  const active = (await currentStudentEnrollmentIds(run)).length;
  const events = Math.max(1, Math.round(active * state.churnRate));
  const total = CHURN_EVENTS.reduce((n, e) => n + WEIGHTS[e], 0);
  for (let i = 0; i < events; i++) {
    let roll = rng.int(total);
    let kind: ChurnEvent = "scheduleChange";
    for (const e of CHURN_EVENTS) {
      if (roll < WEIGHTS[e]) {
        kind = e;
        break;
      }
      roll -= WEIGHTS[e];
    }
    if (await applyEvent(run, kind, rng, f)) {
      run.events[kind]++;
    }
  }
}

async function applyEvent(run: Run, kind: ChurnEvent, rng: Rng, f: Faker): Promise<boolean> {
  switch (kind) {
    case "newStudent":
      return newStudent(run, rng, f);
    case "withdrawal":
      return withdrawal(run, rng);
    case "transfer":
      return transfer(run, rng);
    case "scheduleChange":
      return scheduleChange(run, rng);
    case "teacherReplaced":
      return teacherReplaced(run, rng, f);
    case "nameChange":
      return nameChange(run, rng, f);
    case "emailChange":
      return emailChange(run, rng, f);
    case "newGuardian":
      return newGuardian(run, rng, f);
    case "newLineItem":
      return newLineItem(run, rng);
  }
}

async function pickActiveStudent(run: Run, rng: Rng): Promise<UserRow | null> {
  return pickActiveUser(run, rng, ["student"]);
}

/** Current-year classes of a school for one grade, grouped by course, for enrolling a student. */
async function classesForGrade(run: Run, schoolId: string, grade: string) {
  const yearTerms = run.cal.terms.map((t) => t.sourcedId);
  const rows = await run.tx
    .select({
      sourcedId: classes.sourcedId,
      courseId: classes.courseId,
      termIds: classes.termIds,
      classType: classes.classType,
    })
    .from(classes)
    .where(
      and(
        eq(classes.schoolId, schoolId),
        eq(classes.status, "active"),
        sql`${classes.grades} @> ARRAY[${grade}]::text[]`,
        sql`${classes.termIds} && ARRAY[${sql.join(
          yearTerms.map((t) => sql`${t}`),
          sql`, `,
        )}]::text[]`,
      ),
    )
    .orderBy(asc(classes.sourcedId));
  const byCourse = new Map<string, typeof rows>();
  for (const r of rows) {
    const list = byCourse.get(r.courseId) ?? [];
    list.push(r);
    byCourse.set(r.courseId, list);
  }
  return byCourse;
}

/** An ended enrolment's end date: today; its begin date if it had not started; its own end if already over. */
function endedOn(run: Run) {
  return sql<string>`LEAST(COALESCE(${enrollments.endDate}, ${run.date}::date), GREATEST(${enrollments.beginDate}, ${run.date}::date))`;
}

function termSpan(run: Run, termIds: string[]): [IsoDate, IsoDate] {
  const ts = run.cal.terms.filter((t) => termIds.includes(t.sourcedId));
  if (ts.length === 0) {
    return [run.cal.year.startDate, run.cal.year.endDate];
  }
  return [
    ts.map((t) => t.startDate).sort()[0] as string,
    ts
      .map((t) => t.endDate)
      .sort()
      .at(-1) as string,
  ];
}

/** Enrols a student in one section of every current course of their grade at a school. */
async function enrollInSchool(
  run: Run,
  rng: Rng,
  studentId: string,
  schoolId: string,
  grade: string,
  stamp: Date,
): Promise<number> {
  const byCourse = await classesForGrade(run, schoolId, grade);
  const rows = [];
  for (const sections of byCourse.values()) {
    const cls = rng.pick(sections);
    const [start, end] = termSpan(run, cls.termIds);
    if (end < run.date) {
      continue;
    }
    rows.push({
      sourcedId: run.stream.ids.next("enr"),
      status: "active",
      dateLastModified: stamp,
      metadata: null,
      userId: studentId,
      classId: cls.sourcedId,
      schoolId,
      role: "student",
      primary: null,
      beginDate: start > run.date ? start : run.date,
      endDate: end,
    });
  }
  await insertRows(run, "enrollments", rows);
  touch(run, "enrollments", rows.length);
  return rows.length;
}

async function endEnrollments(run: Run, userId: string, stamp: Date): Promise<number> {
  const done = await run.tx
    .update(enrollments)
    .set({ status: "tobedeleted", endDate: endedOn(run), dateLastModified: stamp })
    .where(and(eq(enrollments.userId, userId), eq(enrollments.status, "active")))
    .returning({ id: enrollments.sourcedId });
  touch(run, "enrollments", done.length);
  return done.length;
}

async function schoolsOfLevel(run: Run, level: Level): Promise<string[]> {
  return run.stream.plan.schools.filter((x) => x.level === level).map((x) => x.sourcedId);
}

async function newStudent(run: Run, rng: Rng, f: Faker): Promise<boolean> {
  const level: Level = rng.pick(["elementary", "elementary", "middle", "high"] as const);
  const schools = await schoolsOfLevel(run, level);
  if (schools.length === 0) {
    return false;
  }
  const schoolId = rng.pick(schools);
  const grade = rng.pick(LEVEL_GRADES[level]);
  const stamp = pendingStamp(run);
  const stampFn = () => stamp;
  const sex = rng.chance(0.5) ? "female" : "male";
  const student = buildUser(run.stream, f, rng, stampFn, {
    role: "student",
    orgIds: [schoolId],
    sex,
    awkward: false,
    grade,
  });
  const guardian = buildUser(run.stream, f, rng, stampFn, {
    role: "parent",
    orgIds: [schoolId],
    sex: "female",
    awkward: false,
    familyName: student.familyName,
  });
  student.agentIds = [guardian.sourcedId];
  guardian.agentIds = [student.sourcedId];
  await insertRows(run, "users", [student, guardian]);
  touch(run, "users", 2);
  const plan = { ...run.stream.plan, cal: run.cal };
  await insertRows(run, "demographics", [buildDemographics(plan, f, rng, stampFn, student, grade, sex)]);
  touch(run, "demographics", 1);
  await enrollInSchool(run, rng, student.sourcedId, schoolId, grade, stamp);
  return true;
}

async function withdrawal(run: Run, rng: Rng): Promise<boolean> {
  const s = await pickActiveStudent(run, rng);
  if (!s) {
    return false;
  }
  const stamp = pendingStamp(run);
  await run.tx
    .update(users)
    .set({ status: "tobedeleted", enabledUser: false, dateLastModified: stamp })
    .where(eq(users.sourcedId, s.sourcedId));
  touch(run, "users", 1);
  const d = await run.tx
    .update(demographics)
    .set({ status: "tobedeleted", dateLastModified: stamp })
    .where(eq(demographics.sourcedId, s.sourcedId))
    .returning({ id: demographics.sourcedId });
  touch(run, "demographics", d.length);
  await endEnrollments(run, s.sourcedId, stamp);
  return true;
}

async function transfer(run: Run, rng: Rng): Promise<boolean> {
  const s = await pickActiveStudent(run, rng);
  const grade = s?.grades?.[0];
  const from = s?.orgIds[0];
  if (!s || !grade || !from) {
    return false;
  }
  const options = (await schoolsOfLevel(run, levelOfGrade(grade))).filter((x) => x !== from);
  if (options.length === 0) {
    return scheduleChange(run, rng);
  }
  const to = rng.pick(options);
  const stamp = pendingStamp(run);
  await endEnrollments(run, s.sourcedId, stamp);
  await run.tx
    .update(users)
    .set({ orgIds: [to], dateLastModified: stamp })
    .where(eq(users.sourcedId, s.sourcedId));
  touch(run, "users", 1);
  for (const g of s.agentIds ?? []) {
    const done = await run.tx
      .update(users)
      .set({ orgIds: sql`array_append(array_remove(${users.orgIds}, ${to}), ${to})`, dateLastModified: stamp })
      .where(and(eq(users.sourcedId, g), eq(users.status, "active")))
      .returning({ id: users.sourcedId });
    touch(run, "users", done.length);
  }
  await enrollInSchool(run, rng, s.sourcedId, to, grade, stamp);
  return true;
}

async function scheduleChange(run: Run, rng: Rng): Promise<boolean> {
  const ids = await currentStudentEnrollmentIds(run);
  for (let attempt = 0; attempt < 3 && ids.length > 0; attempt++) {
    const [e] = await run.tx
      .select()
      .from(enrollments)
      .where(eq(enrollments.sourcedId, ids[rng.int(ids.length)] as string));
    if (!e || e.status !== "active") {
      continue;
    }
    const [cls] = await run.tx.select().from(classes).where(eq(classes.sourcedId, e.classId));
    if (!cls || cls.classType !== "scheduled") {
      continue;
    }
    const others = await run.tx
      .select({ id: classes.sourcedId })
      .from(classes)
      .where(
        and(eq(classes.courseId, cls.courseId), eq(classes.status, "active"), ne(classes.sourcedId, cls.sourcedId)),
      )
      .orderBy(asc(classes.sourcedId));
    if (others.length === 0) {
      continue;
    }
    const target = rng.pick(others).id;
    const stamp = pendingStamp(run);
    await run.tx
      .update(enrollments)
      .set({ status: "tobedeleted", endDate: endedOn(run), dateLastModified: stamp })
      .where(eq(enrollments.sourcedId, e.sourcedId));
    const begin = e.beginDate && e.beginDate > run.date ? e.beginDate : run.date;
    await insertRows(run, "enrollments", [
      {
        ...e,
        sourcedId: run.stream.ids.next("enr"),
        classId: target,
        beginDate: begin,
        dateLastModified: stamp,
        status: "active",
      },
    ]);
    touch(run, "enrollments", 2);
    return true;
  }
  return false;
}

async function teacherReplaced(run: Run, rng: Rng, f: Faker): Promise<boolean> {
  const ids = await pool(run, "enrollments:primary-teacher", () =>
    run.tx
      .select({ id: enrollments.sourcedId })
      .from(enrollments)
      .where(and(eq(enrollments.role, "teacher"), eq(enrollments.status, "active"), eq(enrollments.primary, true)))
      .orderBy(asc(enrollments.sourcedId)),
  );
  if (ids.length === 0) {
    return false;
  }
  const [e] = await run.tx
    .select()
    .from(enrollments)
    .where(eq(enrollments.sourcedId, ids[rng.int(ids.length)] as string));
  if (!e || e.status !== "active") {
    return false;
  }
  const stamp = pendingStamp(run);
  const colleagues = await run.tx
    .select({ id: users.sourcedId })
    .from(users)
    .where(
      and(
        eq(users.role, "teacher"),
        eq(users.status, "active"),
        sql`${users.orgIds} @> ARRAY[${e.schoolId}]::text[]`,
        ne(users.sourcedId, e.userId),
      ),
    )
    .orderBy(asc(users.sourcedId));
  let replacement: string;
  if (colleagues.length === 0 || rng.chance(0.3)) {
    const hire = buildUser(run.stream, f, rng, () => stamp, {
      role: "teacher",
      orgIds: [e.schoolId],
      sex: rng.chance(0.5) ? "female" : "male",
      awkward: false,
    });
    await insertRows(run, "users", [hire]);
    touch(run, "users", 1);
    replacement = hire.sourcedId;
  } else {
    replacement = rng.pick(colleagues).id;
  }
  await run.tx
    .update(enrollments)
    .set({ status: "tobedeleted", endDate: endedOn(run), dateLastModified: stamp })
    .where(eq(enrollments.sourcedId, e.sourcedId));
  await insertRows(run, "enrollments", [
    {
      ...e,
      sourcedId: run.stream.ids.next("enr"),
      userId: replacement,
      beginDate: run.date,
      endDate: null,
      dateLastModified: stamp,
      status: "active",
    },
  ]);
  touch(run, "enrollments", 2);
  return true;
}

/** A user active at the start of the day (and still active: an earlier event today may have withdrawn them). */
async function pickActiveUser(run: Run, rng: Rng, roles: string[]): Promise<UserRow | null> {
  const ids = await activeUserIds(run, roles);
  if (ids.length === 0) {
    return null;
  }
  const [u] = await run.tx
    .select()
    .from(users)
    .where(eq(users.sourcedId, ids[rng.int(ids.length)] as string));
  return u && u.status === "active" ? u : null;
}

function serialOf(username: string): string {
  return /(\d+)$/.exec(username)?.[1] ?? "0";
}

async function nameChange(run: Run, rng: Rng, f: Faker): Promise<boolean> {
  const u = await pickActiveUser(run, rng, ["student", "parent", "guardian", "teacher"]);
  if (!u) {
    return false;
  }
  const familyName = f.person.lastName();
  const username = `${slug(u.givenName)}.${slug(familyName)}${serialOf(u.username)}`;
  const domain = u.email?.split("@")[1] ?? run.stream.domain;
  const stamp = pendingStamp(run);
  await run.tx
    .update(users)
    .set({ familyName, username, email: `${username}@${domain}`, dateLastModified: stamp })
    .where(eq(users.sourcedId, u.sourcedId));
  touch(run, "users", 1);
  return true;
}

async function emailChange(run: Run, rng: Rng, f: Faker): Promise<boolean> {
  const u = await pickActiveUser(run, rng, ["parent", "guardian", "teacher", "administrator"]);
  if (!u) {
    return false;
  }
  const family = u.role === "parent" || u.role === "guardian";
  const email = family
    ? `${u.username}@${slug(f.word.noun())}.example.net`
    : `${u.username}.${run.state.day}@${run.stream.domain}`;
  const stamp = pendingStamp(run);
  await run.tx.update(users).set({ email, dateLastModified: stamp }).where(eq(users.sourcedId, u.sourcedId));
  touch(run, "users", 1);
  return true;
}

async function newGuardian(run: Run, rng: Rng, f: Faker): Promise<boolean> {
  const s = await pickActiveStudent(run, rng);
  if (!s) {
    return false;
  }
  const stamp = pendingStamp(run);
  const g = buildUser(run.stream, f, rng, () => stamp, {
    role: "guardian",
    orgIds: s.orgIds,
    sex: rng.chance(0.5) ? "female" : "male",
    awkward: false,
  });
  g.agentIds = [s.sourcedId];
  await insertRows(run, "users", [g]);
  await run.tx
    .update(users)
    .set({ agentIds: [...(s.agentIds ?? []), g.sourcedId], dateLastModified: stamp })
    .where(eq(users.sourcedId, s.sourcedId));
  touch(run, "users", 2);
  return true;
}

/** The grading period today falls in, and the scheduled classes of its term (both needed for a line item). */
async function gradableClasses(run: Run): Promise<{ gp: SessionNode; classIds: string[] } | null> {
  const gp = run.cal.gradingPeriods.find((p) => p.startDate <= run.date && run.date <= p.endDate);
  if (!gp?.parentId) {
    return null;
  }
  const term = gp.parentId;
  const classIds = await pool(run, `classes:${term}`, () =>
    run.tx
      .select({ id: classes.sourcedId })
      .from(classes)
      .where(
        and(
          eq(classes.classType, "scheduled"),
          eq(classes.status, "active"),
          sql`${classes.termIds} @> ARRAY[${term}]::text[]`,
        ),
      )
      .orderBy(asc(classes.sourcedId)),
  );
  return classIds.length > 0 ? { gp, classIds } : null;
}

/**
 * The category for a new line item: the seeded one the roll picked if it is still live, else the first live one.
 * Locked FOR SHARE until commit, so a client's concurrent DELETE cannot leave the new line item under a deleted
 * category. Null when clients have deleted every category.
 */
async function liveCategory(run: Run, picked: string): Promise<string | null> {
  const live = await pool(run, "categories:live", () =>
    run.tx
      .select({ id: categories.sourcedId })
      .from(categories)
      .where(eq(categories.deleted, false))
      .orderBy(asc(categories.sourcedId)),
  );
  for (const id of [picked, ...live.filter((x) => x !== picked)]) {
    const locked = await run.tx
      .select({ id: categories.sourcedId })
      .from(categories)
      .where(and(eq(categories.sourcedId, id), eq(categories.deleted, false)))
      .for("share");
    if (locked.length > 0) {
      return id;
    }
  }
  return null;
}

/** A result for every student actively enrolled in the class, most of them graded. */
async function resultsFor(run: Run, rng: Rng, lineItemId: string, classId: string, max: number): Promise<ResultRow[]> {
  const studentIds = await run.tx
    .select({ id: enrollments.userId })
    .from(enrollments)
    .where(and(eq(enrollments.classId, classId), eq(enrollments.role, "student"), eq(enrollments.status, "active")))
    .orderBy(asc(enrollments.userId));
  const statuses = ["submitted", "not submitted", "fully graded", "exempt"] as const;
  const stamp = pendingStamp(run);
  return studentIds.map((s) => {
    const scoreStatus = rng.pick(statuses);
    return {
      sourcedId: run.stream.ids.next("rsl"),
      status: "active",
      dateLastModified: stamp,
      metadata: null,
      lineItemId,
      studentId: s.id,
      scoreStatus,
      score: scoreStatus === "fully graded" ? Math.round(max * (0.6 + rng.next() * 0.4) * 10) / 10 : 0,
      scoreDate: run.date,
      comment: null,
      deleted: false,
    };
  });
}

/** A teacher posts an assignment in a class of the current term, and grades it. */
async function newLineItem(run: Run, rng: Rng): Promise<boolean> {
  const gradable = await gradableClasses(run);
  if (!gradable) {
    return false;
  }
  const { gp, classIds } = gradable;
  const classId = classIds[rng.int(classIds.length)] as string;
  const ci = rng.int(CATEGORIES.length);
  const cat = CATEGORIES[ci] ?? { title: "Homework", max: 10 };
  const due = addDays(run.date, rng.range(0, 4));
  const categoryIdNow = await liveCategory(run, categoryId(ci));
  if (!categoryIdNow) {
    return false;
  }
  const [li] = await insertFresh(run, "lineItems", "li", [
    {
      sourcedId: run.stream.ids.next("li"),
      status: "active",
      dateLastModified: pendingStamp(run),
      metadata: null,
      title: `${cat.title} (${run.date})`,
      description: null,
      assignDate: new Date(`${run.date}T08:00:00.000Z`),
      dueDate: new Date(`${due > gp.endDate ? gp.endDate : due}T20:00:00.000Z`),
      classId,
      categoryId: categoryIdNow,
      gradingPeriodId: gp.sourcedId,
      resultValueMin: 0,
      resultValueMax: cat.max,
      deleted: false,
    },
  ]);
  touch(run, "lineItems", 1);
  const rows = await insertFresh(
    run,
    "results",
    "rsl",
    await resultsFor(run, rng, li?.sourcedId ?? "", classId, cat.max),
  );
  touch(run, "results", rows.length);
  return true;
}
