// Grade export (seed 003 "Grade Export", "How the grade sync works", "Export to SIS"): per course an overview, then line
// items and results pushed through the retrying OneRosterClient (DELETE for what teachers deleted), each outcome in the
// history with the provider's status payload; a 4xx never stops the rest. Writes the gradebook tables only.
import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import {
  type ClientEvent,
  type ClientOptions,
  type ClientResponse,
  describeProviderStatus,
  OneRosterClient,
  OneRosterClientError,
  type ProviderStatus,
} from "../../oneroster/client/index.js";
import { readStatusInfo } from "../../oneroster/index.js";
import type { Connection, SyncSettings } from "../config.js";
import { lastSuccess } from "../run.js";
import type { LmsDb, LmsStore } from "../store/open.js";
import {
  batches,
  type GradeExportTrigger,
  type GradeObjectKind,
  type GradeOutcome,
  gradeCategories,
  gradeExportItems,
  gradeExportState,
  gradeExports,
  gradeItems,
  grades,
  orgUnits,
  users,
} from "../store/schema.js";
import { type CategoryRefresh, refreshCategories } from "./categories.js";
import {
  type CategoryRow,
  findOffering,
  findSection,
  findSession,
  type GradeItemRow,
  type GradeRow,
  GradesError,
  learnersOf,
  type OfferingRow,
  sessionChoices,
} from "./gradebook.js";
import {
  type CourseFacts,
  courseRefusal,
  type ExportSwitches,
  fieldOf,
  isSentScoreStatus,
  itemRefusal,
  lineItemPayload,
  lineItemSendReason,
  lineItemSourcedId,
  needsDelete,
  resultPayload,
  resultSendReason,
  resultSourcedId,
  type SendReason,
  type SentState,
} from "./rules.js";

export interface GradeExportBase {
  store: LmsStore;
  connection: Connection;
  settings: SyncSettings;
  /** Who starts it: a teacher or operator; scheduled runs default to the configured service user. */
  startedBy?: string;
  /** Compute the overview and what would be sent; send and record nothing. */
  dryRun?: boolean;
  now?: () => Date;
  /** Extra client options (tests pass a fetch, a recording sleep, small retry delays). */
  client?: Partial<ClientOptions>;
  onEvent?: (event: GradeExportEvent) => void;
}

export type GradeExportEvent =
  | { type: "categories"; refresh: CategoryRefresh }
  | { type: "course"; offering: string; name: string; exportId?: number; overview: ExportOverview }
  | { type: "progress"; offering: string; phase: "lineItems" | "results" | "deletes"; done: number; total: number }
  | { type: "client"; event: ClientEvent };

/** Seed 003 "Overview": categories and the grades within them that meet the criteria, plus what is due now. */
export interface ExportOverview {
  categories: { sisId: string; name: string; gradeItems: number; grades: number; atSis: boolean }[];
  /** Grade items and grades that meet the criteria (whether or not they need sending). */
  gradeItems: number;
  grades: number;
  /** What this export sends (new, changed, failed last time, or whose line item changed). */
  toSend: { lineItems: number; results: number; deletes: number };
  /** What does not meet the criteria, by reason. */
  notExported: Record<string, number>;
}

/** A type alias, not an interface, so the counts fit the history's jsonb column type. */
export type OutcomeCounts = { success: number; failure: number };

export interface CourseExportResult {
  offeringId: number;
  offering: string;
  classSourcedId: string;
  name: string;
  exportId?: number;
  status: "completed" | "completed_with_errors" | "failed" | "dry_run" | "nothing_to_send";
  overview: ExportOverview;
  counts: {
    categories: OutcomeCounts;
    lineItems: OutcomeCounts;
    results: OutcomeCounts;
    deleted: OutcomeCounts;
  };
  /** Dry runs: what would be sent, first few per kind. */
  preview?: {
    lineItems: { sourcedId: string; reason: SendReason }[];
    results: { sourcedId: string; reason: SendReason }[];
  };
  message?: string;
}

export interface ScheduledExportReport {
  startedBy: string;
  categories?: CategoryRefresh;
  courses: CourseExportResult[];
  /** Courses with grade items that may not export, by reason. */
  skipped: Record<string, number>;
  totals: CourseExportResult["counts"];
  message?: string;
}

