// fingerprintDatabase(handle): sha256 over a canonical dump of every OneRoster table, ordered by table and
// sourcedId, read in keyset pages. Equal fingerprints mean byte-equal data on any backend. seed/ only.
import { createHash } from "node:crypto";
import { asc, getTableColumns, gt } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../server/db/client.js";
import { dataTables } from "../server/db/schema.js";
import { TABLE_NAMES } from "./rows.js";

const PAGE = 5000;

function canonical(value: unknown): unknown {
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (Array.isArray(value)) {
    return value.map(canonical);
  }
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, canonical(obj[k])]),
    );
  }
  return value ?? null;
}

/** Calls `onRow` for every row of every data table in canonical order. */
export async function dumpDatabase(
  db: Db,
  onRow: (table: string, row: Record<string, unknown>) => void,
): Promise<void> {
  for (const name of TABLE_NAMES) {
    const table = dataTables[name];
    const cols = getTableColumns(table) as Record<string, PgColumn>;
    const idCol = cols.sourcedId as PgColumn;
    let last: string | null = null;
    for (;;) {
      const page: Record<string, unknown>[] = await db
        .select()
        .from(table)
        .where(last === null ? undefined : gt(idCol, last))
        .orderBy(asc(idCol))
        .limit(PAGE);
      for (const row of page) {
        onRow(name, row);
      }
      if (page.length < PAGE) {
        break;
      }
      last = String(page[page.length - 1]?.sourcedId);
    }
  }
}

/** sha256 (hex) of the canonical dump; the same district gives the same value on PGlite and Postgres. */
export async function fingerprintDatabase(handle: { db: Db }): Promise<string> {
  const hash = createHash("sha256");
  await dumpDatabase(handle.db, (table, row) => {
    hash.update(table);
    hash.update("\t");
    hash.update(JSON.stringify(canonical(row)));
    hash.update("\n");
  });
  return hash.digest("hex");
}

export { canonical as canonicalRow };
