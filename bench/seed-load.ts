// Seed-load benchmark (issue 3, item 8): loads a preset into a scratch Postgres database and into PGlite,
// measuring rows/s, wall time and peak RSS, against a ceiling measured in the same run: raw COPY of the very
// same rows into identical tables. runSeedLoadBench() is called by `npm run bench`; runnable alone with tsx.

import { once } from "node:events";
import { createReadStream, createWriteStream, openAsBlob } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { generateDistrict } from "../seed/generate.js";
import { parseGeneratorOptions } from "../seed/generator-options.js";
import { copyLine, copyStatement, qualifiedTableName } from "../seed/load.js";
import type { SizeName } from "../seed/presets.js";
import { emptyEdgeCounts, TABLE_NAMES, type TableName } from "../seed/rows.js";
import { seedDatabase } from "../seed/seed-database.js";
import { type DbHandle, openDb } from "../server/db/client.js";
import { migrateDb } from "../server/db/migrate.js";

export interface SeedLoadBenchOptions {
  /** A Postgres server where a scratch database may be created and dropped (default TEST/BENCH env or local). */
  postgresUrl?: string;
  /** Presets for both backends; default: demo, district and large on Postgres (to show flat memory), district on PGlite. */
  sizes?: SizeName[];
  seed?: number;
  backends?: ("postgres" | "pglite")[];
  log?: (line: string) => void;
}

export interface SeedLoadBenchRow {
  backend: "postgres" | "pglite";
  preset: SizeName;
  rows: number;
  seconds: number;
  rowsPerSec: number;
  /** Raw COPY of the same rows into identical tables, same run. */
  ceilingRowsPerSec: number;
  ratio: number;
  /** Peak resident set size of this process during the load. */
  peakRssMb: number;
}

/** Samples RSS every 20 ms until stopped; returns the peak in MB. */
function rssSampler(): () => number {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return () => {
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    return Math.round(peak / 1e6);
  };
}

const CEILING_SCHEMA = "bench_ceiling";

/** Writes the preset's rows as COPY text, one file per table (not timed). */
async function writeCopyFiles(dir: string, preset: SizeName, seed: number): Promise<void> {
  const files = new Map(TABLE_NAMES.map((t) => [t, createWriteStream(join(dir, t))]));
  const buffers = new Map<TableName, string>(TABLE_NAMES.map((t) => [t, ""]));
  const flush = async (t: TableName) => {
    const file = files.get(t);
    const text = buffers.get(t) ?? "";
    buffers.set(t, "");
    if (file && text.length > 0 && !file.write(text)) {
      await once(file, "drain");
    }
  };
  for (const item of generateDistrict(parseGeneratorOptions({ seed, size: preset }), emptyEdgeCounts())) {
    if ("progress" in item) {
      continue;
    }
    const text = (buffers.get(item.table) ?? "") + copyLine(item.table, item.row as Record<string, unknown>);
    buffers.set(item.table, text);
    if (text.length > 1 << 20) {
      await flush(item.table);
    }
  }
  for (const t of TABLE_NAMES) {
    await flush(t);
    const file = files.get(t);
    file?.end();
    if (file) {
      await once(file, "finish");
    }
  }
}

