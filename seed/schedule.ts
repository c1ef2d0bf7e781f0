// One school's year of teaching: the course catalogue per level and grade, sections (classes) with periods,
// rooms and terms, and the teacher, co-teacher, aide and student enrolments. Used by the generator and by
// the district clock's rollover. seed/ only.
import { addDays, type IsoDate, type SchoolYearCalendar } from "./calendar.js";
import type { Rng } from "./random.js";
import type { ClassRow, CourseRow, EdgeCaseCounts, EnrollmentRow } from "./rows.js";

export type Level = "elementary" | "middle" | "high";

export const LEVEL_GRADES: Record<Level, string[]> = {
  elementary: ["KG", "01", "02", "03", "04", "05"],
  middle: ["06", "07", "08"],
  high: ["09", "10", "11", "12"],
};

/** The next grade, or null after grade 12 (graduation). */
export function nextGrade(grade: string): string | null {
  if (grade === "KG") {
    return "01";
  }
  const n = Number(grade);
  return n >= 12 ? null : String(n + 1).padStart(2, "0");
}

export function levelOfGrade(grade: string): Level {
  if (LEVEL_GRADES.elementary.includes(grade)) {
    return "elementary";
  }
  return LEVEL_GRADES.middle.includes(grade) ? "middle" : "high";
}

type Span = "year" | "s1" | "s2";

interface CourseDef {
  subject: string;
  name: string;
  code: string;
  /** SCED-like subject code (US practice, notes §2.5). */
  sced: string;
  span: Span;
  /** Teacher pool: one teacher per homeroom section, a few specialists, or a department. */
  pool: "homeroom" | "specialist" | "dept" | "advisory";
  homeroom: boolean;
}

const ELEMENTARY: CourseDef[] = [
  { subject: "Homeroom", name: "Homeroom", code: "HR", sced: "22001", span: "year", pool: "homeroom", homeroom: true },
  {
    subject: "Mathematics",
    name: "Mathematics",
    code: "MATH",
    sced: "02001",
    span: "year",
    pool: "homeroom",
    homeroom: false,
  },
  {
    subject: "English Language Arts",
    name: "Reading and Writing",
    code: "ELA",
    sced: "01001",
    span: "year",
    pool: "homeroom",
    homeroom: false,
  },
  {
    subject: "Fine and Performing Arts",
    name: "Art and Music",
    code: "ARTS",
    sced: "05001",
    span: "year",
    pool: "specialist",
    homeroom: false,
  },
];

const MIDDLE: CourseDef[] = [
  { subject: "Homeroom", name: "Advisory", code: "ADV", sced: "22001", span: "year", pool: "advisory", homeroom: true },
  {
    subject: "Mathematics",
    name: "Mathematics",
    code: "MATH",
    sced: "02052",
    span: "year",
    pool: "dept",
    homeroom: false,
  },
  {
    subject: "English Language Arts",
    name: "English",
    code: "ENG",
    sced: "01051",
    span: "year",
    pool: "dept",
    homeroom: false,
  },
  { subject: "Science", name: "Science", code: "SCI", sced: "03151", span: "year", pool: "dept", homeroom: false },
  {
    subject: "Social Studies",
    name: "Social Studies",
    code: "SOC",
    sced: "04051",
    span: "year",
    pool: "dept",
    homeroom: false,
  },
  {
    subject: "Physical Education",
    name: "Physical Education",
    code: "PE",
    sced: "08051",
    span: "year",
    pool: "dept",
    homeroom: false,
  },
  {
    subject: "World Languages",
    name: "Spanish",
    code: "SPAN",
    sced: "06101",
    span: "year",
    pool: "dept",
    homeroom: false,
  },
];

const HIGH: CourseDef[] = [
  { subject: "Homeroom", name: "Advisory", code: "ADV", sced: "22001", span: "year", pool: "advisory", homeroom: true },
  {
    subject: "Mathematics",
    name: "Mathematics",
    code: "MATH",
    sced: "02072",
    span: "year",
    pool: "dept",
    homeroom: false,
  },
  {
    subject: "English Language Arts",
    name: "English",
    code: "ENG",
    sced: "01001",
    span: "year",
    pool: "dept",
    homeroom: false,
  },
  { subject: "Science", name: "Science", code: "SCI", sced: "03001", span: "year", pool: "dept", homeroom: false },
  {
    subject: "Social Studies",
    name: "History",
    code: "HIST",
    sced: "04101",
    span: "year",
    pool: "dept",
    homeroom: false,
  },
  {
    subject: "Physical Education",
    name: "Physical Education",
    code: "PE",
    sced: "08001",
    span: "year",
    pool: "dept",
    homeroom: false,
  },
  {
    subject: "Health Education",
    name: "Health",
    code: "HLTH",
    sced: "08051",
    span: "s1",
    pool: "dept",
    homeroom: false,
  },
  {
    subject: "Computer Science",
    name: "Computer Science",
    code: "CS",
    sced: "10011",
    span: "s2",
    pool: "dept",
    homeroom: false,
  },
];

