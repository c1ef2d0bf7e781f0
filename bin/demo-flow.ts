// The demo's story against a running provider and an LMS store: a full sync, teachers grading, an on-demand export,
// school days of district churn with nightly delta syncs and grade exports, a mass-withdrawal day held by the safety
// filter and approved, and what reached the SIS read back from it. Provider and consumer meet only over HTTP here.
import { and, count, isNotNull, isNull } from "drizzle-orm";
import type { Connection, SyncSettings } from "../consumer/config.js";
import { refreshCategories } from "../consumer/grades/categories.js";
import {
  type CourseExportResult,
  exportCourseGrades,
  runScheduledGradeExport,
  type ScheduledExportReport,
} from "../consumer/grades/export.js";
import { type SimulationSummary, simulateTeachers } from "../consumer/grades/simulate.js";
import { approveBatch, runSync, type SyncEvent, type SyncReport } from "../consumer/run.js";
import { heldCounts } from "../consumer/safety.js";
import type { LmsStore } from "../consumer/store/open.js";
import { gradeExportState } from "../consumer/store/schema.js";
import { type ClientOptions, OneRosterClient } from "../oneroster/client/index.js";

export interface DemoProvider extends Connection {
  /** http://host:port, where /admin lives. */
  origin: string;
  adminToken: string;
}

export interface DemoOptions {
  provider: DemoProvider;
  store: LmsStore;
  settings: SyncSettings;
  seed: number;
  /** School days of churn before the mass-withdrawal day. */
  days: number;
  /** Courses the simulated teachers keep gradebooks in. */
  courses: number;
  now?: () => Date;
  /** Extra client options (tests pass small retry delays). */
  client?: Partial<ClientOptions>;
  onEvent?: (event: DemoEvent) => void;
  /** Progress of a sync run while it happens (the CLI shows the full sync's collections); none when undefined. */
  syncProgress?: (label: string) => { onEvent: (e: SyncEvent) => void; stop: () => void } | undefined;
}

export type DemoEvent =
  | { type: "step"; title: string }
  | { type: "district"; district: DemoReport["district"] }
  | { type: "sync"; label: string; report: SyncReport }
  | { type: "teachers"; summary: SimulationSummary }
  | { type: "export"; label: string; course?: CourseExportResult; scheduled?: ScheduledExportReport }
  | { type: "day"; day: number; date: string; events: Record<string, number> }
  | { type: "withdrawal"; summary: MassWithdrawal }
  | { type: "approved"; report: SyncReport; by: string };

export interface MassWithdrawal {
  schools: { sourcedId: string; name: string; activeStudents: number }[];
  students: number;
  enrollments: number;
  simDate: string;
}

export interface DemoSync {
  label: string;
  batchId?: number;
  mode?: string;
  status: string;
  changes: number;
  byEntity: Record<string, Record<string, number>>;
  holdReasons: string[];
  errors: number;
  approvedBy?: string;
}

export interface DemoReport {
  district: {
    name: string;
    schools: { sourcedId: string; name: string }[];
    students: number;
    teachers: number;
    classes: number;
  };
  syncs: DemoSync[];
  days: { day: number; date: string; events: Record<string, number> }[];
  teachers: SimulationSummary[];
  exports: { label: string; courses: number; lineItems: Counts; results: Counts; deletions: Counts }[];
  massWithdrawal?: MassWithdrawal;
  grades: {
    courses: number;
    lineItemsSent: number;
    resultsSent: number;
    failures: number;
    deletionsSent: number;
    /** Read back from the SIS after the last export. */
    atSis: { lineItems: number; results: number };
    /** What the LMS's export state says the SIS holds (accepted, not deleted since). */
    expected: { lineItems: number; results: number };
  };
}

type Counts = { success: number; failure: number };

const sum = (list: Counts[]): Counts =>
  list.reduce((a, b) => ({ success: a.success + b.success, failure: a.failure + b.failure }), {
    success: 0,
    failure: 0,
  });

function syncOf(label: string, r: SyncReport, byEntity?: Record<string, Record<string, number>>): DemoSync {
  const entities = byEntity ?? r.counts?.byEntity ?? {};
  const changes = Object.values(entities).reduce((a, m) => a + Object.values(m).reduce((x, y) => x + y, 0), 0);
  return {
    label,
    ...(r.batchId !== undefined ? { batchId: r.batchId } : {}),
    ...(r.mode ? { mode: r.mode } : {}),
    status: r.status,
    changes,
    byEntity: entities,
    holdReasons: r.holdReasons,
    errors: r.errors,
  };
}