const emptyCounts = (): CourseExportResult["counts"] => ({
  categories: { success: 0, failure: 0 },
  lineItems: { success: 0, failure: 0 },
  results: { success: 0, failure: 0 },
  deleted: { success: 0, failure: 0 },
});

/** Pushes are written to the history in chunks: a killed export loses at most a chunk of bookkeeping, never data. */
const CHUNK = 50;

function createClient(options: GradeExportBase): OneRosterClient {
  const f = options.settings.fetch;
  return new OneRosterClient({
    ...options.connection,
    timeoutMs: f.timeoutMs,
    retries: f.retries,
    concurrency: f.concurrency,
    onEvent: (event) => options.onEvent?.({ type: "client", event }),
    ...options.client,
  });
}

/** The switches of an export: the config, the target provider and the LMS's active source system. */
async function switchesOf(options: GradeExportBase, trigger: GradeExportTrigger): Promise<ExportSwitches> {
  const g = options.settings.grades;
  const last = await lastSuccess(options.store.db);
  const [batch] = last ? await options.store.db.select().from(batches).where(eq(batches.id, last.batchId)) : [];
  return {
    export: g.export,
    nightly: g.nightly,
    onDemand: g.onDemand,
    trigger,
    baseUrl: options.connection.baseUrl,
    activeSource: batch?.baseUrl,
  };
}

function courseFacts(o: OfferingRow): CourseFacts {
  return {
    source: o.source,
    gradeExport: o.gradeExport,
    sisId: o.sisId,
    mapped: o.unmappedAt === null,
    status: o.status,
  };
}

interface PlannedItem {
  row: GradeItemRow;
  sourcedId: string;
  category?: CategoryRow;
  sessionSisId?: string;
  refusal?: string;
  reason?: SendReason;
  state?: SentState;
}

interface PlannedResult {
  grade: GradeRow;
  item: PlannedItem;
  sourcedId: string;
  studentSisId: string;
  state?: SentState;
  reason?: SendReason;
}

interface CoursePlan {
  offering: OfferingRow;
  classSourcedId: string;
  items: PlannedItem[];
  results: PlannedResult[];
  deleteItems: PlannedItem[];
  deleteResults: PlannedResult[];
  overview: ExportOverview;
}

async function states(db: LmsDb, kind: GradeObjectKind, ids: number[]): Promise<Map<number, SentState>> {
  const out = new Map<number, SentState>();
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await db
      .select()
      .from(gradeExportState)
      .where(and(eq(gradeExportState.kind, kind), inArray(gradeExportState.lmsId, ids.slice(i, i + 1000))));
    for (const r of rows) {
      out.set(r.lmsId, r);
    }
  }
  return out;
}

