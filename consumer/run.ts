// runSync: one run of the engine as a batch — resume or start, stage every collection (resumable by cursor),
// plan against the store, judge the plan with the safety filter, then apply it in one transaction or hold it.
// approveBatch / discardBatch finish a held batch. Everything a run learns is kept in the batch's rows.
import { and, desc, eq, ne } from "drizzle-orm";
import {
  type ClientEvent,
  type ClientOptions,
  OneRosterClient,
  OneRosterClientError,
} from "../oneroster/client/index.js";
import { applyPlan, LAST_SUCCESS_KEY, StalePlanError, storeVersion } from "./apply.js";
import type { Connection, SyncSettings } from "./config.js";
import { type StagedCollection, type StageProgress, stageCollections } from "./fetch/stage.js";
import { buildPlan, type PlanCounts } from "./plan/build-plan.js";
import { checkSafety, heldCounts } from "./safety.js";
import type { LmsDb, LmsStore } from "./store/open.js";
import {
  type BatchStatus,
  batchCollections,
  batchErrors,
  batches,
  planChanges,
  stagedRecords,
  syncState,
} from "./store/schema.js";

export interface SyncOptions {
  store: LmsStore;
  connection: Connection;
  settings: SyncSettings;
  /** Force a full run; otherwise the first run is full and later ones are deltas. */
  full?: boolean;
  /** Start a delta from this instant instead of the previous successful run. */
  since?: Date;
  /** Stop after the plan: print it, change nothing. */
  dryRun?: boolean;
  /** Who starts the run (shown in batches); `sync` for scheduled runs. */
  startedBy?: string;
  now?: () => Date;
  /** Extra client options (tests pass a fetch, a recording sleep, small retry delays). */
  client?: Partial<ClientOptions>;
  signal?: AbortSignal;
  onEvent?: (event: SyncEvent) => void;
}

export type SyncEvent =
  | { type: "batch"; batchId: number; mode: "full" | "delta"; since?: Date; resumed: boolean }
  | ({ type: "stage" } & StageProgress)
  | { type: "phase"; phase: "plan" | "safety" | "apply"; done?: number }
  | { type: "client"; event: ClientEvent };

export interface SyncReport {
  batchId?: number;
  status: BatchStatus | "paused";
  mode?: "full" | "delta";
  since?: string;
  resumed: boolean;
  counts?: PlanCounts;
  holdReasons: string[];
  errors: number;
  warnings: string[];
  collections: { collection: string; records: number; complete: boolean; ms: number }[];
  timings: Record<string, number>;
  message?: string;
}

/** A run that cannot start or finish, with the code the CLI maps to an exit status and message. */
export class SyncError extends Error {
  constructor(
    readonly code: "HELD_BATCH" | "FETCH_FAILED" | "STALE_PLAN" | "NOT_FOUND" | "BAD_STATE",
    message: string,
  ) {
    super(message);
    this.name = "SyncError";
  }
}

const RESUMABLE: BatchStatus[] = ["fetching", "planned", "failed"];

export async function lastSuccess(db: LmsDb): Promise<{ batchId: number; startedAt: string } | undefined> {
  const [row] = await db.select().from(syncState).where(eq(syncState.key, LAST_SUCCESS_KEY));
  return row?.value as { batchId: number; startedAt: string } | undefined;
}

