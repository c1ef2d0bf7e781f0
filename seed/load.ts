// The loader: drains a generated row stream into the provider tables inside one transaction, as COPY text through
// the handle's copyFrom (which joins the transaction): streamed on Postgres, one bounded blob per flush on PGlite.
// seed/ only.

import { getTableColumns } from "drizzle-orm";
import { toSnakeCase } from "drizzle-orm/casing";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Db, DbHandle } from "../server/db/client.js";
import { dataTables } from "../server/db/schema.js";
import type { GeneratedItem, TableName } from "./rows.js";
import { TABLE_NAMES } from "./rows.js";

/** A transaction of either driver (the callback argument of db.transaction). */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface LoadProgress {
  done: number;
  total: number;
  label: string;
  rows: number;
}

/** Called between schools; a returned promise is awaited (the load pauses inside its transaction until it settles). */
export type ProgressFn = (p: LoadProgress) => void | Promise<void>;

type CopyFn = DbHandle["copyFrom"];

interface ColumnInfo {
  key: string;
  dbName: string;
  json: boolean;
  array: boolean;
}

const columnCache = new Map<TableName, ColumnInfo[]>();

function columnsOf(table: TableName): ColumnInfo[] {
  const cached = columnCache.get(table);
  if (cached) {
    return cached;
  }
  const cols = getTableColumns(dataTables[table]) as Record<string, PgColumn>;
  const info = Object.entries(cols).map(([key, col]) => ({
    key,
    dbName: toSnakeCase(col.name),
    json: col.columnType === "PgJsonb",
    array: col.columnType === "PgArray",
  }));
  columnCache.set(table, info);
  return info;
}

const SQL_NAMES: Record<TableName, string> = {
  orgs: "orgs",
  academicSessions: "academic_sessions",
  resources: "resources",
  courses: "courses",
  classes: "classes",
  users: "users",
  demographics: "demographics",
  enrollments: "enrollments",
  categories: "categories",
  lineItems: "line_items",
  results: "results",
};

export function qualifiedTableName(table: TableName): string {
  return `"provider"."${SQL_NAMES[table]}"`;
}

/** COPY text format escaping (PostgreSQL docs, COPY "Text Format"). */
const COPY_SPECIAL = /[\\\t\n\r]/;

function copyEscape(text: string): string {
  // Most values hold none of the four characters: testing first spares building a new string for them.
  if (!COPY_SPECIAL.test(text)) {
    return text;
  }
  return text.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}