function ceilingTables(): string {
  return TABLE_NAMES.map((t) => {
    const src = qualifiedTableName(t);
    const name = src.split(".")[1] ?? "";
    return `CREATE TABLE "${CEILING_SCHEMA}".${name} (LIKE ${src} INCLUDING ALL);`;
  }).join("\n");
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function timeLoad(
  handle: DbHandle,
  preset: SizeName,
  seed: number,
): Promise<{ rows: number; seconds: number; peakRssMb: number }> {
  globalThis.gc?.();
  const stop = rssSampler();
  const started = performance.now();
  const summary = await seedDatabase(handle, { seed, size: preset, fingerprint: false, reset: true });
  const seconds = (performance.now() - started) / 1000;
  return { rows: summary.totalRows, seconds, peakRssMb: stop() };
}

async function benchPostgres(
  serverUrl: string,
  preset: SizeName,
  seed: number,
  log: (s: string) => void,
): Promise<SeedLoadBenchRow> {
  const dbName = `rl_bench_seed_${process.pid}`;
  const admin = await openDb(serverUrl, { max: 1 });
  await admin.exec(`DROP DATABASE IF EXISTS "${dbName}"`);
  await admin.exec(`CREATE DATABASE "${dbName}"`);
  const url = withDatabase(serverUrl, dbName);
  const dir = await mkdtemp(join(tmpdir(), "rl-bench-"));
  try {
    const handle = await openDb(url, { max: 2 });
    let load: { rows: number; seconds: number; peakRssMb: number };
    try {
      await migrateDb(handle);
      log(`postgres ${preset}: loading…`);
      load = await timeLoad(handle, preset, seed);
    } finally {
      await handle.close();
    }
    // Ceiling: the very same rows, serialized to COPY text before the clock starts, COPY'd raw into identical
    // tables (same columns, indexes and constraints) in one transaction.
    await writeCopyFiles(dir, preset, seed);
    const raw = await openDb(url, { max: 1 });
    try {
      await raw.exec(`CREATE SCHEMA "${CEILING_SCHEMA}"; ${ceilingTables()}`);
      const started = performance.now();
      await raw.db.transaction(async () => {
        for (const t of TABLE_NAMES) {
          if ((await stat(join(dir, t))).size === 0) {
            continue;
          }
          const file = createReadStream(join(dir, t), { highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array>;
          await raw.copyFrom(copyStatement(t, CEILING_SCHEMA), file);
        }
      });
      return benchRow("postgres", preset, load, (performance.now() - started) / 1000);
    } finally {
      await raw.close();
    }
  } finally {
    await admin.exec(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => {});
    await admin.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One result row: the load's rows/s against the ceiling's, over the same rows. */
function benchRow(
  backend: SeedLoadBenchRow["backend"],
  preset: SizeName,
  load: { rows: number; seconds: number; peakRssMb: number },
  ceilingSeconds: number,
): SeedLoadBenchRow {
  const rowsPerSec = Math.round(load.rows / load.seconds);
  const ceilingRowsPerSec = Math.round(load.rows / ceilingSeconds);
  return {
    backend,
    preset,
    rows: load.rows,
    seconds: Math.round(load.seconds * 100) / 100,
    rowsPerSec,
    ceilingRowsPerSec,
    ratio: Math.round((rowsPerSec / ceilingRowsPerSec) * 100) / 100,
    peakRssMb: load.peakRssMb,
  };
}

async function benchPglite(preset: SizeName, seed: number, log: (s: string) => void): Promise<SeedLoadBenchRow> {
  const dir = await mkdtemp(join(tmpdir(), "rl-bench-"));
  const handle = await openDb("memory:");
  try {
    await migrateDb(handle);
    log(`pglite ${preset}: loading…`);
    const load = await timeLoad(handle, preset, seed);
    // Ceiling: the same rows as COPY text, through the handle's COPY (PGlite reads a blob) into identical tables.
    await writeCopyFiles(dir, preset, seed);
    await handle.exec(`CREATE SCHEMA "${CEILING_SCHEMA}"; ${ceilingTables()}`);
    const blobs: [TableName, Blob][] = [];
    for (const t of TABLE_NAMES) {
      if ((await stat(join(dir, t))).size > 0) {
        blobs.push([t, await openAsBlob(join(dir, t))]);
      }
    }
    const started = performance.now();
    await handle.db.transaction(async () => {
      for (const [t, blob] of blobs) {
        await handle.copyFrom(copyStatement(t, CEILING_SCHEMA), blob);
      }
    });
    return benchRow("pglite", preset, load, (performance.now() - started) / 1000);
  } finally {
    await handle.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the seed-load benchmark; Postgres rows need a server URL. */
export async function runSeedLoadBench(options: SeedLoadBenchOptions = {}): Promise<SeedLoadBenchRow[]> {
  const log = options.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const pgSizes = options.sizes ?? ["demo", "district", "large"];
  const pgliteSizes = options.sizes ?? ["district"];
  const backends = options.backends ?? ["postgres", "pglite"];
  const seed = options.seed ?? 1;
  const out: SeedLoadBenchRow[] = [];
  // Postgres first: PGlite keeps its whole database in this process's memory, which would hide our own peak.
  if (backends.includes("postgres")) {
    if (!options.postgresUrl) {
      log("postgres: skipped (no server URL)");
    } else {
      for (const size of pgSizes) {
        out.push(await benchPostgres(options.postgresUrl, size, seed, log));
      }
    }
  }
  if (backends.includes("pglite")) {
    for (const size of pgliteSizes) {
      out.push(await benchPglite(size, seed, log));
    }
  }
  return out;
}

export function formatSeedLoadBench(rows: SeedLoadBenchRow[]): string {
  const head = "backend   preset      rows   seconds   rows/s  ceiling rows/s  ratio  peak RSS MB";
  const lines = rows.map(
    (r) =>
      `${r.backend.padEnd(9)} ${r.preset.padEnd(9)} ${String(r.rows).padStart(8)} ${r.seconds.toFixed(2).padStart(8)} ${String(r.rowsPerSec).padStart(8)} ${String(r.ceilingRowsPerSec).padStart(15)} ${r.ratio.toFixed(2).padStart(6)} ${String(r.peakRssMb).padStart(12)}`,
  );
  return [head, ...lines].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  // Standalone: BENCH_DATABASE_URL (or TEST_DATABASE_URL) names the Postgres server; presets and backends from
  // argv, e.g. `npx tsx bench/seed-load.ts district postgres`.
  const url =
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const sizes = process.argv.slice(2).filter((a): a is SizeName => ["tiny", "demo", "district", "large"].includes(a));
  const backends = process.argv.slice(2).filter((a): a is "postgres" | "pglite" => a === "postgres" || a === "pglite");
  const rows = await runSeedLoadBench({
    postgresUrl: url,
    ...(sizes.length > 0 ? { sizes } : {}),
    ...(backends.length > 0 ? { backends } : {}),
  });
  process.stdout.write(`${formatSeedLoadBench(rows)}\n${JSON.stringify(rows)}\n`);
}