/** Runs one sync. Never leaves the LMS half-applied: it either applies the whole plan, holds it, or changes nothing. */
export async function runSync(options: SyncOptions): Promise<SyncReport> {
  const { store, settings } = options;
  const db = store.db;
  const now = options.now ?? (() => new Date());
  if (settings.paused) {
    return {
      status: "paused",
      resumed: false,
      holdReasons: [],
      errors: 0,
      warnings: [],
      collections: [],
      timings: {},
      message: "the integration is paused (config `paused: true`); nothing was fetched or changed",
    };
  }
  const [held] = await db.select().from(batches).where(eq(batches.status, "held")).orderBy(desc(batches.id)).limit(1);
  if (held) {
    throw new SyncError(
      "HELD_BATCH",
      `batch ${held.id} is held by the safety filter: review it with \`rosterlab sync show ${held.id}\`, then \`approve ${held.id}\` or \`discard ${held.id}\``,
    );
  }
  // Resume the newest unfinished batch of this provider, if any (a killed or failed run).
  const [latest] = await db.select().from(batches).orderBy(desc(batches.id)).limit(1);
  let batch: typeof batches.$inferSelect;
  let resumed = false;
  if (
    latest &&
    RESUMABLE.includes(latest.status) &&
    latest.baseUrl === options.connection.baseUrl &&
    !options.full &&
    !options.since
  ) {
    resumed = true;
    const [row] = await db
      .update(batches)
      .set({ status: "fetching", resumedCount: latest.resumedCount + 1, error: null })
      .where(eq(batches.id, latest.id))
      .returning();
    batch = row ?? latest;
  } else {
    const previous = await lastSuccess(db);
    const full = options.full === true || (!previous && !options.since);
    const since = full
      ? undefined
      : (options.since ??
        new Date(new Date(previous?.startedAt ?? 0).getTime() - settings.fetch.overlapSeconds * 1000));
    const [row] = await db
      .insert(batches)
      .values({
        status: "fetching",
        mode: full ? "full" : "delta",
        since: since ?? null,
        profile: settings.profile,
        baseUrl: options.connection.baseUrl,
        startedAt: now(),
        startedBy: options.startedBy ?? "sync",
      })
      .returning();
    if (!row) {
      throw new Error("could not create a batch");
    }
    batch = row;
  }
  const batchId = batch.id;
  options.onEvent?.({
    type: "batch",
    batchId,
    mode: batch.mode,
    ...(batch.since ? { since: batch.since } : {}),
    resumed,
  });
  const client = new OneRosterClient({
    ...options.connection,
    timeoutMs: settings.fetch.timeoutMs,
    retries: settings.fetch.retries,
    concurrency: settings.fetch.concurrency,
    onEvent: (event) => options.onEvent?.({ type: "client", event }),
    ...options.client,
  });
  const timings: Record<string, number> = { ...(batch.timings ?? {}) };
  let staged: StagedCollection[];
  const t0 = performance.now();
  try {
    staged = await stageCollections({
      db,
      client,
      batchId,
      pageSize: settings.fetch.pageSize,
      ...(batch.since ? { since: batch.since } : {}),
      onProgress: (p) => options.onEvent?.({ type: "stage", ...p }),
      ...(options.signal ? { signal: options.signal } : {}),
      now,
    });
  } catch (err) {
    if (options.signal?.aborted) {
      throw err; // killed: the batch stays `fetching` and resumes next time
    }
    const message = err instanceof Error ? err.message : String(err);
    await db
      .update(batches)
      .set({ status: "failed", error: message, finishedAt: now() })
      .where(eq(batches.id, batchId));
    await db.insert(batchErrors).values({
      batchId,
      collection: "(fetch)",
      code: err instanceof OneRosterClientError ? err.code : "FETCH_FAILED",
      message,
      at: now(),
    });
    return report(db, batchId, resumed, {
      message: `fetch failed (the next run resumes where it stopped): ${message}`,
    });
  }
  timings.fetchMs = (timings.fetchMs ?? 0) + (performance.now() - t0);
  const warnings = staged.flatMap((s) => s.warnings.map((w) => `${s.collection}: ${w}`));
  for (const s of staged) {
    if (s.unstable && batch.mode === "full") {
      warnings.push(`${s.collection}: changed while it was read; records missing from it are not deleted this run`);
    }
  }

  // Plan against the store as it is now (a resumed plan is recomputed from scratch).
  options.onEvent?.({ type: "phase", phase: "plan" });
  const t1 = performance.now();
  await db.delete(planChanges).where(eq(planChanges.batchId, batchId));
  await db.delete(batchErrors).where(and(eq(batchErrors.batchId, batchId), ne(batchErrors.code, "SCHEMA_MISMATCH")));
  const planVersion = await storeVersion(db);
  const { counts, notes } = await buildPlan({
    db,
    batchId,
    mode: batch.mode,
    settings,
    staged,
    today: now().toISOString().slice(0, 10),
    now,
  });
  timings.planMs = performance.now() - t1;
  const allWarnings = [...warnings, ...notes];
  const schemaErrors = await db
    .select({ id: batchErrors.id })
    .from(batchErrors)
    .where(and(eq(batchErrors.batchId, batchId), eq(batchErrors.code, "SCHEMA_MISMATCH")));
  counts.errors += schemaErrors.length;
  await db
    .update(batches)
    .set({
      status: "planned",
      planVersion,
      counts: countsRecord(counts),
      warnings: allWarnings,
      timings,
      fetchedAt: now(),
    })
    .where(eq(batches.id, batchId));

  if (options.dryRun) {
    await db.update(batches).set({ status: "dry_run", finishedAt: now() }).where(eq(batches.id, batchId));
    await db.delete(stagedRecords).where(eq(stagedRecords.batchId, batchId));
    return report(db, batchId, resumed, { counts });
  }

  options.onEvent?.({ type: "phase", phase: "safety" });
  const verdict = checkSafety(counts, await heldCounts(db), settings);
  if (verdict.hold) {
    await db
      .update(batches)
      .set({ status: "held", holdReasons: verdict.reasons, finishedAt: now() })
      .where(eq(batches.id, batchId));
    return report(db, batchId, resumed, { counts });
  }
  await finishApply(db, batchId, planVersion, counts.errors, now, timings, options.onEvent);
  return report(db, batchId, resumed, { counts });
}