/** Everything one course's export needs, judged by the rules. Pure reads of the store. */
async function planCourse(
  db: LmsDb,
  offering: OfferingRow,
  filter: { sectionId?: number; sessionId?: number },
): Promise<CoursePlan> {
  const classSourcedId = offering.sisId as string;
  const items = await db
    .select()
    .from(gradeItems)
    .where(
      and(
        eq(gradeItems.offeringId, offering.id),
        ...(filter.sessionId !== undefined ? [eq(gradeItems.sessionId, filter.sessionId)] : []),
      ),
    )
    .orderBy(asc(gradeItems.id));
  const categoryIds = [...new Set(items.map((i) => i.categoryId).filter((c): c is number => c !== null))];
  const categories = new Map(
    (categoryIds.length
      ? await db.select().from(gradeCategories).where(inArray(gradeCategories.id, categoryIds))
      : []
    ).map((c) => [c.id, c]),
  );
  const sessions = new Map((await sessionChoices(db, offering.id)).map((s) => [s.id, s]));
  const sessionIds = new Set(sessions.keys());
  const itemStates = await states(
    db,
    "lineItem",
    items.map((i) => i.id),
  );
  const notExported: Record<string, number> = {};
  const count = (reason: string) => {
    notExported[reason] = (notExported[reason] ?? 0) + 1;
  };
  const planned: PlannedItem[] = items.map((row) => {
    const category = row.categoryId !== null ? categories.get(row.categoryId) : undefined;
    const refusal = itemRefusal({
      deleted: row.deletedAt !== null,
      ...(category ? { category } : {}),
      sessionId: row.sessionId,
      offeringSessions: sessionIds,
    });
    const state = itemStates.get(row.id);
    const p: PlannedItem = {
      row,
      sourcedId: lineItemSourcedId(row.id, classSourcedId),
      ...(category ? { category } : {}),
      ...(row.sessionId !== null && sessions.get(row.sessionId)?.sisId
        ? { sessionSisId: sessions.get(row.sessionId)?.sisId as string }
        : {}),
      ...(refusal ? { refusal } : {}),
      ...(state ? { state } : {}),
    };
    if (!refusal) {
      const reason = lineItemSendReason(row.revision, state);
      if (reason) {
        p.reason = reason;
      }
    } else if (refusal !== "deleted") {
      count(`grade item: ${refusal}`);
    }
    return p;
  });
  const byItem = new Map(planned.map((p) => [p.row.id, p]));
  const gradeRows = items.length
    ? await db
        .select()
        .from(grades)
        .where(
          inArray(
            grades.gradeItemId,
            items.map((i) => i.id),
          ),
        )
        .orderBy(asc(grades.id))
    : [];
  const learners = filter.sectionId !== undefined ? await learnersOf(db, offering.id, filter.sectionId) : undefined;
  const userIds = [...new Set(gradeRows.map((g) => g.userId))];
  const sisOf = new Map<number, string | null>();
  for (let i = 0; i < userIds.length; i += 1000) {
    for (const u of await db
      .select({ id: users.id, sisId: users.sisId })
      .from(users)
      .where(inArray(users.id, userIds.slice(i, i + 1000)))) {
      sisOf.set(u.id, u.sisId);
    }
  }
  const gradeStates = await states(
    db,
    "result",
    gradeRows.map((g) => g.id),
  );
  const results: PlannedResult[] = [];
  const deleteResults: PlannedResult[] = [];
  const perCategory = new Map<number, { gradeItems: number; grades: number }>();
  for (const p of planned) {
    if (!p.refusal && p.category) {
      const c = perCategory.get(p.category.id) ?? { gradeItems: 0, grades: 0 };
      c.gradeItems++;
      perCategory.set(p.category.id, c);
    }
  }
  let meeting = 0;
  for (const grade of gradeRows) {
    const item = byItem.get(grade.gradeItemId);
    if (!item || (learners && !learners.has(grade.userId))) {
      continue;
    }
    const studentSisId = sisOf.get(grade.userId) ?? null;
    const state = gradeStates.get(grade.id);
    if (studentSisId === null) {
      if (!item.refusal) {
        count("grade: the student is not an SIS user");
      }
      continue;
    }
    const r: PlannedResult = {
      grade,
      item,
      sourcedId: resultSourcedId(item.sourcedId, studentSisId),
      studentSisId,
      ...(state ? { state } : {}),
    };
    if (grade.deletedAt !== null || item.row.deletedAt !== null) {
      // A deleted line item takes its results with it at the SIS (notes §7.2 cascade); only lone results are deleted.
      if (item.row.deletedAt === null && needsDelete(state)) {
        deleteResults.push(r);
      }
      continue;
    }
    if (item.refusal) {
      continue;
    }
    if (!isSentScoreStatus(grade.scoreStatus)) {
      count(`grade: scoreStatus "${grade.scoreStatus}" is not sent`);
      continue;
    }
    meeting++;
    const c = perCategory.get(item.category?.id ?? -1);
    if (c) {
      c.grades++;
    }
    // Preview: the SIS will hold the revision being sent now (a failure is re-judged after the push).
    const reason = resultSendReason(
      grade.revision,
      state,
      item.reason ? item.row.revision : (item.state?.sentRevision ?? null),
    );
    if (reason) {
      r.reason = reason;
    }
    results.push(r);
  }
  const deleteItems = planned.filter((p) => p.row.deletedAt !== null && needsDelete(p.state));
  const overview: ExportOverview = {
    categories: [...perCategory.entries()].map(([id, c]) => {
      const row = categories.get(id) as CategoryRow;
      return { sisId: row.sisId as string, name: row.name, ...c, atSis: row.status === "active" };
    }),
    gradeItems: planned.filter((p) => !p.refusal).length,
    grades: meeting,
    toSend: {
      lineItems: planned.filter((p) => p.reason).length,
      results: results.filter((r) => r.reason).length,
      deletes: deleteItems.length + deleteResults.length,
    },
    notExported,
  };
  return {
    offering,
    classSourcedId,
    items: planned,
    results,
    deleteItems,
    deleteResults,
    overview,
  };
}

