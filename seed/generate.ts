// generateDistrict(options): a deterministic stream of provider rows for one district, school by school, so
// memory stays flat as the preset grows. Same (seed, size, as-of, locale, counts) → the same rows. seed/ only.
import type { Faker } from "@faker-js/faker";
import {
  addDays,
  allSessions,
  buildSchoolYear,
  type IsoDate,
  type SchoolYearCalendar,
  schoolYearEndingFor,
} from "./calendar.js";
import { type GeneratorOptions, type LocaleName, resolveCounts } from "./generator-options.js";
import { createFaker, districtDomain, districtName, personName, schoolName, usernameFor } from "./people.js";
import type { DistrictCounts } from "./presets.js";
import { createRng, hashString, type Rng } from "./random.js";
import type {
  CategoryRow,
  DemographicsRow,
  EdgeCaseCounts,
  GeneratedItem,
  LineItemRow,
  OrgRow,
  ResourceRow,
  ResultRow,
  SessionRow,
  UserRow,
} from "./rows.js";
import { IdAllocator, LEVEL_GRADES, type Level, type ScheduledClass, scheduleSchool } from "./schedule.js";

const DAY_MS = 86_400_000;

export interface SchoolPlan {
  index: number;
  sourcedId: string;
  code: string;
  level: Level;
  /** Students per grade of the school's level. */
  studentsPerGrade: number[];
}

export interface DistrictPlan {
  options: GeneratorOptions;
  counts: DistrictCounts;
  asOf: Date;
  asOfDate: IsoDate;
  cal: SchoolYearCalendar;
  districtId: string;
  schools: SchoolPlan[];
}

export const DISTRICT_ID = "org-d000";

export function schoolId(index: number): string {
  return `org-s${String(index + 1).padStart(3, "0")}`;
}

/** Schools, levels and student counts per grade; cheap, so the loader can size its progress bar. */
export function planDistrict(options: GeneratorOptions): DistrictPlan {
  const counts = resolveCounts(options);
  const asOf = new Date(options.asOf);
  const asOfDate = options.asOf.slice(0, 10);
  const cal = buildSchoolYear(schoolYearEndingFor(asOfDate));
  const levels: Level[] = [
    ...Array<Level>(counts.elementarySchools).fill("elementary"),
    ...Array<Level>(counts.middleSchools).fill("middle"),
    ...Array<Level>(counts.highSchools).fill("high"),
  ];
  const cohorts = levels.reduce((n, l) => n + LEVEL_GRADES[l].length, 0);
  const base = cohorts > 0 ? Math.floor(counts.students / cohorts) : 0;
  let remainder = cohorts > 0 ? counts.students - base * cohorts : 0;
  const schools = levels.map((level, index) => ({
    index,
    sourcedId: schoolId(index),
    code: `S${String(index + 1).padStart(3, "0")}`,
    level,
    studentsPerGrade: LEVEL_GRADES[level].map(() => {
      const extra = remainder > 0 ? 1 : 0;
      remainder -= extra;
      return base + extra;
    }),
  }));
  return { options, counts, asOf, asOfDate, cal, districtId: DISTRICT_ID, schools };
}

export const CATEGORIES: { title: string; max: number }[] = [
  { title: "Homework", max: 10 },
  { title: "Quizzes", max: 20 },
  { title: "Tests", max: 100 },
  { title: "Projects", max: 50 },
  { title: "Participation", max: 5 },
];

export function categoryId(i: number): string {
  return `cat-${String(i + 1).padStart(2, "0")}`;
}

const SUBJECTS_FOR_RESOURCES = [
  "Mathematics",
  "English Language Arts",
  "Science",
  "Social Studies",
  "World Languages",
  "Computer Science",
  "Fine and Performing Arts",
  "Health Education",
];

export function resourceId(i: number): string {
  return `res-${String(i + 1).padStart(4, "0")}`;
}

/** The resource a course of `subject` points at, or null when the catalogue is empty. */
export function resourceForSubject(counts: DistrictCounts, subject: string): string | null {
  if (counts.resources === 0 || subject === "Homeroom") {
    return null;
  }
  return resourceId(hashString(subject) % counts.resources);
}

