// What the dashboard's overview and batch pages read: how many records each OneRoster table holds, and the latest
// rows of a consumer's `batches` table when a consumer keeps its store in this database. Never imports hono.
import { count, sql } from "drizzle-orm";
import { type Db, resultRows } from "../db/client.js";
import { dataTables } from "../db/schema.js";

/** Records per data table (tombstones included). */
export async function countRecords(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, table] of Object.entries(dataTables)) {
    const [row] = await db.select({ n: count() }).from(table);
    out[name] = Number(row?.n ?? 0);
  }
  return out;
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/** The newest rows of a consumer's batches table (any schema but the provider's), or undefined when there is none. */
export async function listConsumerBatches(
  db: Db,
  limit = 20,
): Promise<{ table: string; columns: string[]; rows: Record<string, unknown>[] } | undefined> {
  const tables = resultRows(
    await db.execute(sql`select table_schema, table_name from information_schema.tables
      where table_name = 'batches' and table_schema not in ('provider', 'information_schema', 'pg_catalog')
      order by table_schema limit 1`),
  );
  const found = tables[0] as { table_schema: string; table_name: string } | undefined;
  if (!found) {
    return undefined;
  }
  const columns = resultRows(
    await db.execute(sql`select column_name from information_schema.columns
      where table_schema = ${found.table_schema} and table_name = ${found.table_name} order by ordinal_position`),
  ).map((r) => String(r.column_name));
  // Identifiers come from the catalog, quoted; the newest first by the first column (usually an id or a time).
  const qualified = `${quote(found.table_schema)}.${quote(found.table_name)}`;
  const first = columns[0] ? quote(columns[0]) : "1";
  const rows = resultRows(
    await db.execute(sql.raw(`select * from ${qualified} order by ${first} desc limit ${limit}`)),
  );
  return { table: `${found.table_schema}.${found.table_name}`, columns, rows };
}
