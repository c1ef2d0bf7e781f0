// Fetching: reads each collection page by page through the client kit and stages it in the batch's staging
// tables. A page's records and the cursor after it commit in one transaction, so a killed run resumes at the next
// page with nothing doubled (staged rows are keyed by batch, collection and sourcedId). Touches only staging tables.
import { and, eq, sql } from "drizzle-orm";
import pLimit from "p-limit";
import { checkRecord, type OneRosterClient } from "../../oneroster/client/index.js";
import { CALL_ORDER, type CollectionName, type SyncCollection } from "../collections.js";
import { bulkInsert } from "../store/bulk.js";
import type { LmsDb } from "../store/open.js";
import { batchCollections, batchErrors, stagedRecords } from "../store/schema.js";

export interface StageProgress {
  collection: CollectionName;
  records: number;
  total?: number;
  done: boolean;
}

export interface StageOptions {
  db: LmsDb;
  client: OneRosterClient;
  batchId: number;
  pageSize: number;
  /** Delta runs: only records changed after this instant. */
  since?: Date;
  onProgress?: (p: StageProgress) => void;
  /** Stops between pages (tests kill a run this way; the cursor of the last committed page stays). */
  signal?: AbortSignal;
  now: () => Date;
}

export interface StagedCollection {
  collection: CollectionName;
  records: number;
  /** Read to the end in one consistent pass (X-Total-Count stable) and not empty: safe for missing-deletes. */
  complete: boolean;
  empty: boolean;
  unstable: boolean;
  warnings: string[];
}

/** Staged records from which a batch refreshes the table's statistics before planning reads them back. */
const ANALYZE_AFTER = 10_000;

/** Fields never staged or stored, whatever a provider sends (a user's password). */
const SECRET_FIELDS = new Set(["password"]);

function withoutSecrets(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (!SECRET_FIELDS.has(k)) {
      out[k] = v;
    }
  }
  return out;
}

/** The filter of a delta read (notes §8): records modified after `since`, tombstones included. */
export function deltaFilter(since: Date): string {
  return `dateLastModified>'${since.toISOString()}'`;
}

/**
 * Collections staged at once: one collection's next page is fetched while another's is written, so the network and
 * the store overlap. Each keeps its own cursor, so a killed run still resumes each where it stopped.
 */
const PARALLEL_COLLECTIONS = 3;

/**
 * Pages with the next one already on its way: while a page is checked and written, the following request is in
 * flight. Cursors are unaffected (a page's cursor commits with its records); a page fetched ahead of a killed run is
 * simply fetched again by the next one.
 */
async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const result = await next;
      if (result.done) {
        return;
      }
      next = iterator.next();
      // Seen by the next await; until then, a failure must not count as unhandled (the caller may stop first).
      next.catch(() => {});
      yield result.value;
    }
  } finally {
    // Settle the request in flight before giving the iterator back (a stopped walk leaves nothing running).
    await next.catch(() => undefined);
    await iterator.return?.();
  }
}

/** Stages every collection of the call order that is not staged completely yet; answers them in call order. */
export async function stageCollections(options: StageOptions): Promise<StagedCollection[]> {
  const limit = pLimit(PARALLEL_COLLECTIONS);
  // The first failure stops the others at their next page (and any not started), and is what the caller sees once
  // every collection has settled: nothing keeps writing after this returns.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const failures: unknown[] = [];
  const staged = await Promise.all(
    CALL_ORDER.map((collection) =>
      limit(async () => {
        if (signal.aborted) {
          return undefined;
        }
        try {
          return await stageCollection({ ...options, signal }, collection);
        } catch (error) {
          failures.push(error);
          stop.abort();
          return undefined;
        }
      }),
    ),
  );
  if (failures.length > 0 || options.signal?.aborted) {
    // The first real failure, not the aborts it caused in the others.
    throw failures.find((e) => !(signal.aborted && e === signal.reason)) ?? failures[0] ?? options.signal?.reason;
  }
  const out = staged as StagedCollection[];
  if (out.reduce((n, c) => n + c.records, 0) >= ANALYZE_AFTER) {
    // Fresh statistics before planning pages through the staged rows in sourcedId order: with none (autovacuum has
    // not caught up yet) the planner guesses a few rows and sorts every remaining row for each chunk it reads.
    await options.db.execute(sql`ANALYZE ${stagedRecords}`);
  }
  return out;
}