const COUNTRY: Record<LocaleName, string> = { en_US: "US", nb_NO: "NO", sv_SE: "SE", nl: "NL", da: "DK", fi: "FI" };

/** A shared context per stream: ids, user serials, the stamp source. */
export interface StreamContext {
  plan: DistrictPlan;
  ids: IdAllocator;
  serial: { n: number };
  domain: string;
  edges: EdgeCaseCounts | null;
}

/** Seeded records are last modified at some moment in the two weeks before the as-of date. */
export function seededStamp(asOf: Date, rng: Rng): () => Date {
  return () => new Date(asOf.getTime() - rng.int(14 * DAY_MS));
}

export interface NewUser {
  role: UserRow["role"];
  orgIds: string[];
  sex: "male" | "female";
  awkward: boolean;
  familyName?: string;
  grade?: string;
  status?: string;
}

/** Builds one user row with a district-unique username and email. */
export function buildUser(ctx: StreamContext, f: Faker, rng: Rng, stamp: () => Date, u: NewUser): UserRow {
  ctx.serial.n++;
  const serial = ctx.serial.n;
  const name = personName(f, rng, u.sex, u.awkward, u.familyName);
  const username = usernameFor(name.givenName, name.familyName, serial);
  const isStudent = u.role === "student";
  const isFamily = u.role === "parent" || u.role === "guardian" || u.role === "relative";
  const identifier = `${isStudent ? "S" : isFamily ? "P" : "E"}${String(100000 + serial)}`;
  const phone = isFamily || rng.chance(0.2) ? f.phone.number() : null;
  return {
    sourcedId: ctx.ids.next("usr"),
    status: u.status ?? "active",
    dateLastModified: stamp(),
    metadata: null,
    username,
    userIds: [{ type: "SIS", identifier }],
    enabledUser: (u.status ?? "active") === "active",
    givenName: name.givenName,
    familyName: name.familyName,
    middleName: name.middleName,
    role: u.role,
    identifier,
    email: isStudent
      ? `${username}@students.${ctx.domain}`
      : isFamily
        ? `${username}@example.com`
        : `${username}@${ctx.domain}`,
    sms: isFamily && rng.chance(0.5) ? phone : null,
    phone,
    agentIds: null,
    orgIds: u.orgIds,
    grades: u.grade ? [u.grade] : null,
    password: null,
  };
}

export function buildDemographics(
  plan: DistrictPlan,
  f: Faker,
  rng: Rng,
  stamp: () => Date,
  user: UserRow,
  grade: string,
  sex: "male" | "female",
): DemographicsRow {
  const startYear = plan.cal.endYear - 1;
  const gradeNum = grade === "KG" ? 0 : Number(grade);
  const born = new Date(Date.UTC(startYear - 6 - gradeNum, 8, 1) + rng.int(365) * DAY_MS);
  const race = rng.int(100);
  const twoOrMore = race >= 92;
  const locale = plan.options.locale;
  const abroad = rng.chance(0.08);
  return {
    sourcedId: user.sourcedId,
    status: user.status,
    dateLastModified: stamp(),
    metadata: null,
    birthDate: born.toISOString().slice(0, 10),
    sex,
    americanIndianOrAlaskaNative: race < 2 || (twoOrMore && race % 2 === 0),
    asian: (race >= 2 && race < 8) || twoOrMore,
    blackOrAfricanAmerican: race >= 8 && race < 22,
    nativeHawaiianOrOtherPacificIslander: race >= 22 && race < 23,
    white: (race >= 23 && race < 92) || twoOrMore,
    demographicRaceTwoOrMoreRaces: twoOrMore,
    hispanicOrLatinoEthnicity: rng.chance(locale === "en_US" ? 0.25 : 0.04),
    countryOfBirthCode: abroad ? rng.pick(["MX", "PL", "SO", "UA", "SY", "IN", "PH"]) : COUNTRY[locale],
    stateOfBirthAbbreviation: !abroad && locale === "en_US" ? f.location.state({ abbreviated: true }) : null,
    cityOfBirth: f.location.city(),
    publicSchoolResidenceStatus: rng.chance(0.95) ? "01652" : "01653",
  };
}

