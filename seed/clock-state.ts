// The district clock's persisted state: one row in provider.settings (key `district_clock`), written by the
// seed and advanced by the clock, so every provider process on one database agrees. seed/ only.
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { settings } from "../server/db/schema.js";
import { GeneratorOptionsSchema } from "./generator-options.js";
import type { Tx } from "./load.js";

export const CLOCK_KEY = "district_clock";

export const ClockStateSchema = z.object({
  /** The options the district was generated with (churn and rollover reuse them). */
  generator: GeneratorOptionsSchema,
  /** The simulated calendar date ("today" in the district). */
  simDate: z.string(),
  /** Simulated days advanced since the seed. */
  day: z.number().int().min(0),
  /** The school year (its ending year) the district is in. */
  schoolYearEnd: z.number().int(),
  /** The newest dateLastModified the clock has written (ISO, ms precision). */
  lastStamp: z.string(),
  churnRate: z.number().min(0).max(1),
});
export type ClockState = z.infer<typeof ClockStateSchema>;

/** Default churn: 0.2% of active student enrolments change hands per school day. */
export const DEFAULT_CHURN_RATE = 0.002;

export async function writeClockState(tx: Tx, state: ClockState): Promise<void> {
  const value = ClockStateSchema.parse(state);
  await tx
    .insert(settings)
    .values({ key: CLOCK_KEY, value, updatedAt: new Date(state.lastStamp) })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: sql`excluded.updated_at` } });
}

/** Reads the state, locking the row until the transaction ends when `lock` is set. */
export async function readClockState(tx: Tx, lock: boolean): Promise<ClockState | null> {
  const q = tx.select().from(settings).where(eq(settings.key, CLOCK_KEY));
  const rows = lock ? await q.for("update") : await q;
  const row = rows[0];
  return row ? ClockStateSchema.parse(row.value) : null;
}