export const CATALOGUE: Record<Level, CourseDef[]> = { elementary: ELEMENTARY, middle: MIDDLE, high: HIGH };

const LONG_SUFFIX = " - Honors Integrated Project-Based Learning Laboratory and Studio";
/** Every character a Brightspace org-unit code must replace (product brief), in one code. */
export const SPECIAL_CODE_CHARS = `\\:?"<>|'#,%&`;

/** The enrollment role of the aide edge case: an `ext:` extension token, not a v1p1 enrollment role (notes §2.1, §2.8). */
export const AIDE_ENROLLMENT_ROLE = "ext:aide";

/** Allocates readable sequential sourcedIds within a namespace (`crs-0000042`, `cls-y2028-0000007`). */
export class IdAllocator {
  private readonly counters = new Map<string, number>();
  constructor(private readonly ns: string = "") {}
  next(kind: string): string {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return `${kind}-${this.ns}${String(n).padStart(7, "0")}`;
  }
}

export interface ScheduleInput {
  school: { sourcedId: string; level: Level; code: string };
  cal: SchoolYearCalendar;
  /** Active students per grade of the school's level, in a stable order. */
  studentsByGrade: string[][];
  classSize: number;
  sectionsPerTeacher: number;
  /** The teacher for slot `slot` of a pool; `advisory` asks for any existing teacher of the school. */
  teacher(pool: string, slot: number): string;
  aides: string[];
  proctor: string | null;
  resourceFor(subject: string): string | null;
  stamp(): Date;
  ids: IdAllocator;
  rng: Rng;
  asOfDate: IsoDate;
  /** Deliberate edge cases (only at seed time). */
  edges: EdgeCaseCounts | null;
}

export interface ScheduledClass {
  sourcedId: string;
  schoolId: string;
  termIds: string[];
  homeroom: boolean;
  cancelled: boolean;
  /** Students currently enrolled (enrolment not ended, not tombstoned). */
  studentIds: string[];
}

export interface ScheduleOutput {
  courses: CourseRow[];
  classes: ClassRow[];
  enrollments: EnrollmentRow[];
  scheduled: ScheduledClass[];
}

function termsFor(cal: SchoolYearCalendar, span: Span): string[] {
  const t = cal.terms.map((x) => x.sourcedId);
  return span === "year" ? t : span === "s1" ? t.slice(0, 2) : t.slice(2, 4);
}

function spanDates(cal: SchoolYearCalendar, span: Span): [IsoDate, IsoDate] {
  const [s1, s2] = cal.semesters;
  if (!s1 || !s2) {
    throw new Error("calendar without semesters");
  }
  return span === "year"
    ? [cal.year.startDate, cal.year.endDate]
    : span === "s1"
      ? [s1.startDate, s1.endDate]
      : [s2.startDate, s2.endDate];
}

