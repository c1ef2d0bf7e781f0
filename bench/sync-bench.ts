// The sync figure (issue 7, item 11): a provider child on Postgres seeded with a preset, and the consumer's runSync in
// its own child on a scratch Postgres store. Each run measures a full sync, the ceiling of the same run (fetching
// every page of the same six collections through the same client kit, plus a raw COPY of the rows the sync wrote
// into the LMS tables of a fresh store), then a delta sync after the district clock churns ~1 % of the records.
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { Connection } from "../consumer/config.js";
import type { AdvanceSummary } from "../seed/clock.js";
import type { SizeName } from "../seed/presets.js";
import { spawnChild } from "./child.js";
import type { ProviderInfo } from "./provider-process.js";
import { openScratchDb, type ScratchDb } from "./scratch-db.js";
import type { SyncJob, SyncJobResult } from "./sync-process.js";
import { type JobFigure, nextChurnRate, type SyncFigure, type SyncRun, summarizeSync } from "./sync-report.js";

export interface SyncBenchOptions {
  /** The environment each child process gets (read once by bench/run.ts). */
  childEnv: NodeJS.ProcessEnv;
  /** A Postgres server where scratch databases may be created and dropped. */
  databaseUrl: string;
  sizes: SizeName[];
  /** Runs per size; `largeRuns` for `large`, whose runs take minutes each. */
  runs: number;
  largeRuns: number;
  /** Churn rate of the first advance; later ones are corrected toward `churnTarget` of users + enrollments. */
  churnRate: number;
  churnTarget: number;
  /** Write DIR/sync-<size>-<full|delta>.cpuprofile of the last run's consumer children. */
  profileDir?: string;
  log: (line: string) => void;
}

export interface SyncBenchResult {
  figures: SyncFigure[];
  raw: { size: SizeName; seedMs: number; seededRows: number; runs: SyncRun[] }[];
}

/** The LMS tables the COPY ceiling fills (the tables a sync's apply writes, beside its own bookkeeping). */
export const LMS_DATA_TABLES = ["org_units", "org_unit_parents", "users", "parent_links", "enrollments"] as const;

/** Share of users + enrollments a 1 % churn should touch. */
export const CHURN_TARGET = 0.01;
/** A district-clock churn rate that touches about 1 % of users + enrollments in one school day (measured). */
export const DEFAULT_CHURN_RATE = 0.0025;

const figureOf = (r: SyncJobResult): JobFigure => ({ ms: r.ms, peakRssMb: r.peakRssMb, records: r.records });

/** Runs one job in a fresh child process and returns its result (the child exits afterwards). */
async function runJob(
  job: SyncJob,
  log: (line: string) => void,
  tag: string,
  env: NodeJS.ProcessEnv,
): Promise<SyncJobResult> {
  log(`${tag}: ${job.mode === "sync" ? (job.full ? "full sync" : "delta sync") : `${job.mode} ceiling`}...`);
  const child = await spawnChild<SyncJobResult>({
    script: "./sync-process.ts",
    input: JSON.stringify(job),
    env,
    timeoutMs: 3_600_000,
  });
  await child.stop();
  return child.info;
}

/** A column as one field of COPY text format: backslash, newline, carriage return and tab escaped; NULL as \N. */
function copyField(column: string): string {
  const text = `"${column}"::text`;
  return `coalesce(replace(replace(replace(replace(${text}, '\\', '\\\\'), E'\\n', '\\n'), E'\\r', '\\r'), E'\\t', '\\t'), '\\N')`;
}

/**
 * Dumps the LMS data tables of a store as COPY text files (not timed): the rows the COPY ceiling writes. Each line is
 * built in SQL and read with a cursor, not with `COPY … TO STDOUT`: postgres.js can leave its socket paused after a
 * large COPY out (the stream pauses the socket when its buffer is full and never resumes it once the copy has
 * ended), which hangs the next query on that connection.
 */
