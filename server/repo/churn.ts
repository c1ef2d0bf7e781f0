// Writes of the `data-churn` fault preset: near a pager's cursor, a copy of a record is inserted and a record is
// deleted (a rostering tombstone, or the gradebook DELETE path), each with a fresh dateLastModified, as a SIS
// changes data while a client pages. Never imports hono.
import { and, asc, desc, eq, type SQL, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { EntityName, Subset } from "../../oneroster/index.js";
import { type Db, stampExpression } from "../db/client.js";
import { deleteGradebookObject, type GradebookKind } from "./gradebook.js";
import { subsetToSql } from "./records.js";
import { ENTITY_TABLES } from "./tables.js";

export interface ChurnInput {
  entity: EntityName;
  subset?: Subset;
  /** Position (in default sourcedId order) of the record to change: the first the client has not read, or one it has. */
  position: number;
  insert: boolean;
  delete: boolean;
  now: Date;
  /** Makes the inserted copy's sourcedId unique (the fault's request count). */
  tag: string;
}

export interface ChurnResult {
  inserted?: string;
  deleted?: string;
}

const GRADEBOOK: ReadonlySet<EntityName> = new Set(["category", "lineItem", "result"]);

/**
 * Inserts a copy of the record at `position` (its sourcedId plus `~churn-<tag>`, which sorts right after it by code
 * point, notes §3.3) and deletes the record at `position`. At or past the end, the copy is made of the last record
 * and nothing is deleted; a record that is already a tombstone is left alone.
 */
export async function churnNear(db: Db, input: ChurnInput): Promise<ChurnResult> {
  const t = ENTITY_TABLES[input.entity];
  const conditions: SQL[] = [...subsetToSql(t, input.subset)];
  if (t.deleted) {
    // Gradebook tombstones are not listed (notes §7.2); rostering tombstones are, so they count for positions.
    conditions.push(sql`${t.deleted} = false`);
  }
  const where = and(...conditions);
  const [atPosition] = await db
    .select({ id: t.id, status: t.status })
    .from(t.table)
    .where(where)
    .orderBy(asc(t.id))
    .offset(Math.max(0, input.position))
    .limit(1);
  const target = atPosition?.id as string | undefined;
  const source =
    target ??
    ((await db.select({ id: t.id }).from(t.table).where(where).orderBy(desc(t.id)).limit(1))[0]?.id as
      | string
      | undefined);
  const result: ChurnResult = {};
  if (input.insert && source !== undefined) {
    const table = t.table as PgTable & Record<string, unknown>;
    const [row] = (await db.select().from(table).where(eq(t.id, source)).limit(1)) as Record<string, unknown>[];
    if (row) {
      const id = `${source}~churn-${input.tag}`;
      // Stamped through the write clock like every other write, so delta readers see the churn in commit order.
      const copy: Record<string, unknown> = {
        ...row,
        sourcedId: id,
        status: "active",
        dateLastModified: stampExpression(input.now),
      };
      if (t.deleted) {
        copy.deleted = false;
      }
      const inserted = await db.insert(table).values(copy).onConflictDoNothing().returning({ id: t.id });
      if (inserted.length > 0) {
        result.inserted = id;
      }
    }
  }
  if (input.delete && target !== undefined && atPosition?.status !== "tobedeleted") {
    if (GRADEBOOK.has(input.entity)) {
      if (await deleteGradebookObject(db, input.entity as GradebookKind, target, () => input.now, false)) {
        result.deleted = target;
      }
    } else {
      await db
        .update(t.table)
        .set({ status: "tobedeleted", dateLastModified: stampExpression(input.now) } as never)
        .where(eq(t.id, target));
      result.deleted = target;
    }
  }
  return result;
}