function arrayLiteral(items: unknown[]): string {
  return `{${items
    .map((v) => (v === null || v === undefined ? "NULL" : `"${String(v).replace(/[\\"]/g, (c) => `\\${c}`)}"`))
    .join(",")}}`;
}

function copyValue(value: unknown, col: ColumnInfo): string {
  if (value === null || value === undefined) {
    return "\\N";
  }
  if (col.json) {
    return copyEscape(JSON.stringify(value));
  }
  if (col.array && Array.isArray(value)) {
    return copyEscape(arrayLiteral(value));
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === "boolean") {
    return value ? "t" : "f";
  }
  return copyEscape(String(value));
}

/** Rows per INSERT statement: under the 65,535 bind-parameter limit. */
const INSERT_PARAMS = 30_000;

function insertBatch(table: TableName): number {
  return Math.max(1, Math.floor(INSERT_PARAMS / columnsOf(table).length));
}

/** Where the loader writes: an open transaction and the handle's COPY (which joins that transaction). */
export interface LoadTarget {
  tx: Tx;
  /** COPY … FROM STDIN inside `tx`; absent where multi-row INSERTs are the better choice. */
  copy?: CopyFn;
}

/** The load target of `tx`, a transaction open on `handle`. */
export function loadTarget(handle: Pick<DbHandle, "copyFrom">, tx: Tx): Required<LoadTarget> {
  // Both drivers take COPY. PGlite reads each COPY's input as one in-memory blob, so loadStream sends at most
  // COPY_FLUSH_BYTES per statement there: memory stays flat, and COPY is ~6x faster than multi-row INSERTs on PGlite.
  return { tx, copy: (statement, data) => handle.copyFrom(statement, data) };
}

/** The COPY statement (text format, every column in schema order) for one table, optionally another schema. */
export function copyStatement(table: TableName, targetSchema = "provider"): string {
  const cols = columnsOf(table);
  return `COPY "${targetSchema}"."${SQL_NAMES[table]}" (${cols.map((c) => `"${c.dbName}"`).join(", ")}) FROM STDIN`;
}

/** One row as a COPY text-format line (with its newline). */
export function copyLine(table: TableName, row: Record<string, unknown>): string {
  const cols = columnsOf(table);
  let line = "";
  for (let i = 0; i < cols.length; i++) {
    const col = cols[i] as ColumnInfo;
    line += (i === 0 ? "" : "\t") + copyValue(row[col.key], col);
  }
  return `${line}\n`;
}

async function copyRows(copy: CopyFn, table: TableName, rows: Record<string, unknown>[]): Promise<void> {
  const chunks: string[] = [];
  let chunk = "";
  for (const row of rows) {
    chunk += copyLine(table, row);
    if (chunk.length > 256 * 1024) {
      chunks.push(chunk);
      chunk = "";
    }
  }
  chunks.push(chunk);
  await copy(copyStatement(table), chunks);
}

/** Writes rows into one table of the target's transaction, by COPY where the target offers it. */
export async function insertRows(target: LoadTarget, table: TableName, rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) {
    return;
  }
  const { tx, copy } = target;
  // COPY pays a fixed round-trip cost (tens of ms for a tiny one); a few rows go faster as an INSERT.
  if (copy && rows.length >= 200) {
    await copyRows(copy, table, rows);
    return;
  }
  const perStatement = insertBatch(table);
  for (let i = 0; i < rows.length; i += perStatement) {
    // biome-ignore lint/suspicious/noExplicitAny: rows were typed per table by the generator (RowOf<T>).
    await tx.insert(dataTables[table]).values(rows.slice(i, i + perStatement) as any);
  }
}

/** Rows are encoded into COPY text as they arrive; a table's text is sent once it reaches this many bytes. */
const COPY_FLUSH_BYTES = 8 * 1024 * 1024;
/** The byte blocks a table's text is encoded into. */
const COPY_BLOCK_BYTES = 128 * 1024;

/** One table's COPY text not yet sent: full blocks, then the block being filled. */
interface TableText {
  blocks: Uint8Array[];
  block: Uint8Array;
  used: number;
  bytes: number;
}

const encoder = new TextEncoder();

function emptyText(): TableText {
  return { blocks: [], block: new Uint8Array(COPY_BLOCK_BYTES), used: 0, bytes: 0 };
}

/** Encodes `line` at the end of `buf` (UTF-8 takes at most 3 bytes per UTF-16 unit); true when a block filled. */
function append(buf: TableText, line: string): boolean {
  const room = line.length * 3;
  let filled = false;
  if (buf.used + room > buf.block.length) {
    if (buf.used > 0) {
      buf.blocks.push(buf.block.subarray(0, buf.used));
      filled = true;
    }
    buf.block = new Uint8Array(Math.max(COPY_BLOCK_BYTES, room));
    buf.used = 0;
  }
  const { written } = encoder.encodeInto(line, buf.block.subarray(buf.used));
  buf.used += written;
  buf.bytes += written;
  return filled;
}

/** Drains a generated stream into the tables, flushing per-table buffers so memory stays bounded. */
export async function loadStream(
  target: Required<LoadTarget>,
  items: Iterable<GeneratedItem>,
  progress?: ProgressFn,
): Promise<Record<TableName, number>> {
  const counts = Object.fromEntries(TABLE_NAMES.map((t) => [t, 0])) as Record<TableName, number>;
  const { copy } = target;
  let rows = 0;
  // One batch is written while the next is generated, so the database works while we build rows; one at a
  // time, because a transaction has one connection.
  let inflight: Promise<void> | null = null;
  const send = async (work: () => Promise<void>) => {
    if (inflight) {
      await inflight;
    }
    const p = work();
    p.catch(() => {});
    inflight = p;
  };

  // COPY text per table, encoded straight into ~128 KB byte blocks (no string to join or encode again), sent every
  // ~8 MB (on PGlite, one blob of that size per COPY: fewer, larger COPYs cost PGlite less CPU than 2 MB ones).
  const text = new Map<TableName, TableText>();
  const flush = async (t: TableName) => {
    const buf = text.get(t);
    if (!buf || buf.bytes === 0) {
      return;
    }
    const blocks = buf.used > 0 ? [...buf.blocks, buf.block.subarray(0, buf.used)] : buf.blocks;
    text.delete(t);
    await send(() => copy(copyStatement(t), blocks));
  };
  for (const item of items) {
    if ("progress" in item) {
      await progress?.({ ...item.progress, rows });
      continue;
    }
    const table = item.table;
    let buf = text.get(table);
    if (!buf) {
      buf = emptyText();
      text.set(table, buf);
    }
    counts[table]++;
    rows++;
    if (append(buf, copyLine(table, item.row as Record<string, unknown>))) {
      // Generation is synchronous: give the event loop a turn so the batch in flight keeps streaming to the
      // server while we build the next one (otherwise the two never overlap).
      if (inflight) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (buf.bytes >= COPY_FLUSH_BYTES) {
        await flush(table);
      }
    }
  }
  for (const t of TABLE_NAMES) {
    await flush(t);
  }
  if (inflight) {
    await inflight;
  }
  return counts;
}

/** Empties every OneRoster data table (inside the caller's transaction). */
/**
 * Empties every data table inside the load's transaction with DELETE, not TRUNCATE: TRUNCATE takes an ACCESS
 * EXCLUSIVE lock that blocks every reader until the new district commits, while DELETE lets readers keep reading
 * the old district (MVCC) until then. Children first, though no foreign keys ask for it.
 */
export function clearDistrictStatements(): string[] {
  return [...TABLE_NAMES].reverse().map((t) => `DELETE FROM ${qualifiedTableName(t)}`);
}

export type { DbHandle };