async function dumpLmsTables(lmsUrl: string, dir: string): Promise<void> {
  const sql = postgres(lmsUrl, { max: 1, onnotice: () => {} });
  try {
    for (const table of LMS_DATA_TABLES) {
      const columns = await sql<{ name: string }[]>`
        SELECT column_name AS name FROM information_schema.columns
        WHERE table_schema = 'lms' AND table_name = ${table} ORDER BY ordinal_position`;
      const line = `concat_ws(E'\\t', ${columns.map((c) => copyField(c.name)).join(", ")})`;
      const file = createWriteStream(join(dir, `${table}.copy`));
      await sql.unsafe(`SELECT ${line} AS line FROM lms.${table}`).cursor(5000, async (rows) => {
        if (!file.write(rows.map((r) => `${r.line}\n`).join(""))) {
          await once(file, "drain");
        }
      });
      file.end();
      await once(file, "finish");
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** An instant no earlier than any stamp the district clock has written, nor than now. */
async function instantBeforeAdvance(info: ProviderInfo): Promise<string> {
  const res = await fetch(`${info.origin}/admin/clock`, { headers: { authorization: `Bearer ${info.adminToken}` } });
  const status = (await res.json()) as { lastStamp?: string };
  if (res.status !== 200) {
    throw new Error(`GET /admin/clock answered ${res.status}`);
  }
  return new Date(Math.max(Date.now(), status.lastStamp ? Date.parse(status.lastStamp) : 0)).toISOString();
}

/** Advances the provider's district clock one day through its admin API, at the given churn rate. */
async function advanceClock(info: ProviderInfo, churnRate: number): Promise<AdvanceSummary> {
  const res = await fetch(`${info.origin}/admin/clock/advance`, {
    method: "POST",
    headers: { authorization: `Bearer ${info.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ days: 1, churnRate }),
  });
  const text = await res.text();
  if (res.status !== 200) {
    throw new Error(`POST /admin/clock/advance answered ${res.status}: ${text.slice(0, 300)}`);
  }
  return JSON.parse(text) as AdvanceSummary;
}

function checkSync(result: SyncJobResult, what: string): void {
  if (result.status !== "completed" && result.status !== "completed_with_errors") {
    throw new Error(`the ${what} sync ended ${result.status}; the bench needs an applied batch`);
  }
}

async function benchSize(
  size: SizeName,
  options: SyncBenchOptions,
  churn: { rate: number },
): Promise<SyncBenchResult["raw"][number]> {
  const { log } = options;
  const suffix = `${process.pid}`;
  let providerDb: ScratchDb | undefined;
  let provider: Awaited<ReturnType<typeof spawnChild<ProviderInfo>>> | undefined;
  const dir = await mkdtemp(join(tmpdir(), "rl-bench-sync-"));
  try {
    providerDb = await openScratchDb(options.databaseUrl, `rosterlab_bench_sync_${suffix}_provider`);
    log(`[sync ${size}] seeding the provider (Postgres, page cache off)...`);
    provider = await spawnChild<ProviderInfo>({
      script: "./provider-process.ts",
      args: ["--size", size, "--database-url", providerDb.url, "--no-page-cache", "--district-clock"],
      env: options.childEnv,
      timeoutMs: 3_600_000,
    });
    const info = provider.info;
    log(`[sync ${size}] provider pid ${provider.pid}: ${info.seededRows} rows seeded in ${info.seedMs} ms`);
    const connection: Connection = {
      baseUrl: info.baseUrl,
      tokenUrl: info.tokenUrl,
      clientId: info.clientId,
      clientSecret: info.clientSecret,
    };
    const runs: SyncRun[] = [];
    const count = size === "large" ? options.largeRuns : options.runs;
    for (let run = 0; run < count; run++) {
      const last = run === count - 1;
      const tag = `[sync ${size}] run ${run + 1}/${count}`;
      const profile = (phase: string) =>
        options.profileDir && last ? { cpuProfile: join(options.profileDir, `sync-${size}-${phase}.cpuprofile`) } : {};
      const lms = await openScratchDb(options.databaseUrl, `rosterlab_bench_sync_${suffix}_lms`);
      const copyDb = await openScratchDb(options.databaseUrl, `rosterlab_bench_sync_${suffix}_copy`);
      try {
        // Alternate which side goes first, so drift (autovacuum, other load) does not favour one side.
        let full: SyncJobResult | undefined;
        let fetched: SyncJobResult | undefined;
        for (const which of run % 2 === 0 ? ["full", "fetch"] : ["fetch", "full"]) {
          if (which === "full") {
            full = await runJob(
              { mode: "sync", lmsUrl: lms.url, connection, full: true, ...profile("full") },
              log,
              tag,
              options.childEnv,
            );
            checkSync(full, "full");
          } else {
            fetched = await runJob({ mode: "fetch", connection }, log, tag, options.childEnv);
          }
        }
        if (!full || !fetched) {
          throw new Error("a run lost a measurement");
        }
        log(`${tag}: dumping the synced LMS tables for the COPY ceiling...`);
        await dumpLmsTables(lms.url, dir);
        const copied = await runJob({ mode: "copy", lmsUrl: copyDb.url, dir }, log, tag, options.childEnv);
        // The delta reads from just before the churn. (The engine's own `since`, the last run's start minus a
        // 120 s overlap, would reach into the previous run's churn and read two churns.) A large advance stamps its
        // changes 1 ms apart and may run ahead of the wall clock, so "before" is the later of now and its last stamp.
        const since = await instantBeforeAdvance(info);
        log(`${tag}: advancing the district clock one day at churn rate ${churn.rate}...`);
        const advance = await advanceClock(info, churn.rate);
        const touched = advance.changed.users + advance.changed.enrollments;
        const of = (full.collections?.users ?? 0) + (full.collections?.enrollments ?? 0);
        const delta = await runJob(
          { mode: "sync", lmsUrl: lms.url, connection, full: false, since, ...profile("delta") },
          log,
          tag,
          options.childEnv,
        );
        checkSync(delta, "delta");
        if (delta.syncMode !== "delta") {
          throw new Error(`the delta run was a ${delta.syncMode} run`);
        }
        const result: SyncRun = {
          full: figureOf(full),
          fetch: figureOf(fetched),
          copy: figureOf(copied),
          delta: figureOf(delta),
          churn: { rate: churn.rate, touched, of },
        };
        runs.push(result);
        log(
          `${tag}: full ${(full.ms / 1000).toFixed(2)} s (${full.records} records, ${full.peakRssMb} MB)` +
            ` | ceiling fetch ${(fetched.ms / 1000).toFixed(2)} s + copy ${(copied.ms / 1000).toFixed(2)} s (${copied.records} rows)` +
            ` | ratio ${(full.ms / (fetched.ms + copied.ms)).toFixed(2)}` +
            ` | churn ${churn.rate} touched ${((touched / of) * 100).toFixed(2)} %` +
            ` | delta ${(delta.ms / 1000).toFixed(2)} s (${delta.records} records, ${delta.peakRssMb} MB) = ${((delta.ms / full.ms) * 100).toFixed(1)} % of full` +
            ` | engine full ${JSON.stringify(full.timings)} delta ${JSON.stringify(delta.timings)}`,
        );
        churn.rate = nextChurnRate(churn.rate, of > 0 ? touched / of : 0, options.churnTarget);
      } finally {
        await copyDb.drop();
        await lms.drop();
      }
    }
    return { size, seedMs: info.seedMs, seededRows: info.seededRows, runs };
  } finally {
    await provider?.stop();
    await providerDb?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the sync figure for every size, smallest first; returns the medians and every run. */
export async function runSyncBench(options: SyncBenchOptions): Promise<SyncBenchResult> {
  const raw: SyncBenchResult["raw"] = [];
  const churn = { rate: options.churnRate };
  for (const size of options.sizes) {
    raw.push(await benchSize(size, options, churn));
  }
  return { figures: raw.map((r) => summarizeSync(r.size, r.runs)), raw };
}
