// The safety filter (seed 000, "Synchronisation and safety filters"): a plan's inserts, updates and deletes per
// entity group, as a percentage of what the LMS holds, against the configured thresholds. Exceeding one holds the
// batch with the reason; nothing is applied until an operator approves it. Pure, apart from counting the store.
import { and, count, eq, isNull } from "drizzle-orm";
import type { SyncSettings } from "./config.js";
import type { PlanCounts } from "./plan/build-plan.js";
import type { LmsDb } from "./store/open.js";
import { enrollments, orgUnits, parentLinks, type SafetyGroup, users } from "./store/schema.js";

export type HeldCounts = Record<SafetyGroup, number>;

/** What the LMS holds from the SIS, per group: persons (users), groups (org units), memberships (enrolments, links). */
export async function heldCounts(db: LmsDb): Promise<HeldCounts> {
  const [p] = await db
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.source, "sis"), isNull(users.trashedAt)));
  const [g] = await db
    .select({ n: count() })
    .from(orgUnits)
    .where(and(eq(orgUnits.source, "sis"), isNull(orgUnits.unmappedAt)));
  const [m] = await db.select({ n: count() }).from(enrollments).where(eq(enrollments.source, "sis"));
  const [l] = await db.select({ n: count() }).from(parentLinks).where(eq(parentLinks.source, "sis"));
  return { persons: p?.n ?? 0, groups: g?.n ?? 0, memberships: (m?.n ?? 0) + (l?.n ?? 0) };
}

export interface SafetyVerdict {
  hold: boolean;
  reasons: string[];
}

/** Judges a plan: every threshold exceeded is one reason, e.g. "persons delete 12.5% (250 of 2000) > 10%". */
export function checkSafety(counts: PlanCounts, held: HeldCounts, settings: SyncSettings): SafetyVerdict {
  const reasons: string[] = [];
  if (!settings.safety.enabled) {
    return { hold: false, reasons };
  }
  for (const group of ["persons", "groups", "memberships"] as const) {
    const base = held[group];
    if (base < settings.safety.minimumBase) {
      continue; // too few to judge by percentage: a first import is all inserts
    }
    for (const action of ["insert", "update", "delete"] as const) {
      const n = counts.byGroup[group][action];
      const pct = (n / base) * 100;
      const limit = settings.safety.thresholds[group][action];
      if (pct > limit) {
        reasons.push(`${group} ${action} ${pct.toFixed(1)}% (${n} of ${base}) > ${limit}%`);
      }
    }
  }
  return { hold: reasons.length > 0, reasons };
}
