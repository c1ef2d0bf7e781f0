// Bulk inserts for the sync's hot paths (staging, planning, applying): many rows as one jsonb parameter read back
// with jsonb_to_recordset, so a chunk is one JSON text to build and one value to bind. drizzle's multi-row insert
// builds and type-checks a parameter per cell, which was most of a full sync's CPU (npm run bench -- --only sync
// --profile DIR). Same rows, same defaults for columns no row sets, on both drivers.
import { getTableColumns, type SQL, sql } from "drizzle-orm";
import { toSnakeCase } from "drizzle-orm/casing";
import { getTableConfig, type PgTable } from "drizzle-orm/pg-core";
import type { LmsDb } from "./open.js";

/** A transaction or the store itself. */
type Runner = Pick<LmsDb, "execute">;

export interface BulkInsertOptions {
  /** e.g. sql`ON CONFLICT (a, b) DO NOTHING`, placed after the SELECT. */
  onConflict?: SQL;
  /** Column keys (as in the table object) to return; rows come back keyed by them. */
  returning?: string[];
}

function rowsOf(result: unknown): Record<string, unknown>[] {
  // postgres.js answers a row list, PGlite an object with `rows`.
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];
}

/** The column's name in the database: the store maps keys to snake_case (open.ts) unless a column names itself. */
function dbName(column: { name: string; keyAsName: boolean }): string {
  return column.keyAsName ? toSnakeCase(column.name) : column.name;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Inserts `rows` (keyed like the table object, as for drizzle's insert) in one statement. Every row must set the same
 * columns: a column no row sets keeps its default, and a key set to undefined in some rows is refused rather than
 * silently made NULL. Dates go as ISO instants, jsonb columns as their JSON value.
 */
export async function bulkInsert(
  db: Runner,
  table: PgTable,
  rows: readonly Record<string, unknown>[],
  options: BulkInsertOptions = {},
): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) {
    return [];
  }
  const columns = getTableColumns(table);
  const { name, schema } = getTableConfig(table);
  const keys = Object.keys(rows[0] as Record<string, unknown>).filter(
    (k) => (rows[0] as Record<string, unknown>)[k] !== undefined,
  );
  for (const row of rows) {
    const set = Object.keys(row).filter((k) => row[k] !== undefined);
    if (set.length !== keys.length || keys.some((k) => row[k] === undefined)) {
      throw new Error(
        `bulkInsert ${name}: every row must set the same columns (${keys.join(", ")}); one sets ${set.join(", ")}`,
      );
    }
  }
  const used = keys.map((k) => {
    const column = columns[k];
    if (!column) {
      throw new Error(`bulkInsert ${name}: no column ${k}`);
    }
    return { key: k, name: dbName(column), type: column.getSQLType() };
  });
  const json = JSON.stringify(
    rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (const c of used) {
        const value = row[c.key];
        out[c.name] = value instanceof Date ? value.toISOString() : value;
      }
      return out;
    }),
  );
  const target = `${schema ? `${quote(schema)}.` : ""}${quote(name)}`;
  const names = used.map((c) => quote(c.name)).join(", ");
  const typed = used.map((c) => `${quote(c.name)} ${c.type}`).join(", ");
  const returning = (options.returning ?? []).map((k) => {
    const column = columns[k];
    if (!column) {
      throw new Error(`bulkInsert ${name}: no column ${k} to return`);
    }
    return { key: k, name: dbName(column), column };
  });
  const statement = sql`INSERT INTO ${sql.raw(target)} (${sql.raw(names)}) SELECT ${sql.raw(names)} FROM jsonb_to_recordset(${json}::jsonb) AS v(${sql.raw(typed)}) ${options.onConflict ?? sql``}${
    returning.length > 0
      ? sql.raw(` RETURNING ${returning.map((r) => `${quote(r.name)} AS ${quote(r.key)}`).join(", ")}`)
      : sql``
  }`;
  const result = rowsOf(await db.execute(statement));
  return returning.length > 0
    ? result.map((r) => Object.fromEntries(returning.map((c) => [c.key, c.column.mapFromDriverValue(r[c.key])])))
    : [];
}
