// The mass-withdrawal day: a share of one school's students withdrawn at once (all of them by default, as when a
// school's roster drops out of an SIS export), through the district clock's write path: users and demographics
// tombstoned, enrolments tombstoned with their end date, every stamp after all earlier ones and moved to the commit.
import { and, asc, eq, inArray, max, sql } from "drizzle-orm";
import type { DbHandle } from "../server/db/client.js";
import { dataTables, demographics, enrollments, orgs, users } from "../server/db/schema.js";
import type { DistrictClock, WallClock } from "./clock.js";
import { readClockState, writeClockState } from "./clock-state.js";
import { createRng } from "./random.js";
import { TABLE_NAMES } from "./rows.js";

export interface MassWithdrawalOptions {
  /** Schools (sourcedIds) whose students go; default the school with the most active students. */
  schoolIds?: string[];
  /** Share of their active students withdrawn, above 0 and at most 1 (default 1). */
  share?: number;
}

/** A type alias (like AdvanceSummary), so it is a plain record for the admin API's port. */
export type MassWithdrawalSummary = {
  schools: { sourcedId: string; name: string; activeStudents: number }[];
  students: number;
  enrollments: number;
  demographics: number;
  /** The simulated day it happened on. */
  simDate: string;
  /** dateLastModified of every change it made. */
  stamp: string;
};

/** Refusals with a code the admin API maps to a status (like the clock's own). */
export class MassWithdrawalError extends Error {
  constructor(
    readonly code: "NOT_SEEDED" | "UNKNOWN_SCHOOL" | "BAD_SHARE",
    message: string,
  ) {
    super(message);
    this.name = "MassWithdrawalError";
  }
}

const CHUNK = 1000;

/** Withdraws the students in one transaction and returns what changed. Deterministic from the seed and the day. */
export async function runMassWithdrawal(
  handle: Pick<DbHandle, "db">,
  options: MassWithdrawalOptions = {},
  wall: WallClock = { now: () => new Date() },
): Promise<MassWithdrawalSummary> {
  const share = options.share ?? 1;
  if (!(share > 0 && share <= 1)) {
    throw new MassWithdrawalError("BAD_SHARE", "share must be above 0 and at most 1");
  }
  return handle.db.transaction(async (tx) => {
    // The clock's row lock: a withdrawal never interleaves with an advance.
    const state = await readClockState(tx, true);
    if (!state) {
      throw new MassWithdrawalError("NOT_SEEDED", "the database holds no seeded district (run `rosterlab seed` first)");
    }
    const schools = await tx
      .select({ sourcedId: orgs.sourcedId, name: orgs.name })
      .from(orgs)
      .where(
        and(
          eq(orgs.type, "school"),
          ...(options.schoolIds?.length ? [inArray(orgs.sourcedId, options.schoolIds)] : []),
        ),
      )
      .orderBy(asc(orgs.sourcedId));
    const perSchool = new Map<string, number>();
    for (const u of await tx
      .select({ orgIds: users.orgIds })
      .from(users)
      .where(and(eq(users.role, "student"), eq(users.status, "active")))) {
      for (const org of u.orgIds) {
        perSchool.set(org, (perSchool.get(org) ?? 0) + 1);
      }
    }
    const withCounts = schools.map((s) => ({ ...s, activeStudents: perSchool.get(s.sourcedId) ?? 0 }));
    const missing = (options.schoolIds ?? []).filter((id) => !schools.some((s) => s.sourcedId === id));
    if (missing.length > 0 || schools.length === 0) {
      throw new MassWithdrawalError("UNKNOWN_SCHOOL", `no school with the sourcedId ${missing.join(", ") || "(any)"}`);
    }
    const chosen = options.schoolIds?.length
      ? withCounts
      : [withCounts.reduce((a, b) => (b.activeStudents > a.activeStudents ? b : a))];
    const candidates = (
      await tx
        .select({ id: users.sourcedId })
        .from(users)
        .where(
          and(
            eq(users.role, "student"),
            eq(users.status, "active"),
            sql`${users.orgIds} && ARRAY[${sql.join(
              chosen.map((s) => sql`${s.sourcedId}`),
              sql`, `,
            )}]::text[]`,
          ),
        )
        .orderBy(asc(users.sourcedId))
    ).map((r) => r.id);
    // A seeded shuffle picks the share: the same district on the same day withdraws the same students.
    const rng = createRng(state.generator.seed, "mass-withdrawal", state.day);
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [candidates[i], candidates[j]] = [candidates[j] as string, candidates[i] as string];
    }
    const ids = candidates.slice(0, Math.round(candidates.length * share)).sort();
    // Stamped after every earlier change, as the clock does (notes §8: a delta read must see every change).
    let last = Date.parse(state.lastStamp);
    for (const t of TABLE_NAMES) {
      const [row] = await tx.select({ m: max(dataTables[t].dateLastModified) }).from(dataTables[t]);
      if (row?.m) {
        last = Math.max(last, new Date(row.m).getTime());
      }
    }
    const stamp = new Date(Math.max(wall.now().getTime(), last + 1));
    const ended = sql`LEAST(COALESCE(${enrollments.endDate}, ${state.simDate}::date), GREATEST(${enrollments.beginDate}, ${state.simDate}::date))`;
    let enrolmentCount = 0;
    let demographicsCount = 0;
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      await tx
        .update(users)
        .set({ status: "tobedeleted", enabledUser: false, dateLastModified: stamp })
        .where(inArray(users.sourcedId, chunk));
      demographicsCount += (
        await tx
          .update(demographics)
          .set({ status: "tobedeleted", dateLastModified: stamp })
          .where(inArray(demographics.sourcedId, chunk))
          .returning({ id: demographics.sourcedId })
      ).length;
      enrolmentCount += (
        await tx
          .update(enrollments)
          .set({ status: "tobedeleted", endDate: ended, dateLastModified: stamp })
          .where(and(inArray(enrollments.userId, chunk), eq(enrollments.status, "active")))
          .returning({ id: enrollments.sourcedId })
      ).length;
    }
    // Move the stamps to the end of the work, so a delta read made meanwhile cannot have passed them (clock.ts).
    const end = new Date(Math.max(wall.now().getTime(), stamp.getTime()));
    if (end.getTime() > stamp.getTime()) {
      for (const table of [users, demographics, enrollments]) {
        await tx.update(table).set({ dateLastModified: end }).where(eq(table.dateLastModified, stamp));
      }
    }
    if (ids.length > 0) {
      state.lastStamp = end.toISOString();
      await writeClockState(tx, state);
    }
    return {
      schools: chosen,
      students: ids.length,
      enrollments: enrolmentCount,
      demographics: demographicsCount,
      simDate: state.simDate,
      stamp: end.toISOString(),
    };
  });
}

/** The district clock with the mass-withdrawal day beside `advance` (what `serve` and the demo give the admin API). */
export function withMassWithdrawal(
  clock: DistrictClock,
  handle: Pick<DbHandle, "db">,
  wall?: WallClock,
): DistrictClock & { massWithdrawal(options?: MassWithdrawalOptions): Promise<MassWithdrawalSummary> } {
  return {
    advance: (days, options) => clock.advance(days, options),
    status: () => clock.status(),
    massWithdrawal: (options) => runMassWithdrawal(handle, options, wall),
  };
}
