// Test helpers for seed suites: read a whole (small) district into memory, and a keyed canonical dump for
// diffing two moments of one database. Used by test/seed/*.test.ts only.

import { canonicalRow, dumpDatabase } from "../../seed/fingerprint.js";
import { type RowOf, TABLE_NAMES, type TableName } from "../../seed/rows.js";
import type { Db } from "../../server/db/client.js";

export type District = { [T in TableName]: Required<RowOf<T>>[] };

/** Every row of every data table, ordered by sourcedId. */
export async function readDistrict(db: Db): Promise<District> {
  const out: Record<string, unknown[]> = {};
  await dumpDatabase(db, (table, row) => {
    out[table] ??= [];
    out[table]?.push(row);
  });
  for (const t of TABLE_NAMES) {
    out[t] ??= [];
  }
  return out as unknown as District;
}

/** `table/sourcedId` → canonical JSON of the row. */
export async function keyedDump(db: Db): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  await dumpDatabase(db, (table, row) => {
    map.set(`${table}/${String(row.sourcedId)}`, JSON.stringify(canonicalRow(row)));
  });
  return map;
}

/** Keys whose row is new or different in `after`. */
export function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of after) {
    if (before.get(k) !== v) {
      out.push(k);
    }
  }
  return out.sort();
}
