// Start-up snapshots of the seeded embedded database: after a first seed, `serve` keeps the PGlite data directory
// (a tarball) with a manifest of what it holds; a later start with the same key restores it instead of seeding.
// The key is every input of the rows (generator options and version), the migration set and the engine release.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, openAsBlob } from "node:fs";
import { mkdir, open as openFile, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { DbHandle } from "../server/db/client.js";
import { dataTables } from "../server/db/schema.js";
import { GENERATOR_VERSION, type GeneratorOptions } from "./generator-options.js";
import { TABLE_NAMES, type TableName } from "./rows.js";

const SnapshotKeySchema = z.object({
  generatorVersion: z.number(),
  seed: z.number(),
  size: z.string(),
  asOf: z.string(),
  locale: z.string(),
  clean: z.boolean(),
  counts: z.record(z.string(), z.number()),
  migrations: z.string(),
  engine: z.string(),
});
/** What a snapshot was taken under; any field that differs makes it unusable. */
export type SnapshotKey = z.infer<typeof SnapshotKeySchema>;

const ManifestSchema = z.object({
  format: z.literal(1),
  key: SnapshotKeySchema,
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  rows: z.record(z.string(), z.number().int().min(0)),
  createdAt: z.string(),
});
type Manifest = z.infer<typeof ManifestSchema>;

const MANIFEST = "snapshot.json";
const DATA = "snapshot.tar";

/** The key of the district `options` describes, under this build's migrations and engine. */
export function snapshotKey(
  options: GeneratorOptions,
  build: { migrations: string; engine: string; generatorVersion?: number },
): SnapshotKey {
  const counts = Object.fromEntries(
    Object.entries(options.counts)
      .filter((entry): entry is [string, number] => entry[1] !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return {
    generatorVersion: build.generatorVersion ?? GENERATOR_VERSION,
    seed: options.seed,
    size: options.size,
    asOf: options.asOf,
    locale: options.locale,
    clean: options.clean,
    counts,
    migrations: build.migrations,
    engine: build.engine,
  };
}

/** The fields in which a snapshot's key differs from the wanted one, as `field X (now Y)`; empty when it matches. */
export function keyDifferences(stored: SnapshotKey, wanted: SnapshotKey): string[] {
  const show = (v: unknown) => (typeof v === "object" ? JSON.stringify(v) : String(v));
  return (Object.keys(wanted) as (keyof SnapshotKey)[])
    .filter((field) => show(stored[field]) !== show(wanted[field]))
    .map((field) => `${field} ${show(stored[field])} (now ${show(wanted[field])})`);
}

/** One line naming the district a key describes. */
export function describeKey(key: SnapshotKey): string {
  const overrides = Object.keys(key.counts).length > 0 ? `, counts ${JSON.stringify(key.counts)}` : "";
  return `${key.size} district (seed ${key.seed}, as of ${key.asOf.slice(0, 10)}, ${key.locale}${key.clean ? ", clean" : ""}${overrides})`;
}

async function rowCounts(handle: DbHandle): Promise<Record<TableName, number>> {
  const out = {} as Record<TableName, number>;
  for (const t of TABLE_NAMES) {
    const [row] = await handle.db.select({ n: sql<number>`count(*)::int` }).from(dataTables[t]);
    out[t] = Number(row?.n ?? 0);
  }
  return out;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

/** True when the file starts with a POSIX tar header (the "ustar" magic at byte 257). */
async function isTarball(path: string): Promise<boolean> {
  const file = await openFile(path, "r");
  try {
    const header = Buffer.alloc(512);
    const { bytesRead } = await file.read(header, 0, 512, 0);
    return bytesRead === 512 && header.subarray(257, 262).toString("latin1") === "ustar";
  } finally {
    await file.close();
  }
}

export interface SavedSnapshot {
  bytes: number;
  rows: number;
  path: string;
}

/** A data directory image taken in memory, not yet written: see takeSnapshot and keepSnapshot. */
export interface TakenSnapshot {
  data: Blob;
  rows: Record<TableName, number>;
}

/**
 * Images the database as it is now: a checkpoint (so a restore need not replay the seed from the WAL), then the
 * data directory as an uncompressed tarball. PGlite walks its file system synchronously, so no statement runs
 * midway and the image is what the district was at this instant. Cheap next to writing it (keepSnapshot), which a
 * caller may leave for later. `rows` defaults to counting every data table.
 */
export async function takeSnapshot(handle: DbHandle, rows?: Record<TableName, number>): Promise<TakenSnapshot> {
  if (!handle.dumpDataDir) {
    throw new Error(`${handle.label} cannot be snapshotted: only the embedded PGlite database can`);
  }
  const counted = rows ?? (await rowCounts(handle));
  await handle.exec("CHECKPOINT");
  return { data: await handle.dumpDataDir(), rows: counted };
}

/**
 * Writes a taken snapshot to `dir` under `key`, replacing any snapshot there. The manifest goes last and both files
 * are renamed into place, so a crash midway leaves no snapshot rather than a wrong one.
 */
export async function keepSnapshot(dir: string, key: SnapshotKey, taken: TakenSnapshot): Promise<SavedSnapshot> {
  await mkdir(dir, { recursive: true });
  await rm(join(dir, MANIFEST), { force: true });
  const tmp = join(dir, `${DATA}.${process.pid}.tmp`);
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    const source = Readable.fromWeb(taken.data.stream() as WebReadableStream<Uint8Array>);
    source.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    await pipeline(source, createWriteStream(tmp));
    await rename(tmp, join(dir, DATA));
  } finally {
    await rm(tmp, { force: true });
  }
  const manifest: Manifest = {
    format: 1,
    key,
    bytes,
    sha256: hash.digest("hex"),
    rows: taken.rows,
    createdAt: new Date().toISOString(),
  };
  const manifestTmp = join(dir, `${MANIFEST}.${process.pid}.tmp`);
  await writeFile(manifestTmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(manifestTmp, join(dir, MANIFEST));
  return { bytes, rows: Object.values(taken.rows).reduce((a, b) => a + b, 0), path: join(dir, DATA) };
}

/** Takes and keeps a snapshot of the database as it is now (takeSnapshot, then keepSnapshot). */
export async function saveSnapshot(dir: string, key: SnapshotKey, handle: DbHandle): Promise<SavedSnapshot> {
  return keepSnapshot(dir, key, await takeSnapshot(handle));
}

export type RestoreOutcome =
  | { restored: true; handle: DbHandle; rows: number; message: string }
  | { restored: false; message: string };

/**
 * Restores the snapshot in `dir` when its key equals `key`, opening it with `open` (PGlite with loadDataDir).
 * Anything else (none yet, another key, a damaged or incomplete snapshot) answers `restored: false` with a
 * message that says why, so the caller seeds instead; an unusable snapshot is also deleted.
 */
export async function restoreSnapshot(
  dir: string,
  key: SnapshotKey,
  open: (data: Blob) => Promise<DbHandle>,
): Promise<RestoreOutcome> {
  const manifestPath = join(dir, MANIFEST);
  const dataPath = join(dir, DATA);
  const discard = async (message: string): Promise<RestoreOutcome> => {
    await rm(manifestPath, { force: true });
    await rm(dataPath, { force: true });
    return { restored: false, message: `seeding the ${describeKey(key)}: ${message}; it is discarded` };
  };
  let text: string;
  try {
    text = await readFile(manifestPath, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") {
      return { restored: false, message: `seeding the ${describeKey(key)}: no snapshot in ${dir} yet` };
    }
    return discard(`the snapshot manifest ${manifestPath} cannot be read (${(error as Error).message})`);
  }
  let manifest: Manifest;
  try {
    manifest = ManifestSchema.parse(JSON.parse(text));
  } catch {
    return discard(`the snapshot manifest ${manifestPath} is damaged (not a manifest this version writes)`);
  }
  const differences = keyDifferences(manifest.key, key);
  if (differences.length > 0) {
    return {
      restored: false,
      message: `seeding the ${describeKey(key)}: the snapshot in ${dir} is of another build or district (${differences.join(", ")})`,
    };
  }
  const size = await stat(dataPath).then(
    (s) => s.size,
    () => -1,
  );
  if (size !== manifest.bytes) {
    return discard(
      size < 0
        ? `the snapshot data ${dataPath} is missing`
        : `the snapshot data ${dataPath} is incomplete (${size} bytes, expected ${manifest.bytes})`,
    );
  }
  if ((await sha256File(dataPath)) !== manifest.sha256) {
    return discard(`the snapshot data ${dataPath} is damaged (checksum mismatch)`);
  }
  if (!(await isTarball(dataPath))) {
    // PGlite retries a tarball it cannot read as gzip and leaves that attempt's failure unhandled: check first.
    return discard(`the snapshot data ${dataPath} is not a data directory tarball`);
  }
  let handle: DbHandle;
  try {
    handle = await open(await openAsBlob(dataPath));
  } catch (error) {
    return discard(`the snapshot could not be loaded (${(error as Error).message.split("\n")[0]})`);
  }
  try {
    const rows = await rowCounts(handle);
    const wrong = TABLE_NAMES.filter((t) => rows[t] !== manifest.rows[t]);
    if (wrong.length > 0) {
      await handle.close();
      return discard(
        `the restored snapshot is incomplete (${wrong.map((t) => `${t}: ${rows[t]} rows, expected ${manifest.rows[t] ?? 0}`).join("; ")})`,
      );
    }
    const total = Object.values(rows).reduce((a, b) => a + b, 0);
    return {
      restored: true,
      handle,
      rows: total,
      message: `restored district snapshot: the ${describeKey(key)}, ${total.toLocaleString("en-US")} rows, from ${dir}`,
    };
  } catch (error) {
    await handle.close();
    return discard(`the restored snapshot cannot be read (${(error as Error).message.split("\n")[0]})`);
  }
}