async function stageCollection(options: StageOptions, collection: SyncCollection): Promise<StagedCollection> {
  const { db, batchId } = options;
  const key = and(eq(batchCollections.batchId, batchId), eq(batchCollections.collection, collection.name));
  let [state] = await db.select().from(batchCollections).where(key);
  if (!state) {
    [state] = await db
      .insert(batchCollections)
      .values({ batchId, collection: collection.name, cursor: { offset: 0, pages: 0 } })
      .returning();
  }
  if (!state) {
    throw new Error("could not create the collection's cursor row");
  }
  const warnings = new Set<string>(state.warnings);
  let records = state.records;
  if (!state.complete) {
    const started = performance.now();
    let ms = state.ms;
    const query = options.since ? { filter: deltaFilter(options.since) } : {};
    const pages = options.client.pages({
      path: collection.path,
      envelope: collection.envelope,
      pageSize: options.pageSize,
      query,
      start: state.cursor,
    });
    for await (const page of readAhead(pages)) {
      options.signal?.throwIfAborted();
      for (const w of page.warnings) {
        warnings.add(w);
      }
      const valid: { sourcedId: string; record: Record<string, unknown> }[] = [];
      const invalid: { sourcedId?: string; message: string; record: Record<string, unknown> }[] = [];
      for (const raw of page.records) {
        const record = raw && typeof raw === "object" ? withoutSecrets(raw as Record<string, unknown>) : {};
        const checked = checkRecord<Record<string, unknown>>(collection.entity, record, { lenient: true });
        const id = typeof record.sourcedId === "string" ? record.sourcedId : undefined;
        if (checked.value && id) {
          valid.push({ sourcedId: id, record: withoutSecrets(checked.value) });
        } else {
          invalid.push({
            ...(id ? { sourcedId: id } : {}),
            message: checked.problems.join("; ") || "record without a sourcedId",
            record,
          });
        }
      }
      records += page.records.length;
      ms += performance.now() - started;
      const done = page.next === undefined;
      await db.transaction(async (tx) => {
        if (valid.length > 0) {
          await bulkInsert(
            tx,
            stagedRecords,
            valid.map((v) => ({ batchId, collection: collection.name, ...v })),
            {
              onConflict: sql.raw(
                'ON CONFLICT ("batch_id", "collection", "sourced_id") DO UPDATE SET "record" = excluded."record"',
              ),
            },
          );
        }
        if (invalid.length > 0) {
          await bulkInsert(
            tx,
            batchErrors,
            invalid.map((e) => ({
              batchId,
              collection: collection.name,
              sourcedId: e.sourcedId ?? null,
              code: "SCHEMA_MISMATCH",
              message: e.message,
              record: e.record,
              at: options.now(),
            })),
          );
        }
        await tx
          .update(batchCollections)
          .set({
            cursor: page.after,
            complete: done,
            records,
            total: page.total ?? null,
            warnings: [...warnings],
            ms,
          })
          .where(key);
      });
      options.onProgress?.({
        collection: collection.name,
        records,
        ...(page.total !== undefined ? { total: page.total } : {}),
        done,
      });
    }
    [state] = await db.select().from(batchCollections).where(key);
    if (!state) {
      throw new Error("the collection's cursor row vanished");
    }
  } else {
    options.onProgress?.({
      collection: collection.name,
      records,
      ...(state.total !== null ? { total: state.total } : {}),
      done: true,
    });
  }
  const unstable = state.cursor.unstable === true;
  return {
    collection: collection.name,
    records,
    complete: state.complete && !unstable,
    empty: records === 0,
    unstable,
    warnings: [...warnings],
  };
}
