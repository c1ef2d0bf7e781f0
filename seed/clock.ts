// The district clock: advance(days) moves the simulated calendar forward, applying each school day's churn
// (deterministic from seed and day) and the school-year rollover, all in one transaction. Every change is
// stamped with the injected wall clock, strictly later than any stamp before it, and the advance's stamps are moved
// to its end just before commit so no delta read can slip between them. Implements DistrictClockPort.

import type { Faker } from "@faker-js/faker";
import { and, asc, eq, inArray, max, ne, sql } from "drizzle-orm";
import type { DbHandle } from "../server/db/client.js";
import {
  academicSessions,
  classes,
  courses,
  dataTables,
  demographics,
  enrollments,
  orgs,
  users,
} from "../server/db/schema.js";
import {
  addDays,
  allSessions,
  buildSchoolYear,
  type IsoDate,
  isSchoolDay,
  type SchoolYearCalendar,
  yearBoundary,
} from "./calendar.js";
import { type ClockState, readClockState, writeClockState } from "./clock-state.js";
import {
  buildDemographics,
  buildUser,
  CATEGORIES,
  categoryId,
  planDistrict,
  resourceForSubject,
  type StreamContext,
} from "./generate.js";
import { insertRows, type LoadTarget, loadTarget } from "./load.js";
import { createFaker, districtDomain, slug } from "./people.js";
import { createRng, hashString, type Rng } from "./random.js";
import { TABLE_NAMES, type TableName, type UserRow } from "./rows.js";
import { IdAllocator, LEVEL_GRADES, type Level, levelOfGrade, nextGrade, scheduleSchool } from "./schedule.js";

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

export type AdvanceSummary = {
  fromDate: IsoDate;
  toDate: IsoDate;
  days: number;
  schoolDays: number;
  day: number;
  schoolYear: string;
  rollovers: number;
  events: Record<ChurnEvent, number>;
  changed: Record<TableName, number>;
  /** dateLastModified of the first and last change of this advance (null when nothing changed). */
  firstStamp: string | null;
  lastStamp: string | null;
};

export type ClockStatus = {
  seeded: boolean;
  simDate?: IsoDate;
  day?: number;
  schoolYear?: string;
  lastStamp?: string;
  churnRate?: number;
  seed?: number;
  size?: string;
};

export class ClockError extends Error {
  constructor(
    readonly code: "NOT_SEEDED" | "BAD_DAYS",
    message: string,
  ) {
    super(message);
    this.name = "ClockError";
  }
}

export interface WallClock {
  now(): Date;
}

/** Per-advance working context. */
interface Run extends LoadTarget {
  state: ClockState;
  stream: StreamContext;
  cal: SchoolYearCalendar;
  date: IsoDate;
  last: number;
  first: number | null;
  wall: WallClock;
  changed: Record<TableName, number>;
  events: Record<ChurnEvent, number>;
  /** Candidate ids, read once per simulated day (sampling by OFFSET per event is far too slow at scale). */
  pools: Map<string, string[]>;
}

/** A day's candidate list, loaded on first use, ordered by sourcedId so picks are reproducible. */
async function pool(run: Run, key: string, load: () => Promise<{ id: string }[]>): Promise<string[]> {
  let ids = run.pools.get(key);
  if (!ids) {
    ids = (await load()).map((r) => r.id);
    run.pools.set(key, ids);
  }
  return ids;
}

function activeUserIds(run: Run, roles: string[]): Promise<string[]> {
  return pool(run, `users:${roles.join(",")}`, () =>
    run.tx
      .select({ id: users.sourcedId })
      .from(users)
      .where(and(inArray(users.role, roles), eq(users.status, "active")))
      .orderBy(asc(users.sourcedId)),
  );
}

function currentStudentEnrollmentIds(run: Run): Promise<string[]> {
  return pool(run, "enrollments:student", () =>
    run.tx
      .select({ id: enrollments.sourcedId })
      .from(enrollments)
      .where(
        and(
          eq(enrollments.role, "student"),
          eq(enrollments.status, "active"),
          sql`(${enrollments.endDate} IS NULL OR ${enrollments.endDate} >= ${run.date}::date)`,
        ),
      )
      .orderBy(asc(enrollments.sourcedId)),
  );
}

