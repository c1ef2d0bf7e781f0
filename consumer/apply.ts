// Applying: a batch's plan rows → the LMS tables, in one transaction with an audit row per change, or not at
// all. The only module that writes the LMS tables (manual edits of an LMS admin live in lms-admin.ts). References
// travel in the plan as sync keys and are resolved to LMS ids here, so approve can apply a plan made earlier.
import { and, asc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import { bulkInsert } from "./store/bulk.js";
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
      await ctx.flush();
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

/**
 * Rows as a table expression bound to one jsonb parameter, for set-based statements: one value to bind and one JSON
 * text to build, where a VALUES list would bind a parameter per cell. A JSON null or a missing key is SQL NULL.
 */
function recordset(rows: readonly Record<string, unknown>[], columns: string) {
  return sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(${sql.raw(columns)})`;
}

/** The parent links and enrolments a run of create rows waits to insert (see ApplyContext.flush). */
interface PendingCreates {
  links: { parent: string; child: string }[];
  enrollments: PlanRow[];
}

/**
 * Id lookups for one apply: org units by key (few), users by sync key (resolved per chunk). Parent link and enrolment
 * creates are held back and inserted together by flush(), which runs before any other statement: planning writes a
 * user's links and org enrolments next to each other, and inserting each short run on its own cost a round trip per
 * user. Only inserts into those two tables (no serial ids for links, enrolment ids in plan order) are ever regrouped.
 */
class ApplyContext {
  private pending: PendingCreates = { links: [], enrollments: [] };

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
    if (!(action === "create" && (entity === "parentLink" || entity === "enrollment"))) {
      await this.flush();
    }
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

  /** Inserts the held-back parent link and enrolment creates, in plan order within each table. */
  async flush(): Promise<void> {
    const { links, enrollments: creates } = this.pending;
    if (links.length === 0 && creates.length === 0) {
      return;
    }
    this.pending = { links: [], enrollments: [] };
    // One lookup for every user the held rows name; the users table does not change while rows are held.
    const ids = await this.userIds([
      ...links.flatMap((p) => [p.parent, p.child]),
      ...creates.map((r) => (r.after as { user: string }).user),
    ]);
    if (links.length > 0) {
      await this.insertParentLinks(links, ids);
    }
    if (creates.length > 0) {
      await this.insertEnrollments(creates, ids);
    }
  }

  /** Replaces the parent links of these org units (one statement to clear, one to insert). */
  private async setParents(children: { childId: number; parentKeys: string[] }[]): Promise<void> {
    if (children.length === 0) {
      return;
    }
    await this.tx.delete(orgUnitParents).where(
      inArray(
        orgUnitParents.childId,
        children.map((c) => c.childId),
      ),
    );
    const links = children.flatMap((c) => c.parentKeys.map((k) => ({ childId: c.childId, parentId: this.unitId(k) })));
    for (let i = 0; i < links.length; i += CHUNK) {
      await bulkInsert(this.tx, orgUnitParents, links.slice(i, i + CHUNK), { onConflict: sql`ON CONFLICT DO NOTHING` });
    }
  }

  private async orgUnits(action: PlanAction, rows: PlanRow[]): Promise<void> {
    const { tx, now } = this;
    const unit = (r: PlanRow) => {
      const a = (r.after ?? {}) as Record<string, unknown>;
      const kind = r.kind as "org" | "session" | "template" | "offering" | "section";
      return {
        a,
        kind,
        k: key(kind, r.sisId),
        fields: {
          type: a.type as string,
          code: a.code as string,
          name: a.name as string,
          startDate: (a.startDate as string | null) ?? null,
          endDate: (a.endDate as string | null) ?? null,
        },
      };
    };
    switch (action) {
      case "create": {
        const units = rows.map(unit);
        // A unit may name itself or parents made before it (plan order puts parents first), as when made one by one.
        const position = new Map(units.map((u, i) => [u.k, i]));
        units.forEach((u, i) => {
          for (const p of (u.a.parents as string[]) ?? []) {
            if ((position.get(p) ?? -1) > i && !this.unitIds.has(p)) {
              throw new Error(`apply: org unit ${p} is not in the LMS`);
            }
          }
        });
        const made = (await bulkInsert(
          tx,
          orgUnits,
          units.map((u, i) => ({
            kind: u.kind,
            sisId: (rows[i] as PlanRow).sisId,
            ...u.fields,
            status: "active" as const,
            source: "sis" as const,
            gradeExport: u.kind === "offering",
            createdAt: now,
            updatedAt: now,
          })),
          { returning: ["id", "kind", "sisId"] },
        )) as { id: number; kind: string; sisId: string | null }[];
        if (made.length !== units.length) {
          throw new Error("apply: insert returned no row");
        }
        for (const m of made) {
          this.unitIds.set(key(m.kind, m.sisId as string), m.id);
        }
        await this.setParents(
          units.map((u) => ({ childId: this.unitId(u.k), parentKeys: (u.a.parents as string[]) ?? [] })),
        );
        return;
      }
      case "adopt": {
        for (const r of rows) {
          const u = unit(r);
          const id = u.a.id as number;
          await tx
            .update(orgUnits)
            .set({ sisId: r.sisId, source: "sis", ...u.fields, updatedAt: now })
            .where(eq(orgUnits.id, id));
          this.unitIds.set(u.k, id);
          await this.setParents([{ childId: id, parentKeys: (u.a.parents as string[]) ?? [] }]);
        }
        return;
      }
      case "update": {
        const units = rows.map(unit);
        const values = units.map((u) => ({
          id: this.unitId(u.k),
          type: u.fields.type,
          code: u.fields.code,
          name: u.fields.name,
          start_date: u.fields.startDate,
          end_date: u.fields.endDate,
        }));
        // NOT NULL columns keep their value when the plan lacks one, as an update that skips an undefined field does.
        await tx.execute(sql`
          UPDATE ${orgUnits} o SET
            type = coalesce(v.type, o.type), code = coalesce(v.code, o.code), name = coalesce(v.name, o.name),
            start_date = v.start_date, end_date = v.end_date, status = 'active',
            updated_at = ${now.toISOString()}::timestamptz
          FROM ${recordset(values, "id bigint, type text, code text, name text, start_date date, end_date date")}
          WHERE o.id = v.id`);
        await this.setParents(
          units.map((u) => ({ childId: this.unitId(u.k), parentKeys: (u.a.parents as string[]) ?? [] })),
        );
        return;
      }
      case "inactivate":
      case "unmap": {
        const ids = rows.map((r) => this.unitId(unit(r).k));
        await tx
          .update(orgUnits)
          .set({
            ...(action === "inactivate" ? { status: "inactive" as const } : {}),
            unmappedAt: now,
            updatedAt: now,
          })
          .where(inArray(orgUnits.id, ids));
        for (const r of rows) {
          this.unitIds.delete(unit(r).k);
        }
        return;
      }
      case "archive": {
        const ids = rows.map((r) => this.unitId(unit(r).k));
        await tx
          .update(orgUnits)
          .set({ status: "archived", archivedAt: now, updatedAt: now })
          .where(inArray(orgUnits.id, ids));
        return;
      }
      default:
        throw new Error(`apply: no org unit action ${action}`);
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
    switch (action) {
      case "create":
        await bulkInsert(
          tx,
          users,
          rows.map((r) => ({
            sisId: r.sisId,
            ...fields(r.after ?? {}),
            source: "sis" as const,
            createdAt: now,
            updatedAt: now,
          })),
        );
        return;
      case "adopt":
        for (const r of rows) {
          const a = (r.after ?? {}) as Record<string, unknown>;
          await tx
            .update(users)
            .set({ sisId: r.sisId, source: "sis", ...fields(a), trashedAt: null, updatedAt: now })
            .where(eq(users.id, a.id as number));
        }
        return;
      case "update":
      case "restore": {
        const values = rows.map((r) => {
          const f = fields((r.after ?? {}) as Record<string, unknown>);
          return {
            sis_id: r.sisId,
            org_defined_id: f.orgDefinedId,
            username: f.username,
            first_name: f.firstName,
            middle_name: f.middleName,
            last_name: f.lastName,
            email: f.email,
            role: f.role,
            sis_role: f.sisRole,
            is_active: f.isActive,
          };
        });
        // NOT NULL columns keep their value when the plan lacks one, as an update that skips an undefined field does.
        await tx.execute(sql`
          UPDATE ${users} u SET
            org_defined_id = v.org_defined_id, username = coalesce(v.username, u.username),
            first_name = coalesce(v.first_name, u.first_name), middle_name = v.middle_name,
            last_name = coalesce(v.last_name, u.last_name), email = v.email, role = coalesce(v.role, u.role),
            sis_role = v.sis_role, is_active = coalesce(v.is_active, u.is_active), trashed_at = NULL,
            updated_at = ${now.toISOString()}::timestamptz
          FROM ${recordset(
            values,
            "sis_id text, org_defined_id text, username text, first_name text, middle_name text, last_name text, email text, role text, sis_role text, is_active boolean",
          )}
          WHERE u.sis_id = v.sis_id`);
        return;
      }
      case "delete":
        // Soft delete: deactivated and into the trash can (seed 000); restored if the person comes back.
        await tx
          .update(users)
          .set({ isActive: false, trashedAt: now, updatedAt: now })
          .where(
            inArray(
              users.sisId,
              rows.map((r) => r.sisId),
            ),
          );
        return;
      default:
        throw new Error(`apply: no user action ${action}`);
    }
  }

  private resolveLinks(pairs: { parent: string; child: string }[], ids: Map<string, number>) {
    return pairs.map((p) => {
      const parentUserId = ids.get(p.parent);
      const childUserId = ids.get(p.child);
      if (parentUserId === undefined || childUserId === undefined) {
        throw new Error(`apply: parent link ${p.parent}>${p.child} refers to a user the LMS does not have`);
      }
      return { parentUserId, childUserId };
    });
  }

  private async insertParentLinks(pairs: { parent: string; child: string }[], ids: Map<string, number>) {
    const resolved = this.resolveLinks(pairs, ids);
    for (let i = 0; i < resolved.length; i += CHUNK) {
      await bulkInsert(
        this.tx,
        parentLinks,
        resolved.slice(i, i + CHUNK).map((r) => ({ ...r, source: "sis" as const, createdAt: this.now })),
        { onConflict: sql`ON CONFLICT DO NOTHING` },
      );
    }
  }

  private async parentLinks(action: PlanAction, rows: PlanRow[]): Promise<void> {
    if (action === "create") {
      this.pending.links.push(...rows.map((r) => (r.after ?? r.before ?? {}) as { parent: string; child: string }));
      return;
    }
    const pairs = rows.map((r) => (r.after ?? r.before ?? {}) as { parent: string; child: string });
    const resolved = this.resolveLinks(pairs, await this.userIds(pairs.flatMap((p) => [p.parent, p.child])));
    await this.tx.execute(sql`
      DELETE FROM ${parentLinks} l
      USING ${recordset(
        resolved.map((r) => ({ parent: r.parentUserId, child: r.childUserId })),
        "parent bigint, child bigint",
      )}
      WHERE l.parent_user_id = v.parent AND l.child_user_id = v.child`);
  }

  private async insertEnrollments(rows: PlanRow[], ids: Map<string, number>): Promise<void> {
    const { tx, now } = this;
    const values = rows.map((r) => {
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
    });
    for (let i = 0; i < values.length; i += CHUNK) {
      await bulkInsert(tx, enrollments, values.slice(i, i + CHUNK));
    }
  }

  private async enrollments(action: PlanAction, rows: PlanRow[]): Promise<void> {
    const { tx, now } = this;
    switch (action) {
      case "create":
        this.pending.enrollments.push(...rows);
        return;
      case "update": {
        // Class enrolments also take their dates and primary flag; org enrolments only their role.
        const values = rows.map((r) => {
          const a = (r.after ?? {}) as Record<string, unknown>;
          return {
            sis_id: r.sisId,
            class: r.kind === "class",
            role: a.role as string,
            sis_role: (a.sisRole as string | undefined) ?? null,
            is_primary: (a.isPrimary as boolean | null) ?? null,
            begin_date: (a.beginDate as string | null) ?? null,
            end_date: (a.endDate as string | null) ?? null,
          };
        });
        await tx.execute(sql`
          UPDATE ${enrollments} e SET
            role = coalesce(v.role, e.role), sis_role = v.sis_role,
            is_primary = CASE WHEN v.class THEN v.is_primary ELSE e.is_primary END,
            begin_date = CASE WHEN v.class THEN v.begin_date ELSE e.begin_date END,
            end_date = CASE WHEN v.class THEN v.end_date ELSE e.end_date END,
            updated_at = ${now.toISOString()}::timestamptz
          FROM ${recordset(
            values,
            "sis_id text, class boolean, role text, sis_role text, is_primary boolean, begin_date date, end_date date",
          )}
          WHERE e.sis_id = v.sis_id AND e.source = 'sis'`);
        return;
      }
      case "delete":
        // Only synced enrolments: the ones created manually in the LMS are never removed by sync (seed 003).
        await tx.delete(enrollments).where(
          and(
            inArray(
              enrollments.sisId,
              rows.map((r) => r.sisId),
            ),
            eq(enrollments.source, "sis"),
          ),
        );
        return;
      case "manual":
        await tx
          .update(enrollments)
          .set({ source: "manual", updatedAt: now })
          .where(
            inArray(
              enrollments.id,
              rows.map((r) => (r.before as { id: number }).id),
            ),
          );
        return;
      default:
        throw new Error(`apply: no enrollment action ${action}`);
    }
  }
}
