// How many records of an endpoint's collection were deleted (tombstoned) in a time window: what a delta read over
// that window had to show the client (notes §8). Read by the consumer scorecard. Never imports hono.
import { and, count, gt, lte, type SQL, sql } from "drizzle-orm";
import type { Endpoint } from "../../oneroster/index.js";
import type { Db } from "../db/client.js";
import { subsetToSql } from "./records.js";
import { ENTITY_TABLES } from "./tables.js";

export async function countDeletions(db: Db, endpoint: Endpoint, since: Date, until: Date): Promise<number> {
  const t = ENTITY_TABLES[endpoint.entity];
  const conditions: SQL[] = [
    ...subsetToSql(t, endpoint.subset),
    gt(t.dateLastModified, since),
    lte(t.dateLastModified, until),
    t.deleted ? sql`(${t.deleted} = true or ${t.status} = 'tobedeleted')` : sql`${t.status} = 'tobedeleted'`,
  ];
  const [row] = await db
    .select({ n: count() })
    .from(t.table)
    .where(and(...conditions));
  return Number(row?.n ?? 0);
}