const SCORE_STATUSES = ["fully graded", "partially graded", "submitted", "not submitted", "exempt"] as const;

/** LineItems with due dates inside their grading period, and results with a realistic mix of statuses. */
export function* gradebookFor(
  ctx: StreamContext,
  cal: SchoolYearCalendar,
  asOfDate: IsoDate,
  cls: ScheduledClass,
  count: number,
  rng: Rng,
  stamp: () => Date,
): Generator<GeneratedItem> {
  const terms = new Set(cls.termIds);
  const periods = cal.gradingPeriods.filter((gp) => gp.parentId !== null && terms.has(gp.parentId));
  const started = periods.filter((gp) => gp.startDate <= asOfDate);
  const usable = started.length > 0 ? started : periods.slice(0, 1);
  for (let i = 0; i < count; i++) {
    const gp = usable[i % usable.length];
    if (!gp) {
      return;
    }
    const span = Math.max(1, Math.round((Date.parse(gp.endDate) - Date.parse(gp.startDate)) / DAY_MS));
    const assign = addDays(gp.startDate, rng.int(Math.max(1, span - 1)));
    const dueRaw = addDays(assign, rng.range(1, 6));
    const due = dueRaw > gp.endDate ? gp.endDate : dueRaw;
    const ci = rng.int(CATEGORIES.length);
    const cat = CATEGORIES[ci] ?? { title: "Homework", max: 10 };
    const li: LineItemRow = {
      sourcedId: ctx.ids.next("li"),
      status: "active",
      dateLastModified: stamp(),
      metadata: null,
      title: `${cat.title.replace(/zes$|s$/, "")} ${i + 1}`,
      description: rng.chance(0.5) ? `${cat.title} for ${gp.title}` : null,
      assignDate: new Date(`${assign}T08:00:00.000Z`),
      dueDate: new Date(`${due}T20:00:00.000Z`),
      classId: cls.sourcedId,
      categoryId: categoryId(ci),
      gradingPeriodId: gp.sourcedId,
      resultValueMin: 0,
      resultValueMax: cat.max,
      deleted: false,
    };
    yield { table: "lineItems", row: li };
    if (assign > asOfDate) {
      continue;
    }
    const dueDone = due <= asOfDate;
    for (const studentId of cls.studentIds) {
      const roll = rng.int(100);
      const status = dueDone
        ? roll < 78
          ? SCORE_STATUSES[0]
          : roll < 84
            ? SCORE_STATUSES[1]
            : roll < 90
              ? SCORE_STATUSES[2]
              : roll < 96
                ? SCORE_STATUSES[3]
                : SCORE_STATUSES[4]
        : roll < 55
          ? SCORE_STATUSES[2]
          : roll < 90
            ? SCORE_STATUSES[3]
            : SCORE_STATUSES[1];
      const fraction = Math.min(1.1, Math.max(0.2, 0.8 + rng.normal() * 0.09));
      const score =
        status === "fully graded"
          ? Math.round(fraction * cat.max * 10) / 10
          : status === "partially graded"
            ? Math.round(fraction * cat.max * 5) / 10
            : 0;
      const r: ResultRow = {
        sourcedId: ctx.ids.next("rsl"),
        status: "active",
        dateLastModified: stamp(),
        metadata: null,
        lineItemId: li.sourcedId,
        studentId,
        scoreStatus: status,
        score,
        scoreDate: dueDone ? due : asOfDate,
        comment: rng.chance(0.1)
          ? rng.pick(["Great work!", "Late submission", "See me about this", "", "Well done – très bien"])
          : null,
        deleted: false,
      };
      yield { table: "results", row: r };
    }
  }
}