interface Outcome {
  outcome: GradeOutcome;
  httpStatus?: number;
  providerStatus?: ProviderStatus;
  message?: string;
}

/** One write through the client: 2xx is success (and 404 for a DELETE: already gone); anything else a failure. */
async function send(client: OneRosterClient, method: "PUT" | "DELETE", path: string, body?: unknown): Promise<Outcome> {
  let res: ClientResponse;
  try {
    res = await client.request(method, path, body === undefined ? {} : { body });
  } catch (err) {
    if (err instanceof OneRosterClientError && err.code === "TOKEN_FAILED") {
      throw err; // nothing can be sent without a token: the export stops
    }
    return { outcome: "failure", message: err instanceof Error ? err.message : String(err) };
  }
  if ((res.status >= 200 && res.status < 300) || (method === "DELETE" && res.status === 404)) {
    return { outcome: "success", httpStatus: res.status };
  }
  const providerStatus = readStatusInfo(res.json)[0];
  const described = describeProviderStatus(providerStatus);
  return {
    outcome: "failure",
    httpStatus: res.status,
    ...(providerStatus ? { providerStatus } : {}),
    message: `${method} answered ${res.status}${described ? ` (${described})` : ""}`,
  };
}

function statusJson(status: ProviderStatus | undefined): Record<string, string> | null {
  if (!status) {
    return null;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(status)) {
    if (typeof v === "string") {
      out[k] = v;
    }
  }
  const field = fieldOf(status.description);
  if (field) {
    out.field = field;
  }
  return out;
}

/** Runs `fn` over `list` in chunks; the client's own limit bounds concurrency inside a chunk. */
async function inChunks<T, R>(
  list: T[],
  fn: (x: T) => Promise<R>,
  afterChunk: (chunk: T[], outcomes: R[]) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < list.length; i += CHUNK) {
    const chunk = list.slice(i, i + CHUNK);
    await afterChunk(chunk, await Promise.all(chunk.map(fn)));
  }
}

/** Records what the SIS now holds of a chunk's objects (one statement; a chunk never names an object twice). */
async function upsertState(tx: LmsDb, rows: (typeof gradeExportState.$inferInsert)[]): Promise<void> {
  if (rows.length === 0) {
    return;
  }
  await tx
    .insert(gradeExportState)
    .values(rows)
    .onConflictDoUpdate({
      target: [gradeExportState.kind, gradeExportState.lmsId],
      set: {
        sourcedId: sql`excluded.sourced_id`,
        sentRevision: sql`excluded.sent_revision`,
        sentItemRevision: sql`excluded.sent_item_revision`,
        lastOutcome: sql`excluded.last_outcome`,
        lastExportId: sql`excluded.last_export_id`,
        lastAttemptAt: sql`excluded.last_attempt_at`,
        deletedAtSis: sql`excluded.deleted_at_sis`,
      },
    });
}

