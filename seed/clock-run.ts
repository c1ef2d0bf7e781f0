// The working context of one district-clock advance, shared by the clock (clock.ts), the daily churn (churn.ts)
// and the rollover (rollover.ts): the transaction, state and calendar, the pending stamp every change carries until
// the advance takes its real one, candidate pools, change counters, and inserts that never collide with client ids.
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { dataTables, enrollments, users } from "../server/db/schema.js";
import type { IsoDate, SchoolYearCalendar } from "./calendar.js";
import type { ChurnEvent } from "./churn.js";
import type { ClockState } from "./clock-state.js";
import type { StreamContext } from "./generate.js";
import type { Tx } from "./load.js";
import type { TableName } from "./rows.js";

/**
 * The dateLastModified every row an advance writes carries until the advance commits: the clock then takes one real
 * stamp (takeStamp, after all its row locks) and sets it on exactly these rows. No real write ever carries it (year
 * 0001), and uncommitted rows are invisible to everyone else, so no other writer's row is ever restamped.
 */
export const PENDING_STAMP = new Date("0001-01-01T00:00:00.000Z");

/** Per-advance working context. */
export interface Run {
  tx: Tx;
  state: ClockState;
  stream: StreamContext;
  cal: SchoolYearCalendar;
  date: IsoDate;
  /** True once any change was made (the advance then takes a stamp). */
  wrote: boolean;
  changed: Record<TableName, number>;
  events: Record<ChurnEvent, number>;
  /** Candidate ids, read once per simulated day (sampling by OFFSET per event is far too slow at scale). */
  pools: Map<string, string[]>;
}

/** The stamp a change carries during the advance (see PENDING_STAMP); notes that the advance wrote something. */
export function pendingStamp(run: Run): Date {
  run.wrote = true;
  return PENDING_STAMP;
}

export function touch(run: Run, table: TableName, n: number): void {
  run.changed[table] += n;
}

/** A day's candidate list, loaded on first use, ordered by sourcedId so picks are reproducible. */
export async function pool(run: Run, key: string, load: () => Promise<{ id: string }[]>): Promise<string[]> {
  let ids = run.pools.get(key);
  if (!ids) {
    ids = (await load()).map((r) => r.id);
    run.pools.set(key, ids);
  }
  return ids;
}

export function activeUserIds(run: Run, roles: string[]): Promise<string[]> {
  return pool(run, `users:${roles.join(",")}`, () =>
    run.tx
      .select({ id: users.sourcedId })
      .from(users)
      .where(and(inArray(users.role, roles), eq(users.status, "active")))
      .orderBy(asc(users.sourcedId)),
  );
}

export function currentStudentEnrollmentIds(run: Run): Promise<string[]> {
  return pool(run, "enrollments:student", () =>
    run.tx
      .select({ id: enrollments.sourcedId })
      .from(enrollments)
      .where(
        and(
          eq(enrollments.role, "student"),
          eq(enrollments.status, "active"),
          sql`(${enrollments.endDate} IS NULL OR ${enrollments.endDate} >= ${run.date}::date)`,
        ),
      )
      .orderBy(asc(enrollments.sourcedId)),
  );
}

/** Rows per INSERT of insertFresh: far under the bind-parameter limit. */
const FRESH_BATCH = 1000;

/**
 * Inserts rows into a table clients write too (line items, results) without ever colliding with an id a client
 * wrote, even one the clock's predictable ids would produce next: a taken id is skipped for the allocator's next.
 * ON CONFLICT DO NOTHING waits for a client's uncommitted insert of the same id instead of racing it. Returns the
 * rows as inserted, with their final ids, in the order given.
 */
export async function insertFresh<T extends { sourcedId: string }>(
  run: Run,
  table: "lineItems" | "results",
  idKind: string,
  rows: T[],
): Promise<T[]> {
  const target = dataTables[table];
  const done = new Map<number, T>();
  let pending = rows.map((row, index) => ({ row, index }));
  while (pending.length > 0) {
    const taken = new Set<string>(pending.map((p) => p.row.sourcedId));
    for (let i = 0; i < pending.length; i += FRESH_BATCH) {
      const batch = pending.slice(i, i + FRESH_BATCH).map((p) => p.row);
      const inserted = await run.tx
        .insert(target)
        // biome-ignore lint/suspicious/noExplicitAny: rows are typed per table by their builders (RowOf<T>).
        .values(batch as any)
        .onConflictDoNothing({ target: target.sourcedId })
        .returning({ id: target.sourcedId });
      for (const r of inserted) {
        taken.delete(r.id);
      }
    }
    for (const p of pending) {
      if (!taken.has(p.row.sourcedId)) {
        done.set(p.index, p.row);
      }
    }
    pending = pending
      .filter((p) => taken.has(p.row.sourcedId))
      .map((p) => ({ ...p, row: { ...p.row, sourcedId: run.stream.ids.next(idKind) } }));
  }
  return rows.map((_, i) => done.get(i) as T);
}