/** The district-level records: district and school orgs, the session tree, resources, categories, admins. */
function* districtRecords(ctx: StreamContext): Generator<GeneratedItem, UserRow[]> {
  const { plan } = ctx;
  const { options, counts } = plan;
  const f = createFaker(options.locale, hashString(`${options.seed}:district`));
  const rng = createRng(options.seed, "district");
  const stamp = seededStamp(plan.asOf, rng);
  const name = districtName(f, options.locale);
  ctx.domain = districtDomain(name);
  const district: OrgRow = {
    sourcedId: plan.districtId,
    status: "active",
    dateLastModified: stamp(),
    metadata: null,
    name,
    type: "district",
    identifier: String(1_000_000 + rng.int(8_000_000)),
    parentId: null,
  };
  yield { table: "orgs", row: district };
  for (const s of plan.schools) {
    const org: OrgRow = {
      sourcedId: s.sourcedId,
      status: "active",
      dateLastModified: stamp(),
      metadata: { classification: "public", gender: "mixed", boarding: false },
      name: schoolName(f, options.locale, s.level),
      type: "school",
      identifier: `${district.identifier}${String(s.index + 1).padStart(4, "0")}`,
      parentId: plan.districtId,
    };
    yield { table: "orgs", row: org };
  }
  for (const ses of allSessions(plan.cal)) {
    const row: SessionRow = {
      ...ses,
      status: "active",
      dateLastModified: stamp(),
      metadata: null,
      schoolYear: plan.cal.schoolYear,
    };
    yield { table: "academicSessions", row };
  }
  for (let i = 0; i < counts.resources; i++) {
    const subject = SUBJECTS_FOR_RESOURCES[i % SUBJECTS_FOR_RESOURCES.length] as string;
    const row: ResourceRow = {
      sourcedId: resourceId(i),
      status: "active",
      dateLastModified: stamp(),
      metadata: null,
      title: `${subject} ${rng.pick(["Digital Textbook", "Practice App", "Video Library", "Assessment Bank"])} ${Math.floor(i / SUBJECTS_FOR_RESOURCES.length) + 1}`,
      roles: rng.chance(0.7) ? ["student", "teacher"] : ["teacher"],
      importance: i % 3 === 0 ? "primary" : "secondary",
      vendorResourceId: `VR-${String(10000 + i)}`,
      vendorId: `vendor-${(i % 5) + 1}`,
      applicationId: `app-${(i % 7) + 1}`,
    };
    yield { table: "resources", row };
  }
  for (let i = 0; i < CATEGORIES.length; i++) {
    const row: CategoryRow = {
      sourcedId: categoryId(i),
      status: "active",
      dateLastModified: stamp(),
      metadata: null,
      title: CATEGORIES[i]?.title ?? "Category",
      deleted: false,
    };
    yield { table: "categories", row };
  }
  for (let i = 0; i < counts.districtAdministrators; i++) {
    const u = buildUser(ctx, f, rng, stamp, {
      role: "administrator",
      orgIds: [plan.districtId],
      sex: rng.chance(0.5) ? "female" : "male",
      awkward: false,
    });
    yield { table: "users", row: u };
  }
  const sharedTeachers = sharedTeachersFor(ctx);
  for (const t of sharedTeachers) {
    yield { table: "users", row: t };
  }
  return sharedTeachers;
}

/** Itinerant teachers who work in two schools (edge case), created before the schools that share them. */
function sharedTeachersFor(ctx: StreamContext): UserRow[] {
  const { plan } = ctx;
  const n = plan.schools.length;
  if (!ctx.edges || n < 2) {
    return [];
  }
  const f = createFaker(plan.options.locale, hashString(`${plan.options.seed}:shared`));
  const rng = createRng(plan.options.seed, "shared");
  const stamp = seededStamp(plan.asOf, rng);
  const count = Math.max(1, Math.floor(n / 4));
  const out: UserRow[] = [];
  for (let k = 0; k < count; k++) {
    const a = plan.schools[(2 * k) % n] as SchoolPlan;
    const b = plan.schools[(2 * k + 1) % n] as SchoolPlan;
    out.push(
      buildUser(ctx, f, rng, stamp, {
        role: "teacher",
        orgIds: [a.sourcedId, b.sourcedId],
        sex: rng.chance(0.5) ? "female" : "male",
        awkward: false,
      }),
    );
    ctx.edges.usersInTwoSchools++;
  }
  return out;
}

interface Family {
  guardians: UserRow[];
  children: string[];
}

