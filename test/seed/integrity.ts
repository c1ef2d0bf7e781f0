// integrityProblems(district): every reference of a seeded district resolves and every subset rule holds; returns
// human-readable problems (empty when sound). Used by test/seed/*.test.ts only.
import { LEVEL_GRADES } from "../../seed/schedule.js";
import type { District } from "./inspect.js";

const URL_SAFE = /^[A-Za-z0-9._~-]+$/;
const PARENT_TYPE: Record<string, string | null> = {
  schoolYear: null,
  semester: "schoolYear",
  term: "semester",
  gradingPeriod: "term",
};

export function integrityProblems(d: District, options: { reciprocalAgents?: boolean } = {}): string[] {
  const problems: string[] = [];
  const bad = (msg: string) => {
    if (problems.length < 50) {
      problems.push(msg);
    }
  };
  const byId = <T extends { sourcedId: string }>(rows: T[]) => new Map(rows.map((r) => [r.sourcedId, r]));
  const orgs = byId(d.orgs);
  const sessions = byId(d.academicSessions);
  const resources = byId(d.resources);
  const courses = byId(d.courses);
  const classes = byId(d.classes);
  const users = byId(d.users);
  const categories = byId(d.categories);
  const lineItems = byId(d.lineItems);

  for (const [table, rows] of Object.entries(d)) {
    for (const r of rows as { sourcedId: string; status: string; dateLastModified: Date }[]) {
      if (!URL_SAFE.test(r.sourcedId)) {
        bad(`${table}/${r.sourcedId}: sourcedId is not URL-safe`);
      }
      if (r.status !== "active" && r.status !== "tobedeleted") {
        bad(`${table}/${r.sourcedId}: status ${r.status}`);
      }
      if (!(r.dateLastModified instanceof Date)) {
        bad(`${table}/${r.sourcedId}: dateLastModified missing`);
      }
    }
  }
  const districts = d.orgs.filter((o) => o.type === "district");
  if (districts.length !== 1) {
    bad(`expected one district, found ${districts.length}`);
  }
  for (const o of d.orgs) {
    if (o.type === "school" && orgs.get(o.parentId ?? "")?.type !== "district") {
      bad(`orgs/${o.sourcedId}: school parent ${o.parentId} is not the district`);
    }
  }
  for (const s of d.academicSessions) {
    const want = PARENT_TYPE[s.type];
    const parent = s.parentId ? sessions.get(s.parentId) : undefined;
    if (want === undefined) {
      bad(`academicSessions/${s.sourcedId}: type ${s.type}`);
    } else if (want === null ? s.parentId !== null : parent?.type !== want) {
      bad(`academicSessions/${s.sourcedId}: ${s.type} has parent ${s.parentId} (${parent?.type})`);
    }
    if (parent && (s.startDate < parent.startDate || s.endDate > parent.endDate)) {
      bad(`academicSessions/${s.sourcedId}: dates outside its parent`);
    }
    if (s.startDate > s.endDate || !/^\d{4}$/.test(s.schoolYear)) {
      bad(`academicSessions/${s.sourcedId}: bad dates or schoolYear`);
    }
  }
  for (const c of d.courses) {
    if (orgs.get(c.orgId)?.type !== "school") {
      bad(`courses/${c.sourcedId}: org ${c.orgId} is not a school`);
    }
    if (c.schoolYearId && sessions.get(c.schoolYearId)?.type !== "schoolYear") {
      bad(`courses/${c.sourcedId}: schoolYear ${c.schoolYearId} unresolved`);
    }
    for (const r of c.resourceIds ?? []) {
      if (!resources.has(r)) {
        bad(`courses/${c.sourcedId}: resource ${r} unresolved`);
      }
    }
  }
  for (const c of d.classes) {
    const course = courses.get(c.courseId);
    if (!course) {
      bad(`classes/${c.sourcedId}: course ${c.courseId} unresolved`);
    } else if (course.orgId !== c.schoolId) {
      bad(`classes/${c.sourcedId}: school differs from its course's org`);
    }
    if (orgs.get(c.schoolId)?.type !== "school") {
      bad(`classes/${c.sourcedId}: school ${c.schoolId} is not a school`);
    }
    if (c.termIds.length === 0 || c.termIds.some((t) => sessions.get(t)?.type !== "term")) {
      bad(`classes/${c.sourcedId}: terms ${c.termIds.join(",")} are not all terms`);
    }
    if (c.classType !== "homeroom" && c.classType !== "scheduled") {
      bad(`classes/${c.sourcedId}: classType ${c.classType}`);
    }
    for (const r of c.resourceIds ?? []) {
      if (!resources.has(r)) {
        bad(`classes/${c.sourcedId}: resource ${r} unresolved`);
      }
    }
  }
  const usernames = new Set<string>();
  const emails = new Set<string>();
  for (const u of d.users) {
    if (usernames.has(u.username)) {
      bad(`users/${u.sourcedId}: username ${u.username} not unique`);
    }
    usernames.add(u.username);
    if (u.email) {
      if (emails.has(u.email)) {
        bad(`users/${u.sourcedId}: email ${u.email} not unique`);
      }
      emails.add(u.email);
    }
    if (u.orgIds.length === 0 || u.orgIds.some((o) => !orgs.has(o))) {
      bad(`users/${u.sourcedId}: orgs ${u.orgIds.join(",")} unresolved`);
    }
    for (const a of u.agentIds ?? []) {
      const agent = users.get(a);
      if (!agent) {
        bad(`users/${u.sourcedId}: agent ${a} unresolved`);
      } else if (options.reciprocalAgents !== false && !(agent.agentIds ?? []).includes(u.sourcedId)) {
        bad(`users/${u.sourcedId}: agent ${a} does not link back`);
      }
    }
    if (u.role === "student" && u.status === "active") {
      const school = u.orgIds[0] ?? "";
      const grade = u.grades?.[0];
      const schoolGrades = new Set(d.classes.filter((c) => c.schoolId === school).flatMap((c) => c.grades ?? []));
      if (!grade || !schoolGrades.has(grade)) {
        bad(`users/${u.sourcedId}: grade ${grade} is not taught at ${school}`);
      }
      const level = Object.values(LEVEL_GRADES).find((g) => g.includes(grade ?? ""));
      if (!level) {
        bad(`users/${u.sourcedId}: grade ${grade} unknown`);
      }
    }
  }
  for (const dem of d.demographics) {
    if (users.get(dem.sourcedId)?.role !== "student") {
      bad(`demographics/${dem.sourcedId}: not a student's sourcedId`);
    }
  }
  const enrolled = new Set<string>();
  for (const e of d.enrollments) {
    const u = users.get(e.userId);
    const c = classes.get(e.classId);
    if (!u || !c) {
      bad(`enrollments/${e.sourcedId}: user or class unresolved`);
      continue;
    }
    if (c.schoolId !== e.schoolId) {
      bad(`enrollments/${e.sourcedId}: school differs from the class's school`);
    }
    if ((e.role === "student" || e.role === "teacher") && u.role !== e.role) {
      bad(`enrollments/${e.sourcedId}: role ${e.role} for a ${u.role}`);
    }
    if (e.role === "student" && e.status === "active" && !u.orgIds.includes(e.schoolId)) {
      bad(`enrollments/${e.sourcedId}: student not in the enrolment's school`);
    }
    if (e.beginDate && e.endDate && e.beginDate > e.endDate) {
      bad(`enrollments/${e.sourcedId}: begins after it ends`);
    }
    enrolled.add(`${e.userId}|${e.classId}`);
  }
  for (const li of d.lineItems) {
    const c = classes.get(li.classId);
    const gp = sessions.get(li.gradingPeriodId ?? "");
    if (!c) {
      bad(`lineItems/${li.sourcedId}: class unresolved`);
    }
    if (!categories.has(li.categoryId ?? "")) {
      bad(`lineItems/${li.sourcedId}: category unresolved`);
    }
    if (!gp || gp.type !== "gradingPeriod") {
      bad(`lineItems/${li.sourcedId}: grading period unresolved`);
      continue;
    }
    if (c && !c.termIds.includes(gp.parentId ?? "")) {
      bad(`lineItems/${li.sourcedId}: grading period outside the class's terms`);
    }
    const assign = li.assignDate.toISOString().slice(0, 10);
    const due = li.dueDate.toISOString().slice(0, 10);
    if (due < gp.startDate || due > gp.endDate || assign < gp.startDate || assign > due) {
      bad(`lineItems/${li.sourcedId}: assign ${assign} / due ${due} outside ${gp.startDate}..${gp.endDate}`);
    }
  }
  for (const r of d.results) {
    const li = lineItems.get(r.lineItemId);
    const s = users.get(r.studentId);
    if (!li || !s) {
      bad(`results/${r.sourcedId}: lineItem or student unresolved`);
      continue;
    }
    if (s.role !== "student") {
      bad(`results/${r.sourcedId}: student is a ${s.role}`);
    }
    if (!enrolled.has(`${r.studentId}|${li.classId}`)) {
      bad(`results/${r.sourcedId}: student never enrolled in the lineItem's class`);
    }
  }
  return problems;
}
