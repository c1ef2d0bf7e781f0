// Bench child of the sync figure: one measured job per process, so each peak RSS is that job's alone. Reads its job
// as one JSON line on stdin (credentials stay out of argv), runs it, and reports wall time and peak RSS on its ready
// line: a consumer `runSync` (full or delta), the fetch ceiling (every page through the client kit, nothing else),
// or the COPY ceiling (raw COPY of dumped rows into the LMS tables of a fresh store).
import { once } from "node:events";
import { createReadStream, writeFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import postgres from "postgres";
import { CALL_ORDER } from "../consumer/collections.js";
import { type Connection, resolveSettings } from "../consumer/config.js";
import { runSync } from "../consumer/run.js";
import { openLmsStore } from "../consumer/store/open.js";
import { OneRosterClient } from "../oneroster/client/index.js";
import { announceReady, readInputLine } from "./child.js";
import { LMS_DATA_TABLES } from "./sync-bench.js";

export type SyncJob =
  | { mode: "sync"; lmsUrl: string; connection: Connection; full: boolean; since?: string; cpuProfile?: string }
  | { mode: "fetch"; connection: Connection; cpuProfile?: string }
  | { mode: "copy"; lmsUrl: string; dir: string };

export interface SyncJobResult {
  mode: SyncJob["mode"];
  /** Wall time of the measured part only (not process start, module loading or opening the store). */
  ms: number;
  /** Peak resident set size of this process over its whole life (getrusage ru_maxrss). */
  peakRssMb: number;
  /** Records fetched (fetch), rows copied (copy), or records staged (sync). */
  records: number;
  /** sync only: records staged per collection. */
  collections?: Record<string, number>;
  /** sync only: the batch's status, mode, plan counts by entity and the engine's own phase timings. */
  status?: string;
  syncMode?: string;
  counts?: Record<string, Record<string, number>>;
  errors?: number;
  timings?: Record<string, number>;
}

/** Profiles `fn` only (not start-up) when a file is named, writing a .cpuprofile there. */
async function profiled<T>(file: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (!file) {
    return fn();
  }
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.start");
  try {
    return await fn();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function runSyncJob(job: Extract<SyncJob, { mode: "sync" }>): Promise<SyncJobResult> {
  const store = await openLmsStore(job.lmsUrl);
  try {
    const settings = resolveSettings({ profile: "brightspace" });
    const started = performance.now();
    const report = await profiled(job.cpuProfile, () =>
      runSync({
        store,
        connection: job.connection,
        settings,
        startedBy: "bench",
        ...(job.full ? { full: true } : {}),
        ...(job.since ? { since: new Date(job.since) } : {}),
      }),
    );
    const ms = performance.now() - started;
    const counts: Record<string, Record<string, number>> = { ...(report.counts?.byEntity ?? {}) };
    return {
      mode: "sync",
      ms,
      peakRssMb: peakRssMb(),
      records: report.collections.reduce((n, c) => n + c.records, 0),
      collections: Object.fromEntries(report.collections.map((c) => [c.collection, c.records])),
      status: report.status,
      ...(report.mode ? { syncMode: report.mode } : {}),
      counts,
      errors: report.errors,
      timings: report.timings,
    };
  } finally {
    await store.close();
  }
}

/** The fetch ceiling: the same collections, page size and client kit as a sync, with the records dropped. */
async function runFetchJob(job: Extract<SyncJob, { mode: "fetch" }>): Promise<SyncJobResult> {
  const settings = resolveSettings({ profile: "brightspace" });
  const client = new OneRosterClient({
    ...job.connection,
    timeoutMs: settings.fetch.timeoutMs,
    retries: settings.fetch.retries,
    concurrency: settings.fetch.concurrency,
  });
  let records = 0;
  const started = performance.now();
  await profiled(job.cpuProfile, async () => {
    for (const collection of CALL_ORDER) {
      for await (const page of client.pages({
        path: collection.path,
        envelope: collection.envelope,
        pageSize: settings.fetch.pageSize,
      })) {
        records += page.records.length;
      }
    }
  });
  return { mode: "fetch", ms: performance.now() - started, peakRssMb: peakRssMb(), records };
}

/** The COPY ceiling: files of COPY text (one per LMS table) into a freshly migrated store, in one transaction. */
async function runCopyJob(job: Extract<SyncJob, { mode: "copy" }>): Promise<SyncJobResult> {
  const store = await openLmsStore(job.lmsUrl); // migrates the scratch store: the real lms tables and indexes
  await store.close();
  const sql = postgres(job.lmsUrl, { max: 1, onnotice: () => {} });
  try {
    const started = performance.now();
    await sql.begin(async (tx) => {
      for (const table of LMS_DATA_TABLES) {
        const file = join(job.dir, `${table}.copy`);
        if ((await stat(file)).size === 0) {
          continue;
        }
        const writable = await tx.unsafe(`COPY lms.${table} FROM STDIN`).writable();
        for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
          if (!writable.write(chunk as Buffer)) {
            await once(writable, "drain");
          }
        }
        writable.end();
        await once(writable, "finish");
      }
    });
    const ms = performance.now() - started;
    const counted = await sql.unsafe(
      LMS_DATA_TABLES.map((t) => `SELECT count(*)::int AS n FROM lms.${t}`).join(" UNION ALL "),
    );
    const rows = counted.reduce((n, r) => n + Number(r.n), 0);
    return { mode: "copy", ms, peakRssMb: peakRssMb(), records: rows };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const job = JSON.parse(await readInputLine()) as SyncJob;
const result =
  job.mode === "sync" ? await runSyncJob(job) : job.mode === "fetch" ? await runFetchJob(job) : await runCopyJob(job);
announceReady(result, async () => {});
