// The simulated school calendar: a school year (ending year Y) as a session tree school year → two
// semesters → four terms (quarters) → eight grading periods, with real weekday dates. Pure; seed/ only.

export type IsoDate = string;

export interface SessionNode {
  sourcedId: string;
  title: string;
  type: "schoolYear" | "semester" | "term" | "gradingPeriod";
  startDate: IsoDate;
  endDate: IsoDate;
  parentId: string | null;
}

export interface SchoolYearCalendar {
  /** The year the school year ends in, as a string (notes §2.1: 2026-27 → "2027"). */
  schoolYear: string;
  endYear: number;
  year: SessionNode;
  semesters: SessionNode[];
  terms: SessionNode[];
  gradingPeriods: SessionNode[];
}

const DAY_MS = 86_400_000;

export function toDate(iso: IsoDate): Date {
  return new Date(`${iso}T00:00:00.000Z`);
}

export function isoDate(d: Date): IsoDate {
  return d.toISOString().slice(0, 10);
}

export function addDays(iso: IsoDate, days: number): IsoDate {
  return isoDate(new Date(toDate(iso).getTime() + days * DAY_MS));
}

export function daysBetween(from: IsoDate, to: IsoDate): number {
  return Math.round((toDate(to).getTime() - toDate(from).getTime()) / DAY_MS);
}

export function isWeekday(iso: IsoDate): boolean {
  const wd = toDate(iso).getUTCDay();
  return wd >= 1 && wd <= 5;
}

/** The first date on or after `iso` that falls on `weekday` (0 Sunday … 6 Saturday). */
function onOrAfter(iso: IsoDate, weekday: number): IsoDate {
  const wd = toDate(iso).getUTCDay();
  return addDays(iso, (weekday - wd + 7) % 7);
}

/** School years turn over on 1 July: a date before then belongs to the year ending that calendar year. */
export function schoolYearEndingFor(iso: IsoDate): number {
  const d = toDate(iso);
  const y = d.getUTCFullYear();
  return d.getUTCMonth() >= 6 ? y + 1 : y;
}

/** First day of the school year ending in `endYear` that no longer belongs to it (1 July). */
export function yearBoundary(endYear: number): IsoDate {
  return `${endYear}-07-01`;
}

function split(start: IsoDate, end: IsoDate): [IsoDate, IsoDate, IsoDate, IsoDate] {
  const mid = addDays(start, Math.floor(daysBetween(start, end) / 2));
  const secondStart = onOrAfter(mid, 1);
  return [start, addDays(secondStart, -3), secondStart, end];
}

/** Builds the session tree of the school year ending in `endYear`. */
export function buildSchoolYear(endYear: number): SchoolYearCalendar {
  const startYear = endYear - 1;
  const first = onOrAfter(`${startYear}-08-20`, 1);
  const last = onOrAfter(`${endYear}-06-08`, 5);
  const springStart = onOrAfter(`${endYear}-01-15`, 1);
  const fallEnd = addDays(springStart, -3);
  const id = (suffix: string) => `ses-${endYear}-${suffix}`;
  const sy = String(endYear);
  const year: SessionNode = {
    sourcedId: id("sy"),
    title: `${startYear}-${endYear}`,
    type: "schoolYear",
    startDate: first,
    endDate: last,
    parentId: null,
  };
  const semesters: SessionNode[] = [
    {
      sourcedId: id("s1"),
      title: `Fall ${startYear}`,
      type: "semester",
      startDate: first,
      endDate: fallEnd,
      parentId: year.sourcedId,
    },
    {
      sourcedId: id("s2"),
      title: `Spring ${endYear}`,
      type: "semester",
      startDate: springStart,
      endDate: last,
      parentId: year.sourcedId,
    },
  ];
  const terms: SessionNode[] = [];
  const gradingPeriods: SessionNode[] = [];
  semesters.forEach((sem, si) => {
    const [aStart, aEnd, bStart, bEnd] = split(sem.startDate, sem.endDate);
    [
      [aStart, aEnd],
      [bStart, bEnd],
    ].forEach(([ts, te], ti) => {
      const q = si * 2 + ti + 1;
      const term: SessionNode = {
        sourcedId: id(`t${q}`),
        title: `Quarter ${q} ${startYear}-${endYear}`,
        type: "term",
        startDate: ts as IsoDate,
        endDate: te as IsoDate,
        parentId: sem.sourcedId,
      };
      terms.push(term);
      const [gaS, gaE, gbS, gbE] = split(term.startDate, term.endDate);
      gradingPeriods.push(
        {
          sourcedId: id(`gp${q * 2 - 1}`),
          title: `Q${q} Progress ${startYear}-${endYear}`,
          type: "gradingPeriod",
          startDate: gaS,
          endDate: gaE,
          parentId: term.sourcedId,
        },
        {
          sourcedId: id(`gp${q * 2}`),
          title: `Q${q} Final ${startYear}-${endYear}`,
          type: "gradingPeriod",
          startDate: gbS,
          endDate: gbE,
          parentId: term.sourcedId,
        },
      );
    });
  });
  return { schoolYear: sy, endYear, year, semesters, terms, gradingPeriods };
}

export function allSessions(cal: SchoolYearCalendar): SessionNode[] {
  return [cal.year, ...cal.semesters, ...cal.terms, ...cal.gradingPeriods];
}

export function isSchoolDay(cal: SchoolYearCalendar, iso: IsoDate): boolean {
  return isWeekday(iso) && iso >= cal.year.startDate && iso <= cal.year.endDate;
}
