// seedDatabase(handle, options): generates a district and loads it in ONE transaction (a failed load leaves the
// previous data untouched), honouring ifEmpty and reset; returns counts, edge cases and the fingerprint.
import { eq, sql } from "drizzle-orm";
import { type DbHandle, takeStamp } from "../server/db/client.js";
import { dataTables, settings } from "../server/db/schema.js";
import { createLoadIndexes, dropLoadIndexes, readLoadIndexes } from "./bulk-indexes.js";
import { CLOCK_KEY, DEFAULT_CHURN_RATE, writeClockState } from "./clock-state.js";
import { fingerprintDatabase } from "./fingerprint.js";
import { generateDistrict, planDistrict } from "./generate.js";
import {
  type GeneratorOptions,
  type GeneratorOptionsInput,
  parseGeneratorOptions,
  resolveCounts,
} from "./generator-options.js";
import {
  clearDistrictStatements,
  loadStream,
  loadTarget,
  type ProgressFn,
  qualifiedTableName,
  type Tx,
} from "./load.js";
import type { DistrictCounts } from "./presets.js";
import { type EdgeCaseCounts, emptyEdgeCounts, TABLE_NAMES, type TableName } from "./rows.js";

export interface SeedOptions extends GeneratorOptionsInput {
  /** Do nothing when the database already holds OneRoster data. */
  ifEmpty?: boolean;
  /** Replace existing data (in the same transaction as the load). */
  reset?: boolean;
  /** Compute the dataset fingerprint after loading (default true). */
  fingerprint?: boolean;
}

export interface SeedSummary {
  /** True when `ifEmpty` found data and nothing was loaded. */
  skipped: boolean;
  options: GeneratorOptions;
  counts: DistrictCounts;
  rows: Record<TableName, number>;
  totalRows: number;
  edgeCases: EdgeCaseCounts;
  fingerprint: string | null;
  durationMs: number;
  rowsPerSecond: number;
  database: string;
}

export class SeedError extends Error {
  constructor(
    readonly code: "NOT_EMPTY" | "LOAD_FAILED",
    message: string,
  ) {
    super(message);
    this.name = "SeedError";
  }
}

async function hasData(tx: Pick<Tx, "select">): Promise<boolean> {
  for (const t of TABLE_NAMES) {
    const rows = await tx.select({ one: sql<number>`1` }).from(dataTables[t]).limit(1);
    if (rows.length > 0) {
      return true;
    }
  }
  return false;
}

/** True when no OneRoster data table holds a row. */
export async function isDatabaseEmpty(handle: DbHandle): Promise<boolean> {
  return !(await hasData(handle.db));
}

function zeroRows(): Record<TableName, number> {
  return Object.fromEntries(TABLE_NAMES.map((t) => [t, 0])) as Record<TableName, number>;
}

/** Generates the district of `input` and loads it into a migrated provider database. */
export async function seedDatabase(
  handle: DbHandle,
  input: SeedOptions = {},
  progress?: ProgressFn,
): Promise<SeedSummary> {
  const options = parseGeneratorOptions(input);
  const started = performance.now();
  const edges = emptyEdgeCounts();
  const base = { options, counts: resolveCounts(options), edgeCases: edges, database: handle.label };
  let rows = zeroRows();
  let skipped = false;
  await handle.db.transaction(async (tx) => {
    let empty = true;
    if (await hasData(tx)) {
      empty = false;
      if (input.reset) {
        for (const statement of clearDistrictStatements()) {
          await tx.execute(sql.raw(statement));
        }
        await tx.delete(settings).where(eq(settings.key, CLOCK_KEY));
      } else if (input.ifEmpty) {
        skipped = true;
        return;
      } else {
        throw new SeedError(
          "NOT_EMPTY",
          `${handle.label} already holds OneRoster data; use --reset to replace it or --if-empty to keep it`,
        );
      }
    }
    // Into empty tables, the indexes are dropped for the load and built again after it, from the definitions the
    // catalog gives (so they come back as the migrations made them), in this transaction: a failed load leaves them
    // as they were. Not over existing data: dropping an index locks its table, and readers of the previous district
    // should keep reading it until this transaction commits (see clearDistrictStatements).
    const indexes = empty ? await readLoadIndexes(tx) : { constraints: [], indexes: [] };
    await dropLoadIndexes(tx, indexes);
    rows = await loadStream(loadTarget(handle, tx), generateDistrict(options, edges), progress);
    await createLoadIndexes(tx, indexes);
    const plan = planDistrict(options);
    // Seeded stamps reach up to the as-of instant: later writes must not be stamped below it (see take_stamp).
    await takeStamp(tx, plan.asOf);
    await writeClockState(tx, {
      generator: options,
      simDate: plan.asOfDate,
      day: 0,
      schoolYearEnd: plan.cal.endYear,
      lastStamp: plan.asOf.toISOString(),
      churnRate: DEFAULT_CHURN_RATE,
    });
  });
  if (!skipped) {
    // Planner statistics now, not when autovacuum gets round to it: without them a fresh district's first reads
    // plan from guesses (a class roster walked the whole enrollments table in sourcedId order).
    await handle.exec(`ANALYZE ${TABLE_NAMES.map(qualifiedTableName).join(", ")}`);
  }
  const durationMs = Math.round(performance.now() - started);
  const totalRows = Object.values(rows).reduce((a, b) => a + b, 0);
  const fingerprint = skipped || input.fingerprint === false ? null : await fingerprintDatabase(handle);
  return {
    ...base,
    skipped,
    rows,
    totalRows,
    edgeCases: options.clean ? emptyEdgeCounts() : edges,
    fingerprint,
    durationMs,
    rowsPerSecond: durationMs > 0 ? Math.round((totalRows * 1000) / durationMs) : totalRows,
  };
}