/** Pushes one planned course: history rows per category, line item and result; DELETEs without history rows. */
async function pushCourse(
  db: LmsDb,
  client: OneRosterClient,
  plan: CoursePlan,
  options: GradeExportBase,
  meta: { trigger: GradeExportTrigger; startedBy: string; sectionId?: number; sessionId?: number },
): Promise<CourseExportResult> {
  const now = options.now ?? (() => new Date());
  const counts = emptyCounts();
  const code = plan.offering.code;
  const baseUrl = options.connection.baseUrl;
  // An export of this course still `running` was stopped midway (a killed process): say so in the history. What it
  // sent was recorded chunk by chunk, and what it did not is simply sent again by this export.
  await db
    .update(gradeExports)
    .set({ status: "failed", finishedAt: now(), message: "interrupted: the export stopped before it finished" })
    .where(and(eq(gradeExports.offeringId, plan.offering.id), eq(gradeExports.status, "running")));
  const [exp] = await db
    .insert(gradeExports)
    .values({
      offeringId: plan.offering.id,
      trigger: meta.trigger,
      startedBy: meta.startedBy,
      baseUrl,
      sectionId: meta.sectionId ?? null,
      sessionId: meta.sessionId ?? null,
      status: "running",
      startedAt: now(),
    })
    .returning({ id: gradeExports.id });
  if (!exp) {
    throw new Error("could not create the export");
  }
  const exportId = exp.id;
  options.onEvent?.({ type: "course", offering: code, name: plan.offering.name, exportId, overview: plan.overview });
  const progress = (phase: "lineItems" | "results" | "deletes", done: number, total: number) =>
    options.onEvent?.({ type: "progress", offering: code, phase, done, total });
  const result: CourseExportResult = {
    offeringId: plan.offering.id,
    offering: code,
    classSourcedId: plan.classSourcedId,
    name: plan.offering.name,
    exportId,
    status: "completed",
    overview: plan.overview,
    counts,
  };
  try {
    // Categories: checked against the SIS's list, one history row per SIS category this export relies on.
    const toSendItems = plan.items.filter((p) => p.reason);
    const usedCategories = new Map<number, CategoryRow>();
    for (const p of plan.items) {
      const c = p.category;
      if (c?.sisId && c.exportToSis && p.row.deletedAt === null && (p.reason || c.status !== "active")) {
        usedCategories.set(c.id, c);
      }
    }
    if (usedCategories.size > 0) {
      const at = now();
      await db.insert(gradeExportItems).values(
        [...usedCategories.values()].map((c) => {
          const ok = c.status === "active";
          counts.categories[ok ? "success" : "failure"]++;
          return {
            exportId,
            kind: "category" as const,
            lmsId: c.id,
            sourcedId: c.sisId as string,
            reason: "retrieved from the SIS",
            outcome: ok ? ("success" as const) : ("failure" as const),
            message: ok
              ? `${c.name}: export to SIS`
              : `${c.name}: the SIS no longer lists this category; its grade items were not sent`,
            at,
          };
        }),
      );
    }

    // Line items first (seed 003: "The order that data is sent back": lineItems, then results).
    let done = 0;
    await inChunks(
      toSendItems,
      (p) => {
        const payload = lineItemPayload(baseUrl, {
          sourcedId: p.sourcedId,
          name: p.row.name,
          description: p.row.description,
          assignDate: p.row.assignDate,
          dueDate: p.row.dueDate,
          minScore: p.row.minScore,
          maxScore: p.row.maxScore,
          endOfCourse: p.row.endOfCourse,
          classSourcedId: plan.classSourcedId,
          categorySourcedId: p.category?.sisId as string,
          sessionSourcedId: p.sessionSisId as string,
        });
        return send(client, "PUT", `/lineItems/${encodeURIComponent(p.sourcedId)}`, payload);
      },
      async (chunk, outcomes) => {
        const at = now();
        const history: (typeof gradeExportItems.$inferInsert)[] = [];
        const stateRows: (typeof gradeExportState.$inferInsert)[] = [];
        chunk.forEach((p, i) => {
          const o = outcomes[i] as Outcome;
          counts.lineItems[o.outcome]++;
          const ok = o.outcome === "success";
          const sentRevision = ok ? p.row.revision : (p.state?.sentRevision ?? null);
          p.state = {
            sentRevision,
            sentItemRevision: null,
            lastOutcome: o.outcome,
            deletedAtSis: ok ? null : (p.state?.deletedAtSis ?? null),
          };
          history.push(historyRow(exportId, "lineItem", p.row.id, p.sourcedId, p.reason as string, o, at));
          stateRows.push({
            kind: "lineItem",
            lmsId: p.row.id,
            sourcedId: p.sourcedId,
            sentRevision,
            sentItemRevision: null,
            lastOutcome: o.outcome,
            lastExportId: exportId,
            lastAttemptAt: at,
            deletedAtSis: p.state.deletedAtSis,
          });
        });
        await db.transaction(async (tx) => {
          await tx.insert(gradeExportItems).values(history);
          await upsertState(tx as unknown as LmsDb, stateRows);
        });
        done += chunk.length;
        progress("lineItems", done, toSendItems.length);
      },
    );

    // Line items the teachers deleted: DELETE (the SIS cascades to their results), not listed in the history.
    const deleteOps: { kind: GradeObjectKind; lmsId: number; path: string }[] = plan.deleteItems.map((p) => ({
      kind: "lineItem" as const,
      lmsId: p.row.id,
      path: `/lineItems/${encodeURIComponent(p.sourcedId)}`,
    }));

    // Results: re-judged now that the SIS's line item revisions are known.
    const toSendResults: PlannedResult[] = [];
    const notAccepted: PlannedResult[] = [];
    for (const r of plan.results) {
      const atSis = r.item.state?.sentRevision ?? null;
      const reason = resultSendReason(r.grade.revision, r.state, atSis);
      if (!reason) {
        continue;
      }
      r.reason = reason;
      (atSis === null ? notAccepted : toSendResults).push(r);
    }
    done = 0;
    const resultTotal = toSendResults.length + notAccepted.length;
    const recordResults = async (chunk: PlannedResult[], outcomes: Outcome[]) => {
      const at = now();
      const history: (typeof gradeExportItems.$inferInsert)[] = [];
      const stateRows: (typeof gradeExportState.$inferInsert)[] = [];
      chunk.forEach((r, i) => {
        const o = outcomes[i] as Outcome;
        counts.results[o.outcome]++;
        const ok = o.outcome === "success";
        history.push(historyRow(exportId, "result", r.grade.id, r.sourcedId, r.reason as string, o, at));
        stateRows.push({
          kind: "result",
          lmsId: r.grade.id,
          sourcedId: r.sourcedId,
          sentRevision: ok ? r.grade.revision : (r.state?.sentRevision ?? null),
          sentItemRevision: ok ? (r.item.state?.sentRevision ?? null) : (r.state?.sentItemRevision ?? null),
          lastOutcome: o.outcome,
          lastExportId: exportId,
          lastAttemptAt: at,
          deletedAtSis: ok ? null : (r.state?.deletedAtSis ?? null),
        });
      });
      await db.transaction(async (tx) => {
        await tx.insert(gradeExportItems).values(history);
        await upsertState(tx as unknown as LmsDb, stateRows);
      });
      done += chunk.length;
      progress("results", done, resultTotal);
    };
    // A result whose line item the SIS never accepted cannot be sent; it is a failure, retried next run.
    for (let i = 0; i < notAccepted.length; i += CHUNK) {
      const chunk = notAccepted.slice(i, i + CHUNK);
      await recordResults(
        chunk,
        chunk.map(() => ({ outcome: "failure", message: "not sent: the SIS has not accepted its line item" })),
      );
    }
    await inChunks(
      toSendResults,
      (r) =>
        send(
          client,
          "PUT",
          `/results/${encodeURIComponent(r.sourcedId)}`,
          resultPayload(baseUrl, {
            sourcedId: r.sourcedId,
            lineItemSourcedId: r.item.sourcedId,
            studentSourcedId: r.studentSisId,
            scoreStatus: r.grade.scoreStatus,
            score: r.grade.score,
            comment: r.grade.comment,
            scoredAt: r.grade.updatedAt,
          }),
        ),
      recordResults,
    );

    // Deletions (seed 003: sent to the SIS as deleted, and not shown in the export history).
    for (const r of plan.deleteResults) {
      deleteOps.push({
        kind: "result",
        lmsId: r.grade.id,
        path: `/results/${encodeURIComponent(r.sourcedId)}`,
      });
    }
    done = 0;
    await inChunks(
      deleteOps,
      (d) => send(client, "DELETE", d.path),
      async (chunk, outcomes) => {
        const at = now();
        await db.transaction(async (tx) => {
          for (const [i, d] of chunk.entries()) {
            const o = outcomes[i] as Outcome;
            counts.deleted[o.outcome]++;
            const ok = o.outcome === "success";
            await tx
              .update(gradeExportState)
              .set({
                lastOutcome: o.outcome,
                lastExportId: exportId,
                lastAttemptAt: at,
                ...(ok ? { deletedAtSis: at } : {}),
              })
              .where(and(eq(gradeExportState.kind, d.kind), eq(gradeExportState.lmsId, d.lmsId)));
            if (ok && d.kind === "lineItem") {
              // The SIS deleted the line item's results with it.
              const itemGrades = await tx.select({ id: grades.id }).from(grades).where(eq(grades.gradeItemId, d.lmsId));
              if (itemGrades.length > 0) {
                await tx
                  .update(gradeExportState)
                  .set({ deletedAtSis: at })
                  .where(
                    and(
                      eq(gradeExportState.kind, "result"),
                      inArray(
                        gradeExportState.lmsId,
                        itemGrades.map((g) => g.id),
                      ),
                      isNull(gradeExportState.deletedAtSis),
                    ),
                  );
              }
            }
          }
        });
        done += chunk.length;
        progress("deletes", done, deleteOps.length);
      },
    );
    const failures =
      counts.categories.failure + counts.lineItems.failure + counts.results.failure + counts.deleted.failure;
    result.status = failures > 0 ? "completed_with_errors" : "completed";
  } catch (err) {
    result.status = "failed";
    result.message = err instanceof Error ? err.message : String(err);
  }
  await db
    .update(gradeExports)
    .set({
      status:
        result.status === "failed" ? "failed" : result.status === "completed" ? "completed" : "completed_with_errors",
      finishedAt: now(),
      counts: { ...counts, toSend: plan.overview.toSend, notExported: plan.overview.notExported },
      message: result.message ?? null,
    })
    .where(eq(gradeExports.id, exportId));
  return result;
}