/** A stamp strictly later than every earlier one: the wall clock, or the last stamp + 1 ms if it has not moved on. */
function nextStamp(run: Run): Date {
  const t = Math.max(run.wall.now().getTime(), run.last + 1);
  run.last = t;
  run.first ??= t;
  return new Date(t);
}

/**
 * Moves every stamp of this advance forward so the first lands at the end of the advance, keeping their order.
 * Without it a change applied at second 1 of a long advance but committed at second 7 would carry a stamp older
 * than a delta read made in between, and that consumer's next `dateLastModified>` run would never see it. The
 * rows stamped in this advance are exactly those at or after its first stamp: everything earlier is older.
 */
async function restampAtEnd(run: Run): Promise<void> {
  if (run.first === null) {
    return;
  }
  const end = Math.max(run.wall.now().getTime(), run.last + 1);
  const shift = end - run.first;
  const first = new Date(run.first).toISOString();
  for (const t of TABLE_NAMES) {
    const table = dataTables[t];
    await run.tx
      .update(table)
      .set({ dateLastModified: sql`${table.dateLastModified} + make_interval(secs => ${shift / 1000})` })
      .where(sql`${table.dateLastModified} >= ${first}::timestamptz`);
  }
  run.first = end;
  run.last += shift;
}

function touch(run: Run, table: TableName, n: number): void {
  run.changed[table] += n;
}

const MAX_YEAR_STEPS = 3660;

export interface DistrictClock {
  advance(days: number, options?: { churnRate?: number }): Promise<AdvanceSummary>;
  status(): Promise<ClockStatus>;
}

/** The district clock over one database; `wall` stamps the changes (inject a fixed clock in tests). */
export function createDistrictClock(
  handle: Pick<DbHandle, "db" | "driver" | "copyFrom">,
  wall: WallClock = { now: () => new Date() },
): DistrictClock {
  return {
    async status() {
      const state = await handle.db.transaction((tx) => readClockState(tx, false));
      if (!state) {
        return { seeded: false };
      }
      return {
        seeded: true,
        simDate: state.simDate,
        day: state.day,
        schoolYear: String(state.schoolYearEnd),
        lastStamp: state.lastStamp,
        churnRate: state.churnRate,
        seed: state.generator.seed,
        size: state.generator.size,
      };
    },
    async advance(days, options = {}) {
      if (!Number.isInteger(days) || days < 1 || days > MAX_YEAR_STEPS) {
        throw new ClockError("BAD_DAYS", `days must be a whole number from 1 to ${MAX_YEAR_STEPS}`);
      }
      return handle.db.transaction(async (tx) => {
        const state = await readClockState(tx, true);
        if (!state) {
          throw new ClockError("NOT_SEEDED", "the database holds no seeded district (run `rosterlab seed` first)");
        }
        if (options.churnRate !== undefined) {
          state.churnRate = options.churnRate;
        }
        const plan = planDistrict(state.generator);
        const [district] = await tx
          .select({ name: orgs.name })
          .from(orgs)
          .where(eq(orgs.type, "district"))
          .orderBy(asc(orgs.sourcedId))
          .limit(1);
        let last = Date.parse(state.lastStamp);
        for (const t of TABLE_NAMES) {
          const [row] = await tx.select({ m: max(dataTables[t].dateLastModified) }).from(dataTables[t]);
          if (row?.m) {
            last = Math.max(last, new Date(row.m).getTime());
          }
        }
        const run: Run = {
          ...loadTarget(handle, tx),
          state,
          stream: {
            plan,
            ids: new IdAllocator(),
            serial: { n: 0 },
            domain: districtDomain(district?.name ?? "district"),
            edges: null,
          },
          cal: buildSchoolYear(state.schoolYearEnd),
          date: state.simDate,
          last,
          first: null,
          wall,
          changed: Object.fromEntries(TABLE_NAMES.map((t) => [t, 0])) as Record<TableName, number>,
          events: Object.fromEntries(CHURN_EVENTS.map((e) => [e, 0])) as Record<ChurnEvent, number>,
          pools: new Map(),
        };
        const fromDate = state.simDate;
        let schoolDays = 0;
        let rollovers = 0;
        for (let i = 0; i < days; i++) {
          run.date = addDays(run.date, 1);
          state.day++;
          if (run.date >= yearBoundary(state.schoolYearEnd)) {
            await rollover(run);
            rollovers++;
          }
          if (isSchoolDay(run.cal, run.date)) {
            schoolDays++;
            await churnDay(run);
          }
        }
        await restampAtEnd(run);
        state.simDate = run.date;
        state.lastStamp = new Date(run.last).toISOString();
        await writeClockState(tx, state);
        return {
          fromDate,
          toDate: run.date,
          days,
          schoolDays,
          day: state.day,
          schoolYear: String(state.schoolYearEnd),
          rollovers,
          events: run.events,
          changed: run.changed,
          firstStamp: run.first === null ? null : new Date(run.first).toISOString(),
          lastStamp: run.first === null ? null : new Date(run.last).toISOString(),
        };
      });
    },
  };
}