/** Runs the whole story; every provider call goes over HTTP (OneRoster through the client kit, /admin by fetch). */
export async function runDemoFlow(o: DemoOptions): Promise<DemoReport> {
  const now = o.now ?? (() => new Date());
  const emit = (e: DemoEvent) => o.onEvent?.(e);
  const connection: Connection = {
    baseUrl: o.provider.baseUrl,
    tokenUrl: o.provider.tokenUrl,
    clientId: o.provider.clientId,
    clientSecret: o.provider.clientSecret,
  };
  const client = new OneRosterClient({ ...connection, ...o.client });
  const admin = async (path: string, body: unknown) => {
    const res = await fetch(`${o.provider.origin}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${o.provider.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status !== 200) {
      throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
    }
    return json;
  };
  const total = async (path: string, filter?: string) => {
    const res = await client.getOk(path, { limit: 1, ...(filter ? { filter } : {}) });
    return Number(res.headers.get("x-total-count") ?? 0);
  };
  const base = { store: o.store, connection, settings: o.settings, now, ...(o.client ? { client: o.client } : {}) };
  const report: DemoReport = {
    district: { name: "", schools: [], students: 0, teachers: 0, classes: 0 },
    syncs: [],
    days: [],
    teachers: [],
    exports: [],
    grades: {
      courses: 0,
      lineItemsSent: 0,
      resultsSent: 0,
      failures: 0,
      deletionsSent: 0,
      atSis: { lineItems: 0, results: 0 },
      expected: { lineItems: 0, results: 0 },
    },
  };
  const courses = new Set<string>();
  const recordExport = (label: string, results: CourseExportResult[]) => {
    for (const r of results) {
      courses.add(r.classSourcedId);
    }
    const lineItems = sum(results.map((r) => r.counts.lineItems));
    const resultCounts = sum(results.map((r) => r.counts.results));
    const deletions = sum(results.map((r) => r.counts.deleted));
    report.exports.push({ label, courses: results.length, lineItems, results: resultCounts, deletions });
    report.grades.lineItemsSent += lineItems.success;
    report.grades.resultsSent += resultCounts.success;
    report.grades.deletionsSent += deletions.success;
    report.grades.failures += lineItems.failure + resultCounts.failure + deletions.failure;
  };
  const sync = async (label: string) => {
    const progress = o.syncProgress?.(label);
    const r = await runSync({
      ...base,
      startedBy: "scheduled",
      ...(progress ? { onEvent: progress.onEvent } : {}),
    }).finally(() => progress?.stop());
    report.syncs.push(syncOf(label, r));
    emit({ type: "sync", label, report: r });
    return r;
  };
  const nightlyGrades = async (label: string) => {
    const g = await runScheduledGradeExport(base);
    recordExport(label, g.courses);
    emit({ type: "export", label, scheduled: g });
  };
  const schoolDay = async () => {
    // Weekends pass without churn: advance until a school day has happened.
    for (let i = 0; i < 4; i++) {
      const s = await admin("/admin/clock/advance", { days: 1 });
      if (Number(s.schoolDays) > 0) {
        const day = { day: Number(s.day), date: String(s.toDate), events: s.events as Record<string, number> };
        report.days.push(day);
        emit({ type: "day", ...day });
        return day;
      }
    }
    throw new Error("the district clock found no school day in four days");
  };

  // 1. The district at the SIS.
  emit({ type: "step", title: "reading the district from the SIS" });
  for await (const page of client.pages({ path: "/schools", envelope: "orgs", pageSize: 1000 })) {
    for (const s of page.records as { sourcedId: string; name: string }[]) {
      report.district.schools.push({ sourcedId: s.sourcedId, name: s.name });
    }
  }
  const districts = await client.getOk("/orgs", { filter: "type='district'", limit: 1 });
  report.district.name = (districts.json as { orgs?: { name?: string }[] }).orgs?.[0]?.name ?? "the district";
  report.district.students = await total("/students", "status='active'");
  report.district.teachers = await total("/teachers", "status='active'");
  report.district.classes = await total("/classes", "status='active'");
  emit({ type: "district", district: report.district });

  // 2. The first sync reads everything.
  emit({ type: "step", title: "first sync: the whole district into the LMS" });
  await sync("first sync (full)");

  // 3. Teachers grade, in the SIS's categories (read from the SIS first, seed 003 "Categories").
  emit({ type: "step", title: "teachers grading" });
  await refreshCategories(o.store.db, client, { now: now() });
  const round0 = await simulateTeachers(o.store.db, { seed: o.seed, round: 0, courses: o.courses, now: now() });
  report.teachers.push(round0);
  emit({ type: "teachers", summary: round0 });

  // 4. One teacher exports a course on demand (seed 003 "Export to SIS").
  const first = round0.courses[0];
  if (first) {
    emit({ type: "step", title: `on-demand export of ${first}` });
    const teacher = round0.teachers[0] ?? "teacher";
    const r = await exportCourseGrades({ ...base, course: first, startedBy: teacher });
    recordExport(`on-demand export of ${first} by ${teacher}`, [r]);
    emit({ type: "export", label: `on-demand export by ${teacher}`, course: r });
  }

  // 5. School days: the district changes, teachers keep grading, nightly delta sync and grade export.
  for (let d = 1; d <= o.days; d++) {
    emit({ type: "step", title: `school day ${d}` });
    const day = await schoolDay();
    const activity = await simulateTeachers(o.store.db, { seed: o.seed, round: d, courses: o.courses, now: now() });
    report.teachers.push(activity);
    emit({ type: "teachers", summary: activity });
    const r = await sync(`night of ${day.date} (delta)`);
    if (r.status !== "held") {
      await nightlyGrades(`nightly export after ${day.date}`);
    }
  }

  // 6. The mass-withdrawal day: enough of the largest schools to exceed the persons delete threshold.
  emit({ type: "step", title: "the mass-withdrawal day" });
  const day = await schoolDay();
  const held = await heldCounts(o.store.db);
  const limit = o.settings.safety.thresholds.persons.delete;
  const needed = Math.floor((held.persons * (limit + 1)) / 100) + 1;
  const bySize: { sourcedId: string; active: number }[] = [];
  for (const s of report.district.schools) {
    bySize.push({ sourcedId: s.sourcedId, active: await total(`/schools/${s.sourcedId}/students`, "status='active'") });
  }
  bySize.sort((a, b) => b.active - a.active || (a.sourcedId < b.sourcedId ? -1 : 1));
  const chosen: string[] = [];
  let withdrawn = 0;
  for (const s of bySize) {
    if (withdrawn >= needed) {
      break;
    }
    chosen.push(s.sourcedId);
    withdrawn += s.active;
  }
  const w = await admin("/admin/clock/mass-withdrawal", { schools: chosen, share: 1 });
  const mass: MassWithdrawal = {
    schools: w.schools as MassWithdrawal["schools"],
    students: Number(w.students),
    enrollments: Number(w.enrollments),
    simDate: String(w.simDate ?? day.date),
  };
  report.massWithdrawal = mass;
  emit({ type: "withdrawal", summary: mass });
  const heldRun = await sync(`night of ${day.date} (delta)`);
  if (heldRun.status === "held" && heldRun.batchId !== undefined) {
    // The operator reviews the held batch (`rosterlab sync show N --plan`) and approves exactly that plan.
    const by = "district admin";
    const approved = await approveBatch(o.store, heldRun.batchId, by, now);
    const entry = report.syncs[report.syncs.length - 1] as DemoSync;
    entry.status = approved.status;
    entry.approvedBy = by;
    emit({ type: "approved", report: approved, by });
  }
  await nightlyGrades(`nightly export after ${day.date}`);

  // 7. What reached the SIS, read back from it.
  report.grades.courses = courses.size;
  report.grades.atSis = {
    lineItems: await total("/lineItems", "sourcedId~'gi-'"),
    results: await total("/results", "sourcedId~'gi-'"),
  };
  const atSis = await o.store.db
    .select({ kind: gradeExportState.kind, n: count() })
    .from(gradeExportState)
    .where(and(isNotNull(gradeExportState.sentRevision), isNull(gradeExportState.deletedAtSis)))
    .groupBy(gradeExportState.kind);
  report.grades.expected = {
    lineItems: atSis.find((h) => h.kind === "lineItem")?.n ?? 0,
    results: atSis.find((h) => h.kind === "result")?.n ?? 0,
  };
  return report;
}