/** Builds courses, classes and enrolments of one school for one school year. */
export function scheduleSchool(input: ScheduleInput): ScheduleOutput {
  const { school, cal, ids, edges } = input;
  const grades = LEVEL_GRADES[school.level];
  const catalogue = CATALOGUE[school.level];
  const out: ScheduleOutput = { courses: [], classes: [], enrollments: [], scheduled: [] };
  const poolCounters = new Map<string, number>();
  let classCounter = 0;
  let lastScheduled: { cls: ClassRow; enrollmentsFrom: number } | null = null;
  let coTeacherSlot = 0;
  let aideEnrolled = false;
  const endedOn = addDays(input.asOfDate, -1);

  const enroll = (
    row: Omit<EnrollmentRow, "sourcedId" | "status" | "dateLastModified" | "schoolId">,
    status = "active",
  ): EnrollmentRow => {
    const e: EnrollmentRow = {
      sourcedId: ids.next("enr"),
      status,
      dateLastModified: input.stamp(),
      metadata: null,
      schoolId: school.sourcedId,
      ...row,
    };
    out.enrollments.push(e);
    if (edges && e.beginDate && e.endDate) {
      edges.datedEnrollments++;
      if (e.endDate < input.asOfDate) {
        edges.endedEnrollments++;
      }
    }
    if (edges && status === "tobedeleted") {
      edges.tobedeleted++;
    }
    return e;
  };

  grades.forEach((grade, gi) => {
    const students = input.studentsByGrade[gi] ?? [];
    const sections = Math.max(1, Math.ceil(students.length / input.classSize));
    catalogue.forEach((def, ci) => {
      const isLong = edges !== null && gi === grades.length - 1 && ci === 1;
      const isSpecial = edges !== null && gi === 0 && ci === 2;
      const gradeLabel = grade === "KG" ? "Kindergarten" : `Grade ${Number(grade)}`;
      const baseCode = `${def.code}-${grade}`;
      const courseCode = isSpecial ? `${def.code}\\${grade}:A?"B"<C>|'D#1,%&` : baseCode;
      const courseTitle = `${def.name} ${gradeLabel}${isLong ? LONG_SUFFIX : ""}${isSpecial ? ` "Core" <A|B> 50% & more, it's #1?` : ""}`;
      const resource = input.resourceFor(def.subject);
      const course: CourseRow = {
        sourcedId: ids.next("crs"),
        status: "active",
        dateLastModified: input.stamp(),
        metadata: null,
        title: courseTitle,
        schoolYearId: cal.year.sourcedId,
        courseCode,
        grades: [grade],
        subjects: [def.subject],
        orgId: school.sourcedId,
        subjectCodes: [def.sced],
        resourceIds: resource ? [resource] : null,
      };
      out.courses.push(course);
      if (edges && isLong) {
        edges.longTitlesOrCodes++;
      }
      if (edges && isSpecial) {
        edges.specialCharacterCodes++;
      }
      const termIds = termsFor(cal, def.span);
      const [beginDate, endDate] = spanDates(cal, def.span);
      // Elementary classes keep their homeroom group; secondary students are mixed per course.
      const offset = school.level === "elementary" ? 0 : ci;
      const sectionStudents: string[][] = Array.from({ length: sections }, () => []);
      students.forEach((s, j) => {
        sectionStudents[(j + offset) % sections]?.push(s);
      });
      const sectionIds: string[] = [];
      for (let sec = 0; sec < sections; sec++) {
        classCounter++;
        const secLabel = String(sec + 1).padStart(2, "0");
        const classCode = isLong
          ? `${baseCode}-${secLabel}-HONORS-INTEGRATED-PROJECT-BASED-LEARNING-LAB-STUDIO`
          : isSpecial
            ? `${courseCode}-${secLabel}`
            : `${school.code}-${baseCode}-${secLabel}`;
        const period = def.homeroom ? "HR" : String(school.level === "elementary" ? ci : ((ci + sec) % 7) + 1);
        const cls: ClassRow = {
          sourcedId: ids.next("cls"),
          status: "active",
          dateLastModified: input.stamp(),
          metadata: null,
          title: `${courseTitle} - Section ${secLabel}`,
          classCode,
          classType: def.homeroom ? "homeroom" : "scheduled",
          location: `Room ${100 * (1 + (classCounter % 3)) + ((classCounter * 7) % 40)}`,
          grades: [grade],
          subjects: [def.subject],
          courseId: course.sourcedId,
          schoolId: school.sourcedId,
          termIds,
          subjectCodes: [def.sced],
          periods: [period],
          resourceIds: resource && classCounter % 3 === 0 ? [resource] : null,
        };
        out.classes.push(cls);
        sectionIds.push(cls.sourcedId);
        if (edges && isLong) {
          edges.longTitlesOrCodes++;
        }
        if (edges && isSpecial) {
          edges.specialCharacterCodes++;
        }
        const enrollmentsFrom = out.enrollments.length;
        // Teachers.
        const poolKey =
          def.pool === "homeroom" ? `hr-${gi}-${sec}` : def.pool === "dept" ? `dept-${def.code}` : def.pool;
        const n = poolCounters.get(poolKey) ?? 0;
        poolCounters.set(poolKey, n + 1);
        const perTeacher =
          def.pool === "specialist"
            ? input.sectionsPerTeacher * 4
            : def.pool === "homeroom"
              ? 1
              : input.sectionsPerTeacher;
        const teacherId =
          def.pool === "advisory" ? input.teacher("advisory", n) : input.teacher(poolKey, Math.floor(n / perTeacher));
        enroll({
          userId: teacherId,
          classId: cls.sourcedId,
          role: "teacher",
          primary: true,
          beginDate: null,
          endDate: null,
        });
        if (!def.homeroom && classCounter % 23 === 4) {
          coTeacherSlot++;
          const co = input.teacher("advisory", coTeacherSlot * 7 + 3);
          if (co !== teacherId) {
            enroll({
              userId: co,
              classId: cls.sourcedId,
              role: "teacher",
              primary: false,
              beginDate: null,
              endDate: null,
            });
            if (edges) {
              edges.coTaughtClasses++;
            }
          }
        }
        // v1p1 enrollment roles are administrator, proctor, student and teacher (notes §2.8): an aide in a class is
        // an extension, so it appears only as a deliberate edge case (gone under --clean), once per school, in the
        // `ext:` form the spec allows for extended vocabularies (notes §2.1).
        if (edges && def.homeroom && input.aides.length > 0 && !aideEnrolled) {
          aideEnrolled = true;
          enroll({
            userId: input.aides[0] as string,
            classId: cls.sourcedId,
            role: AIDE_ENROLLMENT_ROLE,
            primary: false,
            beginDate: null,
            endDate: null,
          });
          edges.unknownRoles++;
        }
        if (edges && input.proctor && gi === grades.length - 1 && ci === 1 && sec === 0) {
          enroll({
            userId: input.proctor,
            classId: cls.sourcedId,
            role: "proctor",
            primary: false,
            beginDate: null,
            endDate: null,
          });
        }
        const current: string[] = [];
        for (const s of sectionStudents[sec] ?? []) {
          enroll({ userId: s, classId: cls.sourcedId, role: "student", primary: null, beginDate, endDate });
          current.push(s);
        }
        out.scheduled.push({
          sourcedId: cls.sourcedId,
          schoolId: school.sourcedId,
          termIds,
          homeroom: def.homeroom,
          cancelled: false,
          studentIds: current,
        });
        if (!def.homeroom) {
          lastScheduled = { cls, enrollmentsFrom };
        }
      }
      // Edge case: two students changed section before the as-of date; their first enrolment ended.
      if (edges && gi === 0 && ci === 1 && sections >= 2 && beginDate < endedOn && input.asOfDate < endDate) {
        const moving = (sectionStudents[0] ?? []).slice(0, 2);
        for (const s of moving) {
          const from = out.scheduled.find((c) => c.sourcedId === sectionIds[0]);
          const to = out.scheduled.find((c) => c.sourcedId === sectionIds[1]);
          const original = out.enrollments.find((e) => e.userId === s && e.classId === sectionIds[0]);
          if (!from || !to || !original) {
            continue;
          }
          original.endDate = endedOn;
          edges.endedEnrollments++;
          from.studentIds = from.studentIds.filter((x) => x !== s);
          enroll({
            userId: s,
            classId: to.sourcedId,
            role: "student",
            primary: null,
            beginDate: input.asOfDate,
            endDate,
          });
          to.studentIds.push(s);
        }
      }
      // Edge case: a cancelled section, already tombstoned with its teacher enrolment.
      if (edges && gi === 0 && ci === 1) {
        const cls: ClassRow = {
          sourcedId: ids.next("cls"),
          status: "tobedeleted",
          dateLastModified: input.stamp(),
          metadata: null,
          title: `${courseTitle} - Section ${String(sections + 1).padStart(2, "0")} (cancelled)`,
          classCode: `${school.code}-${baseCode}-${String(sections + 1).padStart(2, "0")}`,
          classType: "scheduled",
          location: null,
          grades: [grade],
          subjects: [def.subject],
          courseId: course.sourcedId,
          schoolId: school.sourcedId,
          termIds,
          subjectCodes: [def.sced],
          periods: ["8"],
          resourceIds: null,
        };
        out.classes.push(cls);
        edges.tobedeleted++;
        enroll(
          {
            userId: input.teacher("advisory", 0),
            classId: cls.sourcedId,
            role: "teacher",
            primary: true,
            beginDate: null,
            endDate: null,
          },
          "tobedeleted",
        );
        out.scheduled.push({
          sourcedId: cls.sourcedId,
          schoolId: school.sourcedId,
          termIds,
          homeroom: false,
          cancelled: true,
          studentIds: [],
        });
      }
    });
  });
  // Edge case: one scheduled class with no teacher at all (its teacher enrolments are removed).
  if (edges && lastScheduled) {
    const { cls } = lastScheduled as { cls: ClassRow; enrollmentsFrom: number };
    const before = out.enrollments.length;
    out.enrollments = out.enrollments.filter((e) => !(e.classId === cls.sourcedId && e.role === "teacher"));
    if (out.enrollments.length < before) {
      edges.classesWithoutTeacher++;
    }
  }
  return out;
}