// ---- churn -------------------------------------------------------------------------------------------

async function churnDay(run: Run): Promise<void> {
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
  const stamp = nextStamp(run);
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
  const stamp = nextStamp(run);
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
  const stamp = nextStamp(run);
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
    const stamp = nextStamp(run);
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
  const stamp = nextStamp(run);
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
  const stamp = nextStamp(run);
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
  const stamp = nextStamp(run);
  await run.tx.update(users).set({ email, dateLastModified: stamp }).where(eq(users.sourcedId, u.sourcedId));
  touch(run, "users", 1);
  return true;
}

async function newGuardian(run: Run, rng: Rng, f: Faker): Promise<boolean> {
  const s = await pickActiveStudent(run, rng);
  if (!s) {
    return false;
  }
  const stamp = nextStamp(run);
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

async function newLineItem(run: Run, rng: Rng): Promise<boolean> {
  const gp = run.cal.gradingPeriods.find((p) => p.startDate <= run.date && run.date <= p.endDate);
  if (!gp?.parentId) {
    return false;
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
  if (classIds.length === 0) {
    return false;
  }
  const cls = { id: classIds[rng.int(classIds.length)] as string };
  const stamp = nextStamp(run);
  const ci = rng.int(CATEGORIES.length);
  const cat = CATEGORIES[ci] ?? { title: "Homework", max: 10 };
  const due = addDays(run.date, rng.range(0, 4));
  const li = {
    sourcedId: run.stream.ids.next("li"),
    status: "active",
    dateLastModified: stamp,
    metadata: null,
    title: `${cat.title} (${run.date})`,
    description: null,
    assignDate: new Date(`${run.date}T08:00:00.000Z`),
    dueDate: new Date(`${due > gp.endDate ? gp.endDate : due}T20:00:00.000Z`),
    classId: cls.id,
    categoryId: categoryId(ci),
    gradingPeriodId: gp.sourcedId,
    resultValueMin: 0,
    resultValueMax: cat.max,
    deleted: false,
  };
  await insertRows(run, "lineItems", [li]);
  touch(run, "lineItems", 1);
  const studentIds = await run.tx
    .select({ id: enrollments.userId })
    .from(enrollments)
    .where(and(eq(enrollments.classId, cls.id), eq(enrollments.role, "student"), eq(enrollments.status, "active")))
    .orderBy(asc(enrollments.userId));
  const statuses = ["submitted", "not submitted", "fully graded", "exempt"] as const;
  const rows = studentIds.map((s) => {
    const scoreStatus = rng.pick(statuses);
    return {
      sourcedId: run.stream.ids.next("rsl"),
      status: "active",
      dateLastModified: stamp,
      metadata: null,
      lineItemId: li.sourcedId,
      studentId: s.id,
      scoreStatus,
      score: scoreStatus === "fully graded" ? Math.round(cat.max * (0.6 + rng.next() * 0.4) * 10) / 10 : 0,
      scoreDate: run.date,
      comment: null,
      deleted: false,
    };
  });
  await insertRows(run, "results", rows);
  touch(run, "results", rows.length);
  return true;
}

// ---- rollover ----------------------------------------------------------------------------------------

/**
 * The school-year boundary: a new session tree, courses and classes; last year's courses, classes and
 * enrolments tombstoned; students promoted (into the feeder school of the next level) and graduates leaving.
 */
async function rollover(run: Run): Promise<void> {
  const { tx, state } = run;
  const oldCal = run.cal;
  const newEnd = state.schoolYearEnd + 1;
  const cal = buildSchoolYear(newEnd);
  const stamp = nextStamp(run);
  const stampFn = () => stamp;
  const rng = createRng(state.generator.seed, "rollover", newEnd);
  run.stream.ids = new IdAllocator(`y${newEnd}-`);

  const existing = await tx
    .select({ id: academicSessions.sourcedId })
    .from(academicSessions)
    .where(eq(academicSessions.sourcedId, cal.year.sourcedId));
  if (existing.length === 0) {
    const sessions = allSessions(cal).map((s) => ({
      ...s,
      status: "active",
      dateLastModified: stamp,
      metadata: null,
      schoolYear: cal.schoolYear,
    }));
    await insertRows(run, "academicSessions", sessions);
    touch(run, "academicSessions", sessions.length);
  }
  const oldTerms = oldCal.terms.map((t) => t.sourcedId);
  const oldClasses = await tx
    .update(classes)
    .set({ status: "tobedeleted", dateLastModified: stamp })
    .where(
      and(
        eq(classes.status, "active"),
        sql`${classes.termIds} && ARRAY[${sql.join(
          oldTerms.map((t) => sql`${t}`),
          sql`, `,
        )}]::text[]`,
      ),
    )
    .returning({ id: classes.sourcedId });
  touch(run, "classes", oldClasses.length);
  const oldCourses = await tx
    .update(courses)
    .set({ status: "tobedeleted", dateLastModified: stamp })
    .where(and(eq(courses.status, "active"), eq(courses.schoolYearId, oldCal.year.sourcedId)))
    .returning({ id: courses.sourcedId });
  touch(run, "courses", oldCourses.length);
  const oldEnrollments = await tx
    .update(enrollments)
    .set({ status: "tobedeleted", dateLastModified: stamp })
    .where(
      and(
        eq(enrollments.status, "active"),
        inArray(
          enrollments.classId,
          tx
            .select({ id: classes.sourcedId })
            .from(classes)
            .where(
              sql`${classes.termIds} && ARRAY[${sql.join(
                oldTerms.map((t) => sql`${t}`),
                sql`, `,
              )}]::text[]`,
            ),
        ),
      ),
    )
    .returning({ id: enrollments.sourcedId });
  touch(run, "enrollments", oldEnrollments.length);

  // Promotion, highest grade first so nobody is promoted twice; level changes go to the feeder school.
  const plan = run.stream.plan;
  const levelOf = new Map<string, Level>(plan.schools.map((x) => [x.sourcedId, x.level]));
  const byLevel: Record<Level, string[]> = { elementary: [], middle: [], high: [] };
  for (const x of plan.schools) {
    byLevel[x.level].push(x.sourcedId);
  }
  const allGrades = [...LEVEL_GRADES.elementary, ...LEVEL_GRADES.middle, ...LEVEL_GRADES.high].reverse();
  for (const grade of allGrades) {
    const next = nextGrade(grade);
    if (next === null) {
      const grads = await tx
        .update(users)
        .set({ status: "tobedeleted", enabledUser: false, dateLastModified: stamp })
        .where(
          and(eq(users.role, "student"), eq(users.status, "active"), sql`${users.grades} = ARRAY[${grade}]::text[]`),
        )
        .returning({ id: users.sourcedId });
      touch(run, "users", grads.length);
      if (grads.length > 0) {
        const d = await tx
          .update(demographics)
          .set({ status: "tobedeleted", dateLastModified: stamp })
          .where(
            inArray(
              demographics.sourcedId,
              grads.map((g) => g.id),
            ),
          )
          .returning({ id: demographics.sourcedId });
        touch(run, "demographics", d.length);
      }
      continue;
    }
    const fromLevel = levelOfGrade(grade);
    const toLevel = levelOfGrade(next);
    for (const schoolId of byLevel[fromLevel]) {
      const idx = byLevel[fromLevel].indexOf(schoolId);
      const target = fromLevel === toLevel ? schoolId : byLevel[toLevel][idx % Math.max(1, byLevel[toLevel].length)];
      const where = and(
        eq(users.role, "student"),
        eq(users.status, "active"),
        sql`${users.grades} = ARRAY[${grade}]::text[]`,
        sql`${users.orgIds} = ARRAY[${schoolId}]::text[]`,
      );
      const moved = target
        ? await tx
            .update(users)
            .set({ grades: [next], orgIds: [target], dateLastModified: stamp })
            .where(where)
            .returning({ id: users.sourcedId, agents: users.agentIds })
        : await tx
            .update(users)
            .set({ status: "tobedeleted", enabledUser: false, dateLastModified: stamp })
            .where(where)
            .returning({ id: users.sourcedId, agents: users.agentIds });
      touch(run, "users", moved.length);
      // Parents and guardians follow a child promoted into another school, as they do on a transfer.
      const guardians = [...new Set(moved.flatMap((m) => m.agents ?? []))];
      if (target && target !== schoolId && guardians.length > 0) {
        const followed = await tx
          .update(users)
          .set({
            orgIds: sql`array_append(array_remove(${users.orgIds}, ${target}), ${target})`,
            dateLastModified: stamp,
          })
          .where(
            and(
              inArray(users.sourcedId, guardians),
              eq(users.status, "active"),
              sql`not (${target} = any(${users.orgIds}))`,
            ),
          )
          .returning({ id: users.sourcedId });
        touch(run, "users", followed.length);
      }
    }
  }

  // A new kindergarten cohort at every elementary school, each child with a parent (agents both ways).
  run.stream.serial.n = 1_000_000_000 + newEnd * 100_000;
  const kf = createFaker(state.generator.locale, hashString(`${state.generator.seed}:kindergarten:${newEnd}`));
  for (const school of plan.schools.filter((x) => x.level === "elementary")) {
    const newUsers: UserRow[] = [];
    const newDemo = [];
    const extended = { ...plan, cal };
    for (let i = 0; i < (school.studentsPerGrade[0] ?? 0); i++) {
      const sex = rng.chance(0.5) ? "female" : "male";
      const child = buildUser(run.stream, kf, rng, stampFn, {
        role: "student",
        orgIds: [school.sourcedId],
        sex,
        awkward: false,
        grade: "KG",
      });
      const parent = buildUser(run.stream, kf, rng, stampFn, {
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

  // The new year's schedule for every school, taught by the school's current staff.
  const counts = plan.counts;
  for (const school of plan.schools) {
    const level = levelOf.get(school.sourcedId) ?? school.level;
    const studentsByGrade: string[][] = [];
    for (const grade of LEVEL_GRADES[level]) {
      const rows = await tx
        .select({ id: users.sourcedId })
        .from(users)
        .where(
          and(
            eq(users.role, "student"),
            eq(users.status, "active"),
            sql`${users.grades} = ARRAY[${grade}]::text[]`,
            sql`${users.orgIds} @> ARRAY[${school.sourcedId}]::text[]`,
          ),
        )
        .orderBy(asc(users.sourcedId));
      studentsByGrade.push(rows.map((r) => r.id));
    }
    const staff = await tx
      .select({ id: users.sourcedId, role: users.role })
      .from(users)
      .where(
        and(
          inArray(users.role, ["teacher", "aide"]),
          eq(users.status, "active"),
          sql`${users.orgIds} @> ARRAY[${school.sourcedId}]::text[]`,
        ),
      )
      .orderBy(asc(users.sourcedId));
    const teachers = staff.filter((s) => s.role === "teacher").map((s) => s.id);
    const aides = staff.filter((s) => s.role === "aide").map((s) => s.id);
    if (teachers.length === 0) {
      const f = createFaker(
        state.generator.locale,
        hashString(`${state.generator.seed}:rollover:${newEnd}:${school.sourcedId}`),
      );
      const hire = buildUser(run.stream, f, rng, stampFn, {
        role: "teacher",
        orgIds: [school.sourcedId],
        sex: "female",
        awkward: false,
      });
      await insertRows(run, "users", [hire]);
      touch(run, "users", 1);
      teachers.push(hire.sourcedId);
    }
    const out = scheduleSchool({
      school: { sourcedId: school.sourcedId, level, code: school.code },
      cal,
      studentsByGrade,
      classSize: counts.classSize,
      sectionsPerTeacher: counts.sectionsPerTeacher,
      teacher: (pool, slot) =>
        pool === "advisory"
          ? (teachers[slot % teachers.length] as string)
          : (teachers[hashString(`${pool}#${slot}`) % teachers.length] as string),
      aides,
      proctor: null,
      resourceFor: (subject) => resourceForSubject(counts, subject),
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
  state.schoolYearEnd = newEnd;
  run.cal = cal;
}
