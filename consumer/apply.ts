// Applying: a batch's plan rows → the LMS tables, in one transaction with an audit row per change, or not at
// all. The only module that writes the LMS tables (manual edits of an LMS admin live in lms-admin.ts). References
// travel in the plan as sync keys and are resolved to LMS ids here, so approve can apply a plan made earlier.
import { and, asc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { LmsDb, LmsTx } from "./store/open.js";
import {
  auditLog,
  enrollments,
  orgUnitParents,
  orgUnits,
  type PlanAction,
  type PlanEntity,
  parentLinks,
  planChanges,
  syncState,
  users,
} from "./store/schema.js";

/** The store moved on since the plan was made (another apply, a manual change): approving it would be unsafe. */
export class StalePlanError extends Error {
  readonly code = "STALE_PLAN";
}

type PlanRow = typeof planChanges.$inferSelect;

const VERSION_KEY = "version";
export const LAST_SUCCESS_KEY = "lastSuccess";
const CHUNK = 1000;

/** The store version: bumped by every apply and every manual change, compared by approve. */
export async function storeVersion(db: LmsDb | LmsTx): Promise<number> {
  const [row] = await db.select().from(syncState).where(eq(syncState.key, VERSION_KEY));
  return typeof row?.value === "number" ? row.value : 0;
}

export async function bumpStoreVersion(tx: LmsDb | LmsTx, now: Date): Promise<number> {
  const next = (await storeVersion(tx)) + 1;
  await tx
    .insert(syncState)
    .values({ key: VERSION_KEY, value: next, updatedAt: now })
    .onConflictDoUpdate({ target: syncState.key, set: { value: next, updatedAt: now } });
  return next;
}

export interface ApplyResult {
  applied: number;
  version: number;
}

/**
 * Applies the plan of a batch in one transaction. `expectedVersion` is the store version the plan was computed
 * against; a different current version throws StalePlanError and changes nothing. `onProgress` sees rows applied.
 */
export async function applyPlan(
  db: LmsDb,
  batchId: number,
  expectedVersion: number,
  now: Date,
  onProgress?: (applied: number) => void,
): Promise<ApplyResult> {
  return db.transaction(async (tx) => {
    // Serialise appliers on Postgres: a second process approving the same store waits, then sees the new version.
    await tx.execute(lockStatement);
    const current = await storeVersion(tx);
    if (current !== expectedVersion) {
      throw new StalePlanError(
        `the LMS store changed since this plan was made (version ${expectedVersion}, now ${current}); discard the batch and run the sync again`,
      );
    }
    const ctx = await ApplyContext.load(tx, now);
    let applied = 0;
    let after = 0;
    for (;;) {
      const rows = await tx
        .select()
        .from(planChanges)
        .where(and(eq(planChanges.batchId, batchId), gt(planChanges.seq, after)))
        .orderBy(asc(planChanges.seq))
        .limit(CHUNK);
      if (rows.length === 0) {
        break;
      }
      const previous = after;
      after = rows[rows.length - 1]?.seq ?? after;
      // Consecutive rows of one entity and action are applied together (bulk inserts for creates).
      let start = 0;
      while (start < rows.length) {
        const first = rows[start] as PlanRow;
        let end = start + 1;
        while (end < rows.length && rows[end]?.entity === first.entity && rows[end]?.action === first.action) {
          end++;
        }
        await ctx.apply(first.entity, first.action, rows.slice(start, end));
        start = end;
      }
      // The audit rows are the plan rows themselves: copied inside the database, in seq order, so their JSON is not
      // parsed and serialised again on the way through.
      await tx.execute(sql`
        INSERT INTO ${auditLog} (batch_id, entity, action, sis_id, before, after, at)
        SELECT batch_id, entity, action, sis_id, before, after, ${now.toISOString()}::timestamptz
        FROM ${planChanges}
        WHERE batch_id = ${batchId} AND seq > ${previous} AND seq <= ${after}
        ORDER BY seq`);
      applied += rows.length;
      onProgress?.(applied);
    }
    const version = await bumpStoreVersion(tx, now);
    return { applied, version };
  });
}

const lockStatement = sql`SELECT pg_advisory_xact_lock(7240911)`;

/** An org unit reference as the plan stores it: `kind/sisId` (kinds never hold a slash). */
const key = (kind: string, sisId: string) => `${kind}/${sisId}`;

/** Id lookups for one apply: org units by key (few), users by sync key (resolved per chunk). */
class ApplyContext {
  private constructor(
    private readonly tx: LmsTx,
    private readonly now: Date,
    private readonly unitIds: Map<string, number>,
  ) {}

  static async load(tx: LmsTx, now: Date): Promise<ApplyContext> {
    const rows = await tx
      .select({ id: orgUnits.id, kind: orgUnits.kind, sisId: orgUnits.sisId })
      .from(orgUnits)
      .where(isNull(orgUnits.unmappedAt));
    const ids = new Map<string, number>();
    for (const r of rows) {
      if (r.sisId) {
        ids.set(key(r.kind, r.sisId), r.id);
      }
    }
    return new ApplyContext(tx, now, ids);
  }

  private unitId(k: string): number {
    const id = this.unitIds.get(k);
    if (id === undefined) {
      throw new Error(`apply: org unit ${k} is not in the LMS`);
    }
    return id;
  }

  private async userIds(sisIds: string[]): Promise<Map<string, number>> {
    const unique = [...new Set(sisIds)];
    const out = new Map<string, number>();
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await this.tx
        .select({ id: users.id, sisId: users.sisId })
        .from(users)
        .where(inArray(users.sisId, unique.slice(i, i + CHUNK)));
      for (const r of rows) {
        out.set(r.sisId as string, r.id);
      }
    }
    return out;
  }

  async apply(entity: PlanEntity, action: PlanAction, rows: PlanRow[]): Promise<void> {
    switch (entity) {
      case "orgUnit":
        return this.orgUnits(action, rows);
      case "user":
        return this.users(action, rows);
      case "parentLink":
        return this.parentLinks(action, rows);
      case "enrollment":
        return this.enrollments(action, rows);
    }
  }

  private async setParents(childId: number, parentKeys: string[]): Promise<void> {
    await this.tx.delete(orgUnitParents).where(eq(orgUnitParents.childId, childId));
    if (parentKeys.length > 0) {
      await this.tx
        .insert(orgUnitParents)
        .values(parentKeys.map((k) => ({ childId, parentId: this.unitId(k) })))
        .onConflictDoNothing();
    }
  }

  private async orgUnits(action: PlanAction, rows: PlanRow[]): Promise<void> {
    const { tx, now } = this;
    for (const r of rows) {
      const a = (r.after ?? {}) as Record<string, unknown>;
      const kind = r.kind as "org" | "session" | "template" | "offering" | "section";
      const k = key(kind, r.sisId);
      const fields = {
        type: a.type as string,
        code: a.code as string,
        name: a.name as string,
        startDate: (a.startDate as string | null) ?? null,
        endDate: (a.endDate as string | null) ?? null,
      };
      switch (action) {
        case "create": {
          const [row] = await tx
            .insert(orgUnits)
            .values({
              kind,
              sisId: r.sisId,
              ...fields,
              status: "active",
              source: "sis",
              gradeExport: kind === "offering",
              createdAt: now,
              updatedAt: now,
            })
            .returning({ id: orgUnits.id });
          if (!row) {
            throw new Error("apply: insert returned no row");
          }
          this.unitIds.set(k, row.id);
          await this.setParents(row.id, (a.parents as string[]) ?? []);
          break;
        }
        case "adopt": {
          const id = a.id as number;
          await tx
            .update(orgUnits)
            .set({ sisId: r.sisId, source: "sis", ...fields, updatedAt: now })
            .where(eq(orgUnits.id, id));
          this.unitIds.set(k, id);
          await this.setParents(id, (a.parents as string[]) ?? []);
          break;
        }
        case "update": {
          const id = this.unitId(k);
          await tx
            .update(orgUnits)
            .set({ ...fields, status: "active", updatedAt: now })
            .where(eq(orgUnits.id, id));
          await this.setParents(id, (a.parents as string[]) ?? []);
          break;
        }
        case "inactivate":
        case "unmap": {
          const id = this.unitId(k);
          await tx
            .update(orgUnits)
            .set({
              ...(action === "inactivate" ? { status: "inactive" as const } : {}),
              unmappedAt: now,
              updatedAt: now,
            })
            .where(eq(orgUnits.id, id));
          this.unitIds.delete(k);
          break;
        }
        case "archive": {
          const id = this.unitId(k);
          await tx
            .update(orgUnits)
            .set({ status: "archived", archivedAt: now, updatedAt: now })
            .where(eq(orgUnits.id, id));
          break;
        }
        default:
          throw new Error(`apply: no org unit action ${action}`);
      }
    }
  }

  private async users(action: PlanAction, rows: PlanRow[]): Promise<void> {
    const { tx, now } = this;
    const fields = (a: Record<string, unknown>) => ({
      orgDefinedId: (a.orgDefinedId as string | null) ?? null,
      username: a.username as string,
      firstName: a.firstName as string,
      middleName: (a.middleName as string | null) ?? null,
      lastName: a.lastName as string,
      email: (a.email as string | null) ?? null,
      role: a.role as string,
      sisRole: (a.sisRole as string | null) ?? null,
      isActive: a.isActive as boolean,
    });
    if (action === "create") {
      await tx.insert(users).values(
        rows.map((r) => ({
          sisId: r.sisId,
          ...fields(r.after ?? {}),
          source: "sis" as const,
          createdAt: now,
          updatedAt: now,
        })),
      );
      return;
    }
    for (const r of rows) {
      const a = (r.after ?? {}) as Record<string, unknown>;
      switch (action) {
        case "adopt":
          await tx
            .update(users)
            .set({ sisId: r.sisId, source: "sis", ...fields(a), trashedAt: null, updatedAt: now })
            .where(eq(users.id, a.id as number));
          break;
        case "update":
        case "restore":
          await tx
            .update(users)
            .set({ ...fields(a), trashedAt: null, updatedAt: now })
            .where(eq(users.sisId, r.sisId));
          break;
        case "delete":
          // Soft delete: deactivated and into the trash can (seed 000); restored if the person comes back.
          await tx
            .update(users)
            .set({ isActive: false, trashedAt: now, updatedAt: now })
            .where(eq(users.sisId, r.sisId));
          break;
        default:
          throw new Error(`apply: no user action ${action}`);
      }
    }
  }

  private async parentLinks(action: PlanAction, rows: PlanRow[]): Promise<void> {
    const pairs = rows.map((r) => {
      const v = (r.after ?? r.before ?? {}) as { parent: string; child: string };
      return v;
    });
    const ids = await this.userIds(pairs.flatMap((p) => [p.parent, p.child]));
    const resolved = pairs.map((p) => {
      const parentUserId = ids.get(p.parent);
      const childUserId = ids.get(p.child);
      if (parentUserId === undefined || childUserId === undefined) {
        throw new Error(`apply: parent link ${p.parent}>${p.child} refers to a user the LMS does not have`);
      }
      return { parentUserId, childUserId };
    });
    if (action === "create") {
      await this.tx
        .insert(parentLinks)
        .values(resolved.map((r) => ({ ...r, source: "sis" as const, createdAt: this.now })))
        .onConflictDoNothing();
      return;
    }
    for (const r of resolved) {
      await this.tx
        .delete(parentLinks)
        .where(and(eq(parentLinks.parentUserId, r.parentUserId), eq(parentLinks.childUserId, r.childUserId)));
    }
  }

  private async enrollments(action: PlanAction, rows: PlanRow[]): Promise<void> {
    const { tx, now } = this;
    if (action === "create") {
      const ids = await this.userIds(rows.map((r) => (r.after as { user: string }).user));
      await tx.insert(enrollments).values(
        rows.map((r) => {
          const a = r.after as Record<string, unknown>;
          const userId = ids.get(a.user as string);
          if (userId === undefined) {
            throw new Error(`apply: enrollment ${r.sisId} refers to user ${String(a.user)}, not in the LMS`);
          }
          const isClass = r.kind === "class";
          return {
            sisId: r.sisId,
            userId,
            orgUnitId: isClass
              ? this.unitId(key("offering", a.offering as string))
              : this.unitId(key("org", a.org as string)),
            sectionId: isClass ? (this.unitIds.get(key("section", a.offering as string)) ?? null) : null,
            role: a.role as string,
            sisRole: (a.sisRole as string | undefined) ?? null,
            kind: isClass ? ("class" as const) : ("org" as const),
            source: "sis" as const,
            isPrimary: (a.isPrimary as boolean | null | undefined) ?? null,
            beginDate: (a.beginDate as string | null | undefined) ?? null,
            endDate: (a.endDate as string | null | undefined) ?? null,
            createdAt: now,
            updatedAt: now,
          };
        }),
      );
      return;
    }
    for (const r of rows) {
      const a = (r.after ?? {}) as Record<string, unknown>;
      switch (action) {
        case "update":
          await tx
            .update(enrollments)
            .set({
              role: a.role as string,
              sisRole: (a.sisRole as string | undefined) ?? null,
              ...(r.kind === "class"
                ? {
                    isPrimary: (a.isPrimary as boolean | null) ?? null,
                    beginDate: (a.beginDate as string | null) ?? null,
                    endDate: (a.endDate as string | null) ?? null,
                  }
                : {}),
              updatedAt: now,
            })
            .where(and(eq(enrollments.sisId, r.sisId), eq(enrollments.source, "sis")));
          break;
        case "delete":
          // Only synced enrolments: the ones created manually in the LMS are never removed by sync (seed 003).
          await tx.delete(enrollments).where(and(eq(enrollments.sisId, r.sisId), eq(enrollments.source, "sis")));
          break;
        case "manual":
          await tx
            .update(enrollments)
            .set({ source: "manual", updatedAt: now })
            .where(eq(enrollments.id, (r.before as { id: number }).id));
          break;
        default:
          throw new Error(`apply: no enrollment action ${action}`);
      }
    }
  }
}