function historyRow(
  exportId: number,
  kind: GradeObjectKind,
  lmsId: number,
  sourcedId: string,
  reason: string,
  o: Outcome,
  at: Date,
): typeof gradeExportItems.$inferInsert {
  return {
    exportId,
    kind,
    lmsId,
    sourcedId,
    reason,
    outcome: o.outcome,
    httpStatus: o.httpStatus ?? null,
    providerStatus: statusJson(o.providerStatus),
    message: o.message ?? null,
    at,
  };
}

function previewOf(plan: CoursePlan): CourseExportResult["preview"] {
  return {
    lineItems: plan.items
      .filter((p) => p.reason)
      .map((p) => ({ sourcedId: p.sourcedId, reason: p.reason as SendReason })),
    results: plan.results
      .filter((r) => r.reason)
      .map((r) => ({ sourcedId: r.sourcedId, reason: r.reason as SendReason })),
  };
}

function dryResult(plan: CoursePlan, status: "dry_run" | "nothing_to_send"): CourseExportResult {
  return {
    offeringId: plan.offering.id,
    offering: plan.offering.code,
    classSourcedId: plan.classSourcedId,
    name: plan.offering.name,
    status,
    overview: plan.overview,
    counts: emptyCounts(),
    ...(status === "dry_run" ? { preview: previewOf(plan) } : {}),
  };
}