/** One school: staff, students, families, the schedule and the gradebook. */
function* schoolRecords(ctx: StreamContext, school: SchoolPlan, shared: UserRow[]): Generator<GeneratedItem> {
  const { plan } = ctx;
  const { options, counts } = plan;
  const edges = ctx.edges;
  const f = createFaker(options.locale, hashString(`${options.seed}:school:${school.index}`));
  const rng = createRng(options.seed, "school", school.index);
  const stamp = seededStamp(plan.asOf, rng);
  const grades = LEVEL_GRADES[school.level];
  const sex = () => (rng.chance(0.5) ? "female" : "male") as "female" | "male";

  const staff: UserRow[] = [];
  const newStaff = (role: UserRow["role"], awkward = false): UserRow => {
    const u = buildUser(ctx, f, rng, stamp, { role, orgIds: [school.sourcedId], sex: sex(), awkward });
    staff.push(u);
    return u;
  };
  const teacherBySlot = new Map<string, string>();
  const teachers: string[] = [];
  const teacher = (pool: string, slot: number): string => {
    if (pool === "advisory") {
      if (teachers.length === 0) {
        teachers.push(newStaff("teacher").sourcedId);
      }
      return teachers[slot % teachers.length] as string;
    }
    const key = `${pool}#${slot}`;
    let id = teacherBySlot.get(key);
    if (!id) {
      id = newStaff("teacher", edges !== null && teachers.length === 2).sourcedId;
      if (edges && teachers.length === 2) {
        edges.awkwardNames++;
      }
      teacherBySlot.set(key, id);
      teachers.push(id);
    }
    return id;
  };
  for (let i = 0; i < counts.administratorsPerSchool; i++) {
    newStaff("administrator");
  }
  const aides: string[] = [];
  for (let i = 0; i < counts.aidesPerSchool; i++) {
    aides.push(newStaff("aide").sourcedId);
  }
  let proctor: string | null = null;
  if (edges) {
    proctor = newStaff("proctor").sourcedId;
    edges.unknownRoles++;
  }

  // Students, grade by grade, with families (siblings share guardians across grades).
  const students: UserRow[] = [];
  const demographics: DemographicsRow[] = [];
  const families: Family[] = [];
  const familyOf = new Map<string, Family>();
  const studentsByGrade: string[][] = [];
  let withdrawn: UserRow | null = null;
  let unenrolled: UserRow | null = null;
  grades.forEach((grade, gi) => {
    const ids: string[] = [];
    const n = school.studentsPerGrade[gi] ?? 0;
    const extra = edges && gi === 0 ? 1 : 0;
    for (let j = 0; j < n + extra; j++) {
      const awkward = edges !== null && j % 17 === 3;
      let family: Family | undefined;
      if (gi > 0 && families.length > 0 && rng.chance(0.12)) {
        family = families[rng.int(families.length)];
      }
      const isWithdrawn = edges !== null && gi === grades.length - 1 && j === 0;
      const s = sex();
      const u = buildUser(ctx, f, rng, stamp, {
        role: "student",
        orgIds: [school.sourcedId],
        sex: s,
        awkward,
        familyName: family?.guardians[0]?.familyName,
        grade,
        status: isWithdrawn ? "tobedeleted" : "active",
      });
      if (edges && awkward) {
        edges.awkwardNames++;
      }
      students.push(u);
      demographics.push(buildDemographics(plan, f, rng, stamp, u, grade, s));
      if (!family) {
        family = { guardians: [], children: [] };
        const twoParents = rng.chance(0.7);
        for (let p = 0; p < (twoParents ? 2 : 1); p++) {
          const roll = rng.int(100);
          const role: UserRow["role"] = roll < 85 ? "parent" : roll < 96 || !edges ? "guardian" : "relative";
          const g = buildUser(ctx, f, rng, stamp, {
            role,
            orgIds: [school.sourcedId],
            sex: p === 0 ? "female" : "male",
            awkward: false,
            familyName: p === 0 || rng.chance(0.6) ? u.familyName : undefined,
          });
          if (edges && role === "relative") {
            edges.unknownRoles++;
          }
          family.guardians.push(g);
        }
        families.push(family);
      }
      family.children.push(u.sourcedId);
      familyOf.set(u.sourcedId, family);
      if (isWithdrawn) {
        withdrawn = u;
        if (edges) {
          edges.tobedeleted += 2;
        }
      } else if (extra && j === n) {
        unenrolled = u;
        if (edges) {
          edges.usersWithoutEnrollment++;
        }
      } else {
        ids.push(u.sourcedId);
      }
    }
    studentsByGrade.push(ids);
  });
  for (const s of students) {
    const fam = familyOf.get(s.sourcedId);
    s.agentIds = fam ? fam.guardians.map((g) => g.sourcedId) : null;
  }
  for (const fam of families) {
    for (const g of fam.guardians) {
      g.agentIds = [...fam.children];
    }
  }

  const schedule = scheduleSchool({
    school,
    cal: plan.cal,
    studentsByGrade,
    classSize: counts.classSize,
    sectionsPerTeacher: counts.sectionsPerTeacher,
    teacher,
    aides,
    proctor,
    resourceFor: (subject) => resourceForSubject(counts, subject),
    stamp,
    ids: ctx.ids,
    rng,
    asOfDate: plan.asOfDate,
    edges,
  });
  if (edges) {
    // An instructional coach: a teacher with no class at all.
    newStaff("teacher");
    edges.usersWithoutEnrollment++;
  }
  const firstScheduled = schedule.scheduled.find((c) => !c.homeroom && !c.cancelled);
  for (const t of shared) {
    if (firstScheduled && t.orgIds.includes(school.sourcedId)) {
      schedule.enrollments.push({
        sourcedId: ctx.ids.next("enr"),
        status: "active",
        dateLastModified: stamp(),
        metadata: null,
        userId: t.sourcedId,
        classId: firstScheduled.sourcedId,
        schoolId: school.sourcedId,
        role: "teacher",
        primary: false,
        beginDate: null,
        endDate: null,
      });
    }
  }
  const w = withdrawn as UserRow | null;
  const homeroom = schedule.scheduled.filter((c) => c.homeroom).at(-1);
  if (w && homeroom) {
    schedule.enrollments.push({
      sourcedId: ctx.ids.next("enr"),
      status: "tobedeleted",
      dateLastModified: stamp(),
      metadata: null,
      userId: w.sourcedId,
      classId: homeroom.sourcedId,
      schoolId: school.sourcedId,
      role: "student",
      primary: null,
      beginDate: plan.cal.year.startDate,
      endDate:
        addDays(plan.asOfDate, -2) < plan.cal.year.startDate ? plan.cal.year.startDate : addDays(plan.asOfDate, -2),
    });
    if (edges) {
      edges.tobedeleted++;
    }
  }
  void unenrolled;

  for (const row of schedule.courses) {
    yield { table: "courses", row };
  }
  for (const row of schedule.classes) {
    yield { table: "classes", row };
  }
  for (const row of staff) {
    yield { table: "users", row };
  }
  for (const row of students) {
    yield { table: "users", row };
  }
  for (const fam of families) {
    for (const row of fam.guardians) {
      yield { table: "users", row };
    }
  }
  for (const row of demographics) {
    yield { table: "demographics", row };
  }
  for (const row of schedule.enrollments) {
    yield { table: "enrollments", row };
  }
  const gbRng = createRng(options.seed, "gradebook", school.index);
  for (const cls of schedule.scheduled) {
    if (cls.homeroom || cls.cancelled || gbRng.next() >= counts.gradebookDensity) {
      continue;
    }
    yield* gradebookFor(ctx, plan.cal, plan.asOfDate, cls, counts.lineItemsPerClass, gbRng, stamp);
  }
}

/** The whole district as a stream of rows, with a progress marker after the header and each school. */
export function* generateDistrict(options: GeneratorOptions, edges: EdgeCaseCounts | null): Generator<GeneratedItem> {
  const plan = planDistrict(options);
  const ctx: StreamContext = {
    plan,
    ids: new IdAllocator(),
    serial: { n: 0 },
    domain: "district.k12.example.org",
    edges: options.clean ? null : edges,
  };
  const total = plan.schools.length + 1;
  const shared = yield* districtRecords(ctx);
  yield { progress: { done: 1, total, label: "district" } };
  for (const school of plan.schools) {
    yield* schoolRecords(ctx, school, shared);
    yield { progress: { done: school.index + 2, total, label: school.sourcedId } };
  }
}
