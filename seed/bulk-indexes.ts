// The indexes of a bulk load into empty tables: reads every index of the data tables from the database's own
// catalog (pg_get_indexdef, pg_get_constraintdef), drops them before the load and builds them again from those very
// definitions after it, inside the load's transaction. One build per index after the rows are in costs far less
// than maintaining it row by row (most on PGlite). seed/ only.
import { sql } from "drizzle-orm";
import { resultRows } from "../server/db/client.js";
import { qualifiedTableName, type Tx } from "./load.js";
import { TABLE_NAMES } from "./rows.js";

/** A primary key or unique constraint (its index goes and comes with it), as the catalog defines it. */
export interface IndexConstraint {
  table: string;
  name: string;
  definition: string;
}

/** An index no constraint owns, as the catalog defines it. */
export interface PlainIndex {
  name: string;
  definition: string;
}

/** The indexes of the data tables, in a stable order. */
export interface LoadIndexes {
  constraints: IndexConstraint[];
  indexes: PlainIndex[];
}

type Executor = Pick<Tx, "execute">;

/** The data tables, as one comma-separated list of `schema.table` for the catalog queries. */
function dataTableList(): string {
  return TABLE_NAMES.map((t) => qualifiedTableName(t).replaceAll('"', "")).join(",");
}

/**
 * Reads the indexes of the data tables: primary key and unique constraints, and every index that backs no
 * constraint. Left in place (maintained row by row): one a foreign key leans on (it could not be dropped), and one
 * whose definition does not say all it is, since a rebuild would lose it: the replica identity, the CLUSTER index, a
 * commented one.
 */
export async function readLoadIndexes(tx: Executor): Promise<LoadIndexes> {
  const tables = dataTableList();
  // The same two rules for both kinds, over index `i` of a table in namespace `n` and class `t`: it belongs to a data
  // table, and its definition says all it is.
  const ofDataTable = sql`(n.nspname || '.' || t.relname) = any(string_to_array(${tables}, ','))`;
  const rebuildable = sql`not i.indisreplident and not i.indisclustered and obj_description(i.indexrelid, 'pg_class') is null`;
  const constraints = resultRows<IndexConstraint>(
    await tx.execute(sql`
      select quote_ident(n.nspname) || '.' || quote_ident(t.relname) as "table",
             quote_ident(c.conname) as name,
             pg_get_constraintdef(c.oid) as definition
      from pg_constraint c
      join pg_class t on t.oid = c.conrelid
      join pg_namespace n on n.oid = t.relnamespace
      join pg_index i on i.indexrelid = c.conindid
      where ${ofDataTable}
        and c.contype in ('p', 'u')
        and ${rebuildable}
        and not exists (select 1 from pg_constraint f where f.contype = 'f' and f.conindid = c.conindid)
      order by n.nspname, t.relname, c.conname`),
  );
  const indexes = resultRows<PlainIndex>(
    await tx.execute(sql`
      select quote_ident(n.nspname) || '.' || quote_ident(ci.relname) as name,
             pg_get_indexdef(i.indexrelid) as definition
      from pg_index i
      join pg_class ci on ci.oid = i.indexrelid
      join pg_class t on t.oid = i.indrelid
      join pg_namespace n on n.oid = t.relnamespace
      where ${ofDataTable}
        and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)
        and ${rebuildable}
      order by n.nspname, t.relname, ci.relname`),
  );
  return { constraints, indexes };
}

/** Drops `set` (inside the caller's transaction, which then holds the tables until it ends). */
export async function dropLoadIndexes(tx: Executor, set: LoadIndexes): Promise<void> {
  if (set.indexes.length > 0) {
    await tx.execute(sql.raw(`DROP INDEX ${set.indexes.map((i) => i.name).join(", ")}`));
  }
  for (const c of set.constraints) {
    await tx.execute(sql.raw(`ALTER TABLE ${c.table} DROP CONSTRAINT ${c.name}`));
  }
}

/** Builds `set` again from its catalog definitions (inside the caller's transaction); a duplicate key fails here. */
export async function createLoadIndexes(tx: Executor, set: LoadIndexes): Promise<void> {
  for (const c of set.constraints) {
    await tx.execute(sql.raw(`ALTER TABLE ${c.table} ADD CONSTRAINT ${c.name} ${c.definition}`));
  }
  for (const index of set.indexes) {
    await tx.execute(sql.raw(index.definition));
  }
}