async function finishApply(
  db: LmsDb,
  batchId: number,
  planVersion: number,
  errorCount: number,
  now: () => Date,
  timings: Record<string, number>,
  onEvent?: (e: SyncEvent) => void,
): Promise<void> {
  onEvent?.({ type: "phase", phase: "apply" });
  const t = performance.now();
  const [batch] = await db.select().from(batches).where(eq(batches.id, batchId));
  await applyPlan(db, batchId, planVersion, now(), (done) => onEvent?.({ type: "phase", phase: "apply", done }));
  timings.applyMs = performance.now() - t;
  const status: BatchStatus = errorCount > 0 ? "completed_with_errors" : "completed";
  await db.transaction(async (tx) => {
    await tx.update(batches).set({ status, timings, finishedAt: now() }).where(eq(batches.id, batchId));
    // The next delta starts from this run's start (minus the overlap), seed 003 "REST Process".
    const value = { batchId, startedAt: (batch?.startedAt ?? now()).toISOString() };
    await tx
      .insert(syncState)
      .values({ key: LAST_SUCCESS_KEY, value, updatedAt: now() })
      .onConflictDoUpdate({ target: syncState.key, set: { value, updatedAt: now() } });
    await tx.delete(stagedRecords).where(eq(stagedRecords.batchId, batchId));
  });
}

/** Applies exactly the held plan of a batch, or refuses when the store changed since it was planned. */
export async function approveBatch(
  store: LmsStore,
  batchId: number,
  approvedBy: string,
  now: () => Date = () => new Date(),
): Promise<SyncReport> {
  const db = store.db;
  const [batch] = await db.select().from(batches).where(eq(batches.id, batchId));
  if (!batch) {
    throw new SyncError("NOT_FOUND", `there is no batch ${batchId}; \`rosterlab sync batches\` lists them`);
  }
  if (batch.status !== "held") {
    throw new SyncError(
      "BAD_STATE",
      `batch ${batchId} is ${batch.status}, not held; only a held batch can be approved`,
    );
  }
  const errors = await db.select({ id: batchErrors.id }).from(batchErrors).where(eq(batchErrors.batchId, batchId));
  try {
    await db.update(batches).set({ approvedBy }).where(eq(batches.id, batchId));
    await finishApply(db, batchId, batch.planVersion ?? 0, errors.length, now, { ...(batch.timings ?? {}) });
  } catch (err) {
    if (err instanceof StalePlanError) {
      throw new SyncError("STALE_PLAN", `${err.message}`);
    }
    throw err;
  }
  return report(db, batchId, false, {});
}

/** Drops a held (or unfinished) batch: its staging and plan go, the LMS is untouched; the next run re-reads. */
export async function discardBatch(store: LmsStore, batchId: number, now: () => Date = () => new Date()) {
  const db = store.db;
  const [batch] = await db.select().from(batches).where(eq(batches.id, batchId));
  if (!batch) {
    throw new SyncError("NOT_FOUND", `there is no batch ${batchId}; \`rosterlab sync batches\` lists them`);
  }
  if (!["held", ...RESUMABLE, "dry_run"].includes(batch.status)) {
    throw new SyncError(
      "BAD_STATE",
      `batch ${batchId} is ${batch.status}; only held or unfinished batches can be discarded`,
    );
  }
  await db.transaction(async (tx) => {
    await tx.delete(stagedRecords).where(eq(stagedRecords.batchId, batchId));
    await tx.delete(planChanges).where(eq(planChanges.batchId, batchId));
    await tx.update(batches).set({ status: "discarded", finishedAt: now() }).where(eq(batches.id, batchId));
  });
  return report(db, batchId, false, {});
}

function countsRecord(counts: PlanCounts): Record<string, Record<string, number>> {
  return {
    ...counts.byEntity,
    _groups: { ...flatten(counts.byGroup) },
    _totals: { errors: counts.errors, notes: counts.notes },
  };
}

function flatten(byGroup: PlanCounts["byGroup"]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [g, v] of Object.entries(byGroup)) {
    for (const [a, n] of Object.entries(v)) {
      out[`${g}.${a}`] = n;
    }
  }
  return out;
}

/** The report of a batch as stored. */
export async function report(
  db: LmsDb,
  batchId: number,
  resumed: boolean,
  extra: { counts?: PlanCounts; message?: string },
): Promise<SyncReport> {
  const [b] = await db.select().from(batches).where(eq(batches.id, batchId));
  if (!b) {
    throw new SyncError("NOT_FOUND", `there is no batch ${batchId}`);
  }
  const cols = await db.select().from(batchCollections).where(eq(batchCollections.batchId, batchId));
  const errors = await db.select({ id: batchErrors.id }).from(batchErrors).where(eq(batchErrors.batchId, batchId));
  return {
    batchId,
    status: b.status,
    mode: b.mode,
    ...(b.since ? { since: b.since.toISOString() } : {}),
    resumed: resumed || b.resumedCount > 0,
    ...(extra.counts ? { counts: extra.counts } : {}),
    holdReasons: b.holdReasons ?? [],
    errors: errors.length,
    warnings: b.warnings ?? [],
    collections: cols.map((c) => ({
      collection: c.collection,
      records: c.records,
      complete: c.complete,
      ms: Math.round(c.ms),
    })),
    timings: Object.fromEntries(Object.entries(b.timings ?? {}).map(([k, v]) => [k, Math.round(v)])),
    ...(extra.message ? { message: extra.message } : b.error ? { message: b.error } : {}),
  };
}
