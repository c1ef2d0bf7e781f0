// The district clock: advance(days) moves the simulated calendar forward, applying each school day's churn
// (churn.ts) and the school-year rollover (rollover.ts), all in one transaction. Every row an advance writes carries
// one stamp, taken with takeStamp as the advance's last step before commit. Implements DistrictClockPort.
import { asc, eq, sql } from "drizzle-orm";
import { type DbHandle, takeStamp } from "../server/db/client.js";
import { dataTables, orgs } from "../server/db/schema.js";
import { addDays, buildSchoolYear, type IsoDate, isSchoolDay, yearBoundary } from "./calendar.js";
import { CHURN_EVENTS, type ChurnEvent, churnDay } from "./churn.js";
import { PENDING_STAMP, type Run } from "./clock-run.js";
import { type ClockState, readClockState, writeClockState } from "./clock-state.js";
import { planDistrict } from "./generate.js";
import type { Tx } from "./load.js";
import { districtDomain } from "./people.js";
import { rollover } from "./rollover.js";
import { TABLE_NAMES, type TableName } from "./rows.js";
import { IdAllocator } from "./schedule.js";

export { CHURN_EVENTS, type ChurnEvent } from "./churn.js";

export type AdvanceSummary = {
  fromDate: IsoDate;
  toDate: IsoDate;
  days: number;
  schoolDays: number;
  day: number;
  schoolYear: string;
  rollovers: number;
  events: Record<ChurnEvent, number>;
  changed: Record<TableName, number>;
  /**
   * The dateLastModified of every change of this advance (one stamp, taken just before commit); null when nothing
   * changed. Both fields are that stamp: kept as a pair for callers that print a range.
   */
  firstStamp: string | null;
  lastStamp: string | null;
};

export type ClockStatus = {
  seeded: boolean;
  simDate?: IsoDate;
  day?: number;
  schoolYear?: string;
  lastStamp?: string;
  churnRate?: number;
  seed?: number;
  size?: string;
};

export class ClockError extends Error {
  constructor(
    readonly code: "NOT_SEEDED" | "BAD_DAYS",
    message: string,
  ) {
    super(message);
    this.name = "ClockError";
  }
}

export interface WallClock {
  now(): Date;
}

const MAX_YEAR_STEPS = 3660;

export interface DistrictClock {
  advance(days: number, options?: { churnRate?: number }): Promise<AdvanceSummary>;
  status(): Promise<ClockStatus>;
}

/** The district clock over one database; `wall` proposes the stamp (inject a fixed clock in tests). */
export function createDistrictClock(
  handle: Pick<DbHandle, "db">,
  wall: WallClock = { now: () => new Date() },
): DistrictClock {
  return {
    async status() {
      const state = await handle.db.transaction((tx) => readClockState(tx, false));
      if (!state) {
        return { seeded: false };
      }
      return {
        seeded: true,
        simDate: state.simDate,
        day: state.day,
        schoolYear: String(state.schoolYearEnd),
        lastStamp: state.lastStamp,
        churnRate: state.churnRate,
        seed: state.generator.seed,
        size: state.generator.size,
      };
    },
    async advance(days, options = {}) {
      if (!Number.isInteger(days) || days < 1 || days > MAX_YEAR_STEPS) {
        throw new ClockError("BAD_DAYS", `days must be a whole number from 1 to ${MAX_YEAR_STEPS}`);
      }
      return handle.db.transaction(async (tx) => {
        const run = await openRun(tx, options.churnRate);
        const fromDate = run.date;
        const { schoolDays, rollovers } = await stepDays(run, days);
        const stamp = await stampChanges(run, wall);
        run.state.simDate = run.date;
        if (stamp) {
          run.state.lastStamp = stamp.toISOString();
        }
        await writeClockState(tx, run.state);
        const at = stamp ? stamp.toISOString() : null;
        return {
          fromDate,
          toDate: run.date,
          days,
          schoolDays,
          day: run.state.day,
          schoolYear: String(run.state.schoolYearEnd),
          rollovers,
          events: run.events,
          changed: run.changed,
          firstStamp: at,
          lastStamp: at,
        };
      });
    },
  };
}

/** Locks the clock state (one advance at a time per database) and builds the advance's working context. */
async function openRun(tx: Tx, churnRate: number | undefined): Promise<Run> {
  const state: ClockState | null = await readClockState(tx, true);
  if (!state) {
    throw new ClockError("NOT_SEEDED", "the database holds no seeded district (run `rosterlab seed` first)");
  }
  if (churnRate !== undefined) {
    state.churnRate = churnRate;
  }
  const [district] = await tx
    .select({ name: orgs.name })
    .from(orgs)
    .where(eq(orgs.type, "district"))
    .orderBy(asc(orgs.sourcedId))
    .limit(1);
  return {
    tx,
    state,
    stream: {
      plan: planDistrict(state.generator),
      ids: new IdAllocator(),
      serial: { n: 0 },
      domain: districtDomain(district?.name ?? "district"),
      edges: null,
    },
    cal: buildSchoolYear(state.schoolYearEnd),
    date: state.simDate,
    wrote: false,
    changed: Object.fromEntries(TABLE_NAMES.map((t) => [t, 0])) as Record<TableName, number>,
    events: Object.fromEntries(CHURN_EVENTS.map((e) => [e, 0])) as Record<ChurnEvent, number>,
    pools: new Map(),
  };
}

/** Day by day: a rollover at the school-year boundary, churn on school days. */
async function stepDays(run: Run, days: number): Promise<{ schoolDays: number; rollovers: number }> {
  let schoolDays = 0;
  let rollovers = 0;
  for (let i = 0; i < days; i++) {
    run.date = addDays(run.date, 1);
    run.state.day++;
    if (run.date >= yearBoundary(run.state.schoolYearEnd)) {
      await rollover(run);
      rollovers++;
    }
    if (isSchoolDay(run.cal, run.date)) {
      schoolDays++;
      await churnDay(run);
    }
  }
  return { schoolDays, rollovers };
}

/**
 * Gives every row this advance wrote its real stamp, as the advance's last step: takeStamp proposes the wall clock
 * and holds the write clock until commit, so the stamp is never later than the commit (no row is stamped into the
 * future for a delta reader to skip past a later write) and follows every stamp committed before it. Only rows
 * carrying PENDING_STAMP are touched: rows other writers committed meanwhile keep their own stamps. Every row
 * stamped here is already locked by this transaction, so nothing waits while the write clock is held.
 */
async function stampChanges(run: Run, wall: WallClock): Promise<Date | null> {
  if (!run.wrote) {
    return null;
  }
  const stamp = await takeStamp(run.tx, wall.now());
  for (const t of TABLE_NAMES) {
    const table = dataTables[t];
    await run.tx
      .update(table)
      .set({ dateLastModified: stamp })
      .where(sql`${table.dateLastModified} = ${PENDING_STAMP.toISOString()}::timestamptz`);
  }
  return stamp;
}