const hasWork = (plan: CoursePlan) =>
  plan.overview.toSend.lineItems + plan.overview.toSend.results + plan.overview.toSend.deletes > 0;

export interface CourseExportOptions extends GradeExportBase {
  /** The course offering: SIS sourcedId, org unit code or LMS id. */
  course: string;
  section?: string;
  session?: string;
  /** Read the SIS's categories first (default true). */
  refreshCategories?: boolean;
}

/**
 * Seed 003 "Export to SIS", on demand: one course (optionally one section and one academic session). Refuses with
 * NOT_EXPORTABLE and the reason when the course may not export. Categories are read from the SIS first.
 */
export async function exportCourseGrades(options: CourseExportOptions): Promise<CourseExportResult> {
  const db = options.store.db;
  const now = options.now ?? (() => new Date());
  const offering = await findOffering(db, options.course);
  const refusal = courseRefusal(courseFacts(offering), await switchesOf(options, "on_demand"));
  if (refusal) {
    throw new GradesError("NOT_EXPORTABLE", `${offering.code} cannot export grades: ${refusal}`);
  }
  const section = options.section ? await findSection(db, offering, options.section) : undefined;
  const session = options.session ? await findSession(db, offering.id, options.session) : undefined;
  const client = createClient(options);
  if (options.refreshCategories !== false) {
    try {
      const refresh = await refreshCategories(db, client, {
        classSourcedIds: [offering.sisId as string],
        pageSize: options.settings.fetch.pageSize,
        now: now(),
      });
      options.onEvent?.({ type: "categories", refresh });
    } catch (err) {
      throw new GradesError(
        "FETCH_FAILED",
        `could not read the SIS's grade categories: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  const filter = {
    ...(section ? { sectionId: section.id } : {}),
    ...(session ? { sessionId: session.id } : {}),
  };
  const plan = await planCourse(db, offering, filter);
  if (options.dryRun) {
    options.onEvent?.({ type: "course", offering: offering.code, name: offering.name, overview: plan.overview });
    return dryResult(plan, "dry_run");
  }
  return pushCourse(db, client, plan, options, {
    trigger: "on_demand",
    startedBy: options.startedBy ?? "teacher",
    ...filter,
  });
}

/**
 * Seed 003 "How to sync Grades", nightly with the roster update: the SIS's categories are read, then every course
 * that may export and has something to send is exported, shown as started by the service user.
 */
export async function runScheduledGradeExport(options: GradeExportBase): Promise<ScheduledExportReport> {
  const db = options.store.db;
  const now = options.now ?? (() => new Date());
  const startedBy = options.startedBy ?? options.settings.grades.serviceUser;
  const report: ScheduledExportReport = { startedBy, courses: [], skipped: {}, totals: emptyCounts() };
  const switches = await switchesOf(options, "scheduled");
  // Refusals that hold for every course stop the run before anything is read.
  const general = courseRefusal(
    { source: "sis", gradeExport: true, sisId: "", mapped: true, status: "active" },
    switches,
  );
  if (general) {
    report.message = general;
    return report;
  }
  const client = createClient(options);
  try {
    report.categories = await refreshCategories(db, client, {
      pageSize: options.settings.fetch.pageSize,
      now: now(),
    });
    options.onEvent?.({ type: "categories", refresh: report.categories });
  } catch (err) {
    // Without the SIS's list the known categories are used; a category it removed is caught by its 4xx.
    report.message = `could not read the SIS's grade categories (${err instanceof Error ? err.message : String(err)}); used the ones already known`;
  }
  const withItems = await db.selectDistinct({ id: gradeItems.offeringId }).from(gradeItems);
  if (withItems.length === 0) {
    return report;
  }
  const offerings = await db
    .select()
    .from(orgUnits)
    .where(
      inArray(
        orgUnits.id,
        withItems.map((o) => o.id),
      ),
    )
    .orderBy(asc(orgUnits.code), asc(orgUnits.id));
  for (const offering of offerings) {
    const refusal = courseRefusal(courseFacts(offering), switches);
    if (refusal) {
      report.skipped[refusal] = (report.skipped[refusal] ?? 0) + 1;
      continue;
    }
    const plan = await planCourse(db, offering, {});
    if (!hasWork(plan)) {
      continue;
    }
    const result = options.dryRun
      ? dryResult(plan, "dry_run")
      : await pushCourse(db, client, plan, options, { trigger: "scheduled", startedBy });
    report.courses.push(result);
    for (const k of ["categories", "lineItems", "results", "deleted"] as const) {
      report.totals[k].success += result.counts[k].success;
      report.totals[k].failure += result.counts[k].failure;
    }
    if (result.status === "failed") {
      report.message = result.message;
      break; // a token that fails for one course fails for all
    }
  }
  return report;
}

/** The overview of one course without any HTTP (what `grades export` shows before sending). */
export async function gradeExportOverview(
  db: LmsDb,
  course: string,
  filter: { section?: string; session?: string } = {},
): Promise<{ offering: OfferingRow; overview: ExportOverview }> {
  const offering = await findOffering(db, course);
  const section = filter.section ? await findSection(db, offering, filter.section) : undefined;
  const session = filter.session ? await findSession(db, offering.id, filter.session) : undefined;
  const plan = await planCourse(db, offering, {
    ...(section ? { sectionId: section.id } : {}),
    ...(session ? { sessionId: session.id } : {}),
  });
  return { offering, overview: plan.overview };
}
