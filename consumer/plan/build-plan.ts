// Planning: the staged feed of a batch + the LMS store → the batch's plan rows (creates, updates, deletes,
// restores, archives, manual conversions), with every record the engine cannot take recorded as a batch error.
// It reads the store and staging, writes only plan and error rows: nothing in the LMS changes until apply.
// Org units are planned in memory (they are few); users and enrolments in chunks, so memory stays flat.
import { and, asc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { AcademicSession, Class, Course, Enrollment, Org, User } from "../../oneroster/index.js";
import type { CollectionName } from "../collections.js";
import type { SyncSettings } from "../config.js";
import type { StagedCollection } from "../fetch/stage.js";
import { bulkInsert } from "../store/bulk.js";
import type { LmsDb } from "../store/open.js";
import {
  batchErrors,
  enrollments,
  type OrgUnitKind,
  orgUnitParents,
  orgUnits,
  type PlanAction,
  type PlanEntity,
  parentLinks,
  planChanges,
  type SafetyGroup,
  stagedRecords,
  users,
} from "../store/schema.js";
import { CodeBook } from "./codes.js";
import {
  type DesiredOrgUnit,
  type DesiredUser,
  desiredEnrollment,
  desiredOffering,
  desiredOrg,
  desiredSession,
  desiredTemplate,
  desiredUser,
  MappingError,
  type OrgUnitRef,
  orgEnrollmentKey,
  parentLinkKey,
} from "./desired.js";

export interface PlanChange {
  entity: PlanEntity;
  action: PlanAction;
  group: SafetyGroup;
  sisId: string;
  kind?: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  reason?: string;
}

/** Counts of a plan: entity → action → n, and group → insert/update/delete → n (what the safety filter reads). */
export interface PlanCounts {
  byEntity: Record<string, Record<string, number>>;
  byGroup: Record<SafetyGroup, { insert: number; update: number; delete: number }>;
  errors: number;
  notes: number;
}

export interface PlanInput {
  db: LmsDb;
  batchId: number;
  mode: "full" | "delta";
  settings: SyncSettings;
  staged: StagedCollection[];
  /** The run's date, for unenrolment by end date. */
  today: string;
  now: () => Date;
}

const CHUNK = 2000;
/** Plan rows from which a batch refreshes the table's statistics before apply reads them back (see buildPlan). */
const ANALYZE_AFTER = 10_000;

/** Which safety bucket an action counts in. */
export function bucketOf(action: PlanAction): "insert" | "update" | "delete" {
  switch (action) {
    case "create":
    case "restore":
      return "insert";
    case "delete":
    case "inactivate":
    case "archive":
    case "unmap":
      return "delete";
    default:
      return "update";
  }
}

/** Buffers plan rows and errors and writes them in chunks, counting as it goes. */
class PlanWriter {
  private seq = 0;
  private rows: (typeof planChanges.$inferInsert)[] = [];
  private errs: (typeof batchErrors.$inferInsert)[] = [];
  readonly counts: PlanCounts = {
    byEntity: {},
    byGroup: {
      persons: { insert: 0, update: 0, delete: 0 },
      groups: { insert: 0, update: 0, delete: 0 },
      memberships: { insert: 0, update: 0, delete: 0 },
    },
    errors: 0,
    notes: 0,
  };
  readonly notes: string[] = [];

  /** Plan rows added so far. */
  get written(): number {
    return this.seq;
  }

  constructor(
    private readonly db: LmsDb,
    private readonly batchId: number,
    private readonly now: () => Date,
  ) {}

  async add(change: PlanChange): Promise<void> {
    this.seq += 1;
    this.rows.push({
      batchId: this.batchId,
      seq: this.seq,
      entity: change.entity,
      action: change.action,
      group: change.group,
      sisId: change.sisId,
      kind: change.kind ?? null,
      before: change.before ?? null,
      after: change.after ?? null,
      reason: change.reason ?? null,
    });
    this.counts.byEntity[change.entity] ??= {};
    const e = this.counts.byEntity[change.entity] as Record<string, number>;
    e[change.action] = (e[change.action] ?? 0) + 1;
    this.counts.byGroup[change.group][bucketOf(change.action)] += 1;
    if (this.rows.length >= CHUNK) {
      await this.flush();
    }
  }

  async error(collection: string, sourcedId: string | undefined, code: string, message: string, record?: unknown) {
    this.counts.errors += 1;
    this.errs.push({
      batchId: this.batchId,
      collection,
      sourcedId: sourcedId ?? null,
      code,
      message,
      record: (record as Record<string, unknown> | undefined) ?? null,
      at: this.now(),
    });
    if (this.errs.length >= CHUNK) {
      await this.flush();
    }
  }

  note(text: string): void {
    this.counts.notes += 1;
    if (this.notes.length < 200) {
      this.notes.push(text);
    }
  }

  async flush(): Promise<void> {
    if (this.rows.length > 0) {
      await bulkInsert(this.db, planChanges, this.rows);
      this.rows = [];
    }
    if (this.errs.length > 0) {
      await bulkInsert(this.db, batchErrors, this.errs);
      this.errs = [];
    }
  }
}

/** Reads a staged collection in sourcedId order, CHUNK records at a time. */
async function* stagedChunks<T>(db: LmsDb, batchId: number, collection: CollectionName): AsyncGenerator<T[]> {
  let after = "";
  for (;;) {
    const rows = await db
      .select({ sourcedId: stagedRecords.sourcedId, record: stagedRecords.record })
      .from(stagedRecords)
      .where(
        and(
          eq(stagedRecords.batchId, batchId),
          eq(stagedRecords.collection, collection),
          gt(stagedRecords.sourcedId, after),
        ),
      )
      .orderBy(asc(stagedRecords.sourcedId))
      .limit(CHUNK);
    if (rows.length === 0) {
      return;
    }
    after = rows[rows.length - 1]?.sourcedId ?? after;
    yield rows.map((r) => r.record as T);
  }
}

/** Pages through store rows in id order, CHUNK at a time, with `page(afterId)` giving each chunk. */
async function* inIdOrder<T extends { id: number }>(page: (afterId: number) => Promise<T[]>): AsyncGenerator<T[]> {
  let after = 0;
  for (;;) {
    const rows = await page(after);
    const last = rows[rows.length - 1];
    if (!last) {
      return;
    }
    after = last.id;
    yield rows;
  }
}

/** True when a full run may delete what the collection lacks (read completely, and not empty). */
function deletesMissing(input: PlanInput, collection: CollectionName): boolean {
  if (input.mode !== "full" || !input.settings.deletion.missingInFullRun) {
    return false;
  }
  const s = input.staged.find((c) => c.collection === collection);
  return s?.complete === true && !s.empty;
}

const COLLECTION_OF_KIND: Record<OrgUnitKind, CollectionName> = {
  session: "academicSessions",
  org: "orgs",
  template: "courses",
  offering: "classes",
  section: "classes",
};

/** An org unit reference as the plan stores it: `kind/sisId` (kinds never hold a slash). */
const key = (kind: string, sisId: string) => `${kind}/${sisId}`;

type OrgUnitRow = typeof orgUnits.$inferSelect;

function orgUnitSnapshot(row: OrgUnitRow, parents: string[]): Record<string, unknown> {
  return {
    id: row.id,
    kind: row.kind,
    type: row.type,
    code: row.code,
    name: row.name,
    status: row.status,
    startDate: row.startDate,
    endDate: row.endDate,
    parents,
  };
}

/** Computes the whole plan of a batch and writes it; returns the counts. */
export async function buildPlan(input: PlanInput): Promise<{ counts: PlanCounts; notes: string[] }> {
  const w = new PlanWriter(input.db, input.batchId, input.now);
  const known = await planOrgUnits(input, w);
  const userIds = await planUsers(input, w, known);
  await planEnrollments(input, w, known, userIds);
  await w.flush();
  if (w.written >= ANALYZE_AFTER) {
    // Fresh statistics before apply pages through these rows: with none (autovacuum has not caught up yet) the
    // planner guesses a few rows per batch and sorts every remaining row for each chunk apply reads.
    await input.db.execute(sql`ANALYZE ${planChanges}`);
  }
  return { counts: w.counts, notes: w.notes };
}

/** What later steps need from the org-unit pass: which offerings can take enrolments, which orgs exist. */
interface KnownUnits {
  /** Offerings that exist or will be created and can take enrolments. */
  enrollable: Set<string>;
  /** Offerings that are archived or being archived: enrolments are not synced into them. */
  archived: Set<string>;
  orgs: Set<string>;
}

async function planOrgUnits(input: PlanInput, w: PlanWriter): Promise<KnownUnits> {
  const { db, settings } = input;
  const rows = await db.select().from(orgUnits);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const parentRows = await db.select().from(orgUnitParents);
  const parentsOf = new Map<number, string[]>();
  for (const p of parentRows) {
    const parent = byId.get(p.parentId);
    if (parent?.sisId) {
      const list = parentsOf.get(p.childId) ?? [];
      list.push(key(parent.kind, parent.sisId));
      parentsOf.set(p.childId, list);
    }
  }
  const codes = new CodeBook();
  const mapped = new Map<string, OrgUnitRow>();
  const manualByCode = new Map<string, OrgUnitRow>();
  for (const r of rows) {
    codes.hold(r.kind, r.code, r.sisId && !r.unmappedAt ? key(r.kind, r.sisId) : `#${r.id}`);
    if (r.sisId && !r.unmappedAt) {
      mapped.set(key(r.kind, r.sisId), r);
    } else if (r.source === "manual") {
      manualByCode.set(key(r.kind, r.code), r);
    }
  }

  // Desired units from the staged feed, in dependency order (sessions, orgs, templates, offerings, sections).
  const desired: { unit: DesiredOrgUnit; record: unknown; collection: CollectionName }[] = [];
  const sessions = new Map<string, { type: string; startDate: string | null; endDate: string | null }>();
  const take = async <T>(collection: CollectionName, map: (r: T) => DesiredOrgUnit[]) => {
    for await (const chunk of stagedChunks<T>(db, input.batchId, collection)) {
      for (const record of chunk) {
        try {
          for (const unit of map(record)) {
            desired.push({ unit, record, collection });
          }
        } catch (err) {
          if (!(err instanceof MappingError)) {
            throw err;
          }
          await w.error(collection, (record as { sourcedId?: string }).sourcedId, err.code, err.message, record);
        }
      }
    }
  };
  await take<AcademicSession>("academicSessions", (s) => {
    sessions.set(s.sourcedId, { type: s.type, startDate: s.startDate, endDate: s.endDate });
    return [desiredSession(s, settings)];
  });
  for (const r of rows) {
    if (r.kind === "session" && r.sisId && !sessions.has(r.sisId)) {
      sessions.set(r.sisId, { type: "", startDate: r.startDate, endDate: r.endDate });
    }
  }
  await take<Org>("orgs", (o) => [desiredOrg(o, settings)]);
  await take<Course>("courses", (c) => [desiredTemplate(c, settings)]);
  await take<Class>("classes", (c) => {
    const { offering, section } = desiredOffering(c, settings, (id) => sessions.get(id));
    return [offering, section];
  });

  // Which units will exist after the plan: mapped ones that stay, plus the feed's active ones. Parents go first
  // (a grading period's term, a school's district), so apply can link each unit to ids it has already made.
  orderParentsFirst(desired);
  const willExist = new Set<string>();
  for (const [k, r] of mapped) {
    if (r.status !== "archived") {
      willExist.add(k);
    }
  }
  for (const { unit } of desired) {
    if (unit.tobedeleted) {
      willExist.delete(key(unit.kind, unit.sisId));
    } else if (mapped.get(key(unit.kind, unit.sisId))?.status !== "archived") {
      willExist.add(key(unit.kind, unit.sisId));
    }
  }
  const seen = new Set<string>();
  const failed = new Set<string>();
  const known: KnownUnits = { enrollable: new Set(), archived: new Set(), orgs: new Set() };

  for (const { unit, record, collection } of desired) {
    const k = key(unit.kind, unit.sisId);
    seen.add(k);
    const existing = mapped.get(k);
    if (unit.tobedeleted) {
      willExist.delete(k);
      if (existing) {
        await planUnitDeletion(input, w, existing, parentsOf.get(existing.id) ?? [], "tobedeleted in the feed", known);
      }
      continue;
    }
    if (existing?.status === "archived") {
      known.archived.add(unit.sisId);
      if (unit.kind === "offering") {
        w.note(`class ${unit.sisId} is archived in the LMS and is not restored automatically`);
      }
      continue;
    }
    const missing = unit.required.filter(
      (ref) => !willExist.has(key(ref.kind, ref.sisId)) || failed.has(key(ref.kind, ref.sisId)),
    );
    if (missing.length > 0) {
      failed.add(k);
      willExist.delete(k);
      if (unit.kind !== "section") {
        await w.error(
          collection,
          unit.sisId,
          "MISSING_PARENT",
          `${unit.kind} ${unit.sisId} needs ${missing.map((m) => `${m.kind} ${m.sisId}`).join(", ")}, which the LMS does not have`,
          record,
        );
      }
      continue;
    }
    const links: OrgUnitRef[] = [
      ...unit.required,
      ...unit.optional.filter((ref) => willExist.has(key(ref.kind, ref.sisId))),
    ];
    for (const ref of unit.optional) {
      if (!willExist.has(key(ref.kind, ref.sisId))) {
        w.note(`${unit.kind} ${unit.sisId}: parent ${ref.kind} ${ref.sisId} is unknown; linked without it`);
      }
    }
    const parents = links.map((l) => key(l.kind, l.sisId)).sort();
    willExist.add(k);
    if (unit.kind === "offering") {
      known.enrollable.add(unit.sisId);
    }
    if (unit.kind === "org") {
      known.orgs.add(unit.sisId);
    }
    if (!existing) {
      const adopt = settings.mapExistingOrgUnits ? manualByCode.get(key(unit.kind, codesFor(unit))) : undefined;
      const { code, notes } = adopt ? { code: adopt.code, notes: [] } : codes.assign(unit.kind, unit.rawCode, k);
      for (const n of unit.kind === "section" ? [] : notes) {
        w.note(`${unit.kind} ${unit.sisId}: ${n}`);
      }
      const after = unitAfter(unit, code, links);
      await w.add({
        entity: "orgUnit",
        action: adopt ? "adopt" : "create",
        group: "groups",
        sisId: unit.sisId,
        kind: unit.kind,
        ...(adopt ? { before: orgUnitSnapshot(adopt, []) } : {}),
        after: adopt ? { ...after, id: adopt.id } : after,
        ...(adopt ? { reason: `mapped to the existing org unit with code ${adopt.code}` } : {}),
      });
      continue;
    }
    // Update only what the SIS may overwrite (seed 003, "Overwriting Brightspace").
    let code = existing.code;
    if (settings.overwrite.orgUnitCodes && existing.source === "sis") {
      const wanted = codes.assign(unit.kind, unit.rawCode, k);
      code = wanted.code;
    }
    const name = settings.overwrite.orgUnitNames ? unit.name : existing.name;
    const before = orgUnitSnapshot(existing, (parentsOf.get(existing.id) ?? []).slice().sort());
    const after = unitAfter(unit, code, links);
    after.name = name;
    const changed =
      before.code !== after.code ||
      before.name !== after.name ||
      before.type !== after.type ||
      before.startDate !== after.startDate ||
      before.endDate !== after.endDate ||
      existing.status !== "active" ||
      JSON.stringify(before.parents) !== JSON.stringify(parents);
    if (changed) {
      await w.add({
        entity: "orgUnit",
        action: "update",
        group: "groups",
        sisId: unit.sisId,
        kind: unit.kind,
        before,
        after,
      });
    }
  }

  // A full run: mapped units of a completely read, non-empty collection that the feed lacks are deleted.
  for (const [k, existing] of mapped) {
    if (seen.has(k) || existing.status === "archived" || !existing.sisId || existing.source !== "sis") {
      if (existing.status === "archived" && existing.kind === "offering" && existing.sisId) {
        known.archived.add(existing.sisId);
      }
      continue;
    }
    if (deletesMissing(input, COLLECTION_OF_KIND[existing.kind])) {
      await planUnitDeletion(input, w, existing, parentsOf.get(existing.id) ?? [], "missing from a full feed", known);
    } else {
      if (existing.kind === "offering") {
        known.enrollable.add(existing.sisId);
      }
      if (existing.kind === "org") {
        known.orgs.add(existing.sisId);
      }
    }
  }
  return known;
}

/**
 * Sorts units so every unit comes after the parents it names of its own kind (sessions under sessions, orgs under
 * orgs); kinds keep their call order. A cycle in the feed is broken where it is found.
 */
function orderParentsFirst(list: { unit: DesiredOrgUnit }[]): void {
  const index = new Map(list.map((d, i) => [key(d.unit.kind, d.unit.sisId), i]));
  const out: typeof list = [];
  const state = new Map<number, "visiting" | "done">();
  const visit = (i: number) => {
    if (state.has(i)) {
      return;
    }
    state.set(i, "visiting");
    const d = list[i] as (typeof list)[number];
    for (const ref of [...d.unit.required, ...d.unit.optional]) {
      const j = index.get(key(ref.kind, ref.sisId));
      if (j !== undefined && j !== i) {
        visit(j);
      }
    }
    state.set(i, "done");
    out.push(d);
  };
  for (let i = 0; i < list.length; i++) {
    visit(i);
  }
  list.splice(0, list.length, ...out);
}

function codesFor(unit: DesiredOrgUnit): string {
  return new CodeBook().assign(unit.kind, unit.rawCode, "").code;
}

function unitAfter(unit: DesiredOrgUnit, code: string, links: OrgUnitRef[]): Record<string, unknown> {
  return {
    kind: unit.kind,
    type: unit.type,
    code,
    name: unit.name,
    status: "active",
    startDate: unit.startDate,
    endDate: unit.endDate,
    parents: links.map((l) => key(l.kind, l.sisId)).sort(),
  };
}

/**
 * Deleting an org unit by the configured policy (seed 003 Deletion; seed 000 Course archiving): offerings are
 * unmapped ("do nothing"), inactivated, or archived with their synced members turned into manual members;
 * other units are inactivated and unmapped.
 */
async function planUnitDeletion(
  input: PlanInput,
  w: PlanWriter,
  existing: OrgUnitRow,
  parents: string[],
  reason: string,
  known: KnownUnits,
): Promise<void> {
  const sisId = existing.sisId as string;
  const before = orgUnitSnapshot(existing, parents);
  const policy = input.settings.deletion.classes;
  if (existing.kind === "offering" || existing.kind === "section") {
    if (policy === "archive") {
      if (existing.kind === "section") {
        return;
      }
      known.archived.add(sisId);
      await w.add({
        entity: "orgUnit",
        action: "archive",
        group: "groups",
        sisId,
        kind: existing.kind,
        before,
        reason,
      });
      // Synced members become manual members, so they keep access through the archived courses list.
      const members = await input.db
        .select()
        .from(enrollments)
        .where(and(eq(enrollments.orgUnitId, existing.id), eq(enrollments.source, "sis")));
      for (const m of members) {
        await w.add({
          entity: "enrollment",
          action: "manual",
          group: "memberships",
          sisId: m.sisId ?? `#${m.id}`,
          kind: m.kind,
          before: { id: m.id, source: m.source, role: m.role },
          after: { id: m.id, source: "manual", role: m.role },
          reason: `course ${sisId} archived`,
        });
      }
      return;
    }
    const action: PlanAction = policy === "inactivate" ? "inactivate" : "unmap";
    await w.add({ entity: "orgUnit", action, group: "groups", sisId, kind: existing.kind, before, reason });
    return;
  }
  await w.add({ entity: "orgUnit", action: "inactivate", group: "groups", sisId, kind: existing.kind, before, reason });
}

type UserRow = typeof users.$inferSelect;

function userSnapshot(u: UserRow): Record<string, unknown> {
  return {
    id: u.id,
    orgDefinedId: u.orgDefinedId,
    username: u.username,
    firstName: u.firstName,
    middleName: u.middleName,
    lastName: u.lastName,
    email: u.email,
    role: u.role,
    sisRole: u.sisRole,
    isActive: u.isActive,
    trashed: u.trashedAt !== null,
  };
}

function userAfter(d: DesiredUser, existing: UserRow | undefined, settings: SyncSettings): Record<string, unknown> {
  const keep = <T>(allowed: boolean, wanted: T, current: T | undefined) =>
    existing && !allowed ? (current as T) : wanted;
  return {
    orgDefinedId: d.orgDefinedId,
    username: keep(settings.overwrite.username, d.username, existing?.username),
    firstName: keep(settings.overwrite.userNames, d.firstName, existing?.firstName),
    middleName: keep(settings.overwrite.userNames, d.middleName, existing?.middleName),
    lastName: keep(settings.overwrite.userNames, d.lastName, existing?.lastName),
    email: keep(settings.overwrite.userEmail, d.email, existing?.email),
    role: d.role,
    sisRole: d.sisRole,
    isActive: d.isActive,
    trashed: false,
  };
}

const USER_FIELDS = [
  "orgDefinedId",
  "username",
  "firstName",
  "middleName",
  "lastName",
  "email",
  "role",
  "sisRole",
  "isActive",
  "trashed",
];

/** Users, then their parent links and org enrolments. Returns the sync keys of users that exist after the plan. */
async function planUsers(input: PlanInput, w: PlanWriter, known: KnownUnits): Promise<Set<string>> {
  const { db, settings } = input;
  const present = new Set<string>(); // users (sis keys) that exist and stay after the plan
  for (const row of await db.select({ sisId: users.sisId, trashedAt: users.trashedAt }).from(users)) {
    if (row.sisId && row.trashedAt === null) {
      present.add(row.sisId);
    }
  }
  const seen = new Set<string>();
  // Pass 1: the users themselves.
  for await (const chunk of stagedChunks<User>(db, input.batchId, "users")) {
    const ids = chunk.map((u) => u.sourcedId);
    const existingRows = await db.select().from(users).where(inArray(users.sisId, ids));
    const bySis = new Map(existingRows.map((u) => [u.sisId as string, u]));
    const wanted: DesiredUser[] = [];
    for (const record of chunk) {
      seen.add(record.sourcedId);
      try {
        wanted.push(desiredUser(record, settings));
      } catch (err) {
        if (!(err instanceof MappingError)) {
          throw err;
        }
        present.delete(record.sourcedId);
        await w.error("users", record.sourcedId, err.code, err.message, record);
      }
    }
    const adoptable = await adoptableUsers(
      input,
      wanted.filter((d) => !bySis.has(d.sisId)),
    );
    for (const d of wanted) {
      const existing = bySis.get(d.sisId);
      if (d.tobedeleted) {
        present.delete(d.sisId);
        if (existing && existing.trashedAt === null && settings.deletion.persons === "softDelete") {
          await w.add({
            entity: "user",
            action: "delete",
            group: "persons",
            sisId: d.sisId,
            before: userSnapshot(existing),
            after: { ...userSnapshot(existing), isActive: false, trashed: true },
            reason: "tobedeleted in the feed",
          });
        }
        continue;
      }
      present.add(d.sisId);
      const after = userAfter(d, existing, settings);
      if (!existing) {
        const adopt = adoptable.get(d.sisId);
        await w.add({
          entity: "user",
          action: adopt ? "adopt" : "create",
          group: "persons",
          sisId: d.sisId,
          ...(adopt ? { before: userSnapshot(adopt) } : {}),
          after: adopt ? { ...after, id: adopt.id } : after,
          ...(adopt
            ? { reason: `mapped to the existing LMS user ${adopt.username} by ${settings.mapExistingUsers}` }
            : {}),
        });
        continue;
      }
      const before = userSnapshot(existing);
      if (existing.trashedAt !== null) {
        await w.add({
          entity: "user",
          action: "restore",
          group: "persons",
          sisId: d.sisId,
          before,
          after,
          reason: "back in the feed",
        });
        continue;
      }
      if (USER_FIELDS.some((f) => before[f] !== after[f])) {
        await w.add({ entity: "user", action: "update", group: "persons", sisId: d.sisId, before, after });
      }
    }
  }
  // Full run: synced users missing from a complete feed go to the trash can.
  if (deletesMissing(input, "users") && settings.deletion.persons === "softDelete") {
    const synced = (after: number) =>
      db
        .select()
        .from(users)
        .where(and(eq(users.source, "sis"), isNull(users.trashedAt), gt(users.id, after)))
        .orderBy(asc(users.id))
        .limit(CHUNK);
    for await (const rows of inIdOrder(synced)) {
      for (const u of rows) {
        if (u.sisId && !seen.has(u.sisId)) {
          present.delete(u.sisId);
          await w.add({
            entity: "user",
            action: "delete",
            group: "persons",
            sisId: u.sisId,
            before: userSnapshot(u),
            after: { ...userSnapshot(u), isActive: false, trashed: true },
            reason: "missing from a full feed",
          });
        }
      }
    }
  }
  // Pass 2, once every user of the feed is known: parent links (agents) and org enrolments (orgs).
  for await (const chunk of stagedChunks<User>(db, input.batchId, "users")) {
    const wanted: DesiredUser[] = [];
    for (const record of chunk) {
      try {
        const d = desiredUser(record, settings);
        if (!d.tobedeleted) {
          wanted.push(d);
        }
      } catch (err) {
        if (!(err instanceof MappingError)) {
          throw err;
        }
      }
    }
    await planUserLinks(input, w, wanted, present, known);
  }
  return present;
}

/** OneRoster user roles that are someone's parent or guardian (notes §2.10, `agents`). */
const GUARDIAN_ROLES = new Set(["parent", "guardian", "relative"]);

/** Manual LMS users a SIS user may be mapped to (seed 003, "Map SIS Entries to Existing Users"). */
async function adoptableUsers(input: PlanInput, fresh: DesiredUser[]): Promise<Map<string, UserRow>> {
  const out = new Map<string, UserRow>();
  const by = input.settings.mapExistingUsers;
  if (by === "off" || fresh.length === 0) {
    return out;
  }
  const column = by === "username" ? users.username : users.orgDefinedId;
  const values = fresh.map((d) => (by === "username" ? d.username : d.orgDefinedId));
  const rows = await input.db
    .select()
    .from(users)
    .where(and(inArray(column, values), isNull(users.sisId)));
  const byValue = new Map(rows.map((r) => [by === "username" ? r.username : (r.orgDefinedId ?? ""), r]));
  for (const d of fresh) {
    const hit = byValue.get(by === "username" ? d.username : d.orgDefinedId);
    if (hit) {
      out.set(d.sisId, hit);
      byValue.delete(by === "username" ? d.username : d.orgDefinedId);
    }
  }
  return out;
}

async function planUserLinks(
  input: PlanInput,
  w: PlanWriter,
  wanted: DesiredUser[],
  present: Set<string>,
  known: KnownUnits,
): Promise<void> {
  const { db, settings } = input;
  if (wanted.length === 0) {
    return;
  }
  const sisIds = wanted.map((d) => d.sisId);
  // Current links of these children, and current org enrolments of these users (synced ones only).
  const linkRows = await db.execute(sql`
    SELECT p.sis_id AS parent_sis, c.sis_id AS child_sis
    FROM ${parentLinks} l JOIN ${users} p ON p.id = l.parent_user_id JOIN ${users} c ON c.id = l.child_user_id
    WHERE l.source = 'sis' AND c.sis_id IN ${sqlList(sisIds)}`);
  const currentLinks = new Set(
    rowsOf<{ parent_sis: string; child_sis: string }>(linkRows).map((r) => parentLinkKey(r.parent_sis, r.child_sis)),
  );
  const currentOrg = await currentOrgEnrollments(input, sisIds);
  for (const d of wanted) {
    if (!present.has(d.sisId)) {
      continue;
    }
    const wantedLinks = new Set<string>();
    // OneRoster lists a link on both sides (a student's agents are its guardians, a guardian's agents its children);
    // links are read from the child's side only, so each is planned once.
    const agents = GUARDIAN_ROLES.has(d.sisRole) ? [] : d.agents;
    for (const parent of agents) {
      if (!present.has(parent)) {
        w.note(`user ${d.sisId}: agent ${parent} is not an LMS user; no parent link`);
        continue;
      }
      const k = parentLinkKey(parent, d.sisId);
      wantedLinks.add(k);
      if (!currentLinks.has(k)) {
        await w.add({
          entity: "parentLink",
          action: "create",
          group: "memberships",
          sisId: k,
          after: { parent, child: d.sisId },
        });
      }
    }
    for (const k of GUARDIAN_ROLES.has(d.sisRole) ? [] : currentLinks) {
      if (k.endsWith(`>${d.sisId}`) && !wantedLinks.has(k)) {
        const [parent] = k.split(">");
        await w.add({
          entity: "parentLink",
          action: "delete",
          group: "memberships",
          sisId: k,
          before: { parent, child: d.sisId },
        });
      }
    }
    const wantedOrg = new Set<string>();
    for (const org of d.orgs) {
      if (!known.orgs.has(org)) {
        w.note(`user ${d.sisId}: org ${org} is not an LMS org unit; no org enrolment`);
        continue;
      }
      const k = orgEnrollmentKey(d.sisId, org);
      wantedOrg.add(k);
      const role = currentOrg.get(k);
      const after = { user: d.sisId, org, role: d.role, sisRole: d.sisRole };
      if (role === undefined) {
        await w.add({ entity: "enrollment", action: "create", group: "memberships", sisId: k, kind: "org", after });
      } else if (role !== d.role) {
        await w.add({
          entity: "enrollment",
          action: "update",
          group: "memberships",
          sisId: k,
          kind: "org",
          before: { user: d.sisId, org, role },
          after,
        });
      }
    }
    if (settings.unenrolFromOrgs) {
      for (const [k, role] of currentOrg) {
        if (k.startsWith(`org:${d.sisId}:`) && !wantedOrg.has(k)) {
          await w.add({
            entity: "enrollment",
            action: "delete",
            group: "memberships",
            sisId: k,
            kind: "org",
            before: { user: d.sisId, org: k.slice(`org:${d.sisId}:`.length), role },
            reason: "no longer associated with the org in the SIS",
          });
        }
      }
    }
  }
}

/** The current synced org enrolments of some users: sync key → LMS role. */
async function currentOrgEnrollments(input: PlanInput, userSisIds: string[]): Promise<Map<string, string>> {
  const rows = await input.db.execute(sql`
    SELECT e.sis_id, e.role FROM ${enrollments} e JOIN ${users} u ON u.id = e.user_id
    WHERE e.kind = 'org' AND e.source = 'sis' AND u.sis_id IN ${sqlList(userSisIds)}`);
  return new Map(rowsOf<{ sis_id: string; role: string }>(rows).map((r) => [r.sis_id, r.role]));
}

/** `(a, b, c)` of bound parameters, for IN lists in raw SQL. */
function sqlList(values: readonly string[]) {
  return sql`(${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )})`;
}

/** Rows of a raw execute() on either driver (postgres.js returns an array, PGlite an object with rows). */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : ((result as { rows?: T[] }).rows ?? [])) as T[];
}

type EnrollmentRow = typeof enrollments.$inferSelect;

async function planEnrollments(
  input: PlanInput,
  w: PlanWriter,
  known: KnownUnits,
  present: Set<string>,
): Promise<void> {
  const { db, settings } = input;
  const seen = new Set<string>();
  const snapshot = (e: EnrollmentRow) => ({
    id: e.id,
    role: e.role,
    sisRole: e.sisRole,
    isPrimary: e.isPrimary,
    beginDate: e.beginDate,
    endDate: e.endDate,
  });
  for await (const chunk of stagedChunks<Enrollment>(db, input.batchId, "enrollments")) {
    const rows = await db
      .select()
      .from(enrollments)
      .where(
        inArray(
          enrollments.sisId,
          chunk.map((e) => e.sourcedId),
        ),
      );
    const bySis = new Map(rows.map((r) => [r.sisId as string, r]));
    for (const record of chunk) {
      seen.add(record.sourcedId);
      const existing = bySis.get(record.sourcedId);
      const synced = existing?.source === "sis" ? existing : undefined;
      if (record.status === "tobedeleted") {
        if (synced) {
          await w.add({
            entity: "enrollment",
            action: "delete",
            group: "memberships",
            sisId: record.sourcedId,
            kind: "class",
            before: snapshot(synced),
            reason: "tobedeleted in the feed",
          });
        }
        continue;
      }
      let d: ReturnType<typeof desiredEnrollment>;
      try {
        d = desiredEnrollment(record, settings);
      } catch (err) {
        if (!(err instanceof MappingError)) {
          throw err;
        }
        await w.error("enrollments", record.sourcedId, err.code, err.message, record);
        continue;
      }
      if (settings.unenrolByEndDate && d.endDate !== null && d.endDate < input.today) {
        if (synced) {
          await w.add({
            entity: "enrollment",
            action: "delete",
            group: "memberships",
            sisId: d.sisId,
            kind: "class",
            before: snapshot(synced),
            reason: `ended ${d.endDate}`,
          });
        }
        continue;
      }
      if (existing && existing.source === "manual") {
        continue; // a manual member stays manual (archived courses, adopted memberships)
      }
      if (known.archived.has(d.offering)) {
        continue;
      }
      if (!known.enrollable.has(d.offering) || !present.has(d.user)) {
        const what = !present.has(d.user) ? `user ${d.user}` : `class ${d.offering}`;
        await w.error(
          "enrollments",
          d.sisId,
          "MISSING_REFERENCE",
          `enrollment ${d.sisId} refers to ${what}, which the LMS does not have`,
          record,
        );
        continue;
      }
      const after = {
        user: d.user,
        offering: d.offering,
        role: d.role,
        sisRole: d.sisRole,
        isPrimary: d.isPrimary,
        beginDate: d.beginDate,
        endDate: d.endDate,
      };
      if (!synced) {
        await w.add({
          entity: "enrollment",
          action: "create",
          group: "memberships",
          sisId: d.sisId,
          kind: "class",
          after,
        });
        continue;
      }
      const before = snapshot(synced);
      if (
        before.role !== after.role ||
        before.sisRole !== after.sisRole ||
        before.isPrimary !== after.isPrimary ||
        before.beginDate !== after.beginDate ||
        before.endDate !== after.endDate
      ) {
        await w.add({
          entity: "enrollment",
          action: "update",
          group: "memberships",
          sisId: d.sisId,
          kind: "class",
          before,
          after,
        });
      }
    }
  }
  if (deletesMissing(input, "enrollments")) {
    const synced = (after: number) =>
      db
        .select()
        .from(enrollments)
        .where(and(eq(enrollments.source, "sis"), eq(enrollments.kind, "class"), gt(enrollments.id, after)))
        .orderBy(asc(enrollments.id))
        .limit(CHUNK);
    for await (const rows of inIdOrder(synced)) {
      for (const e of rows) {
        if (e.sisId && !seen.has(e.sisId)) {
          await w.add({
            entity: "enrollment",
            action: "delete",
            group: "memberships",
            sisId: e.sisId,
            kind: "class",
            before: snapshot(e),
            reason: "missing from a full feed",
          });
        }
      }
    }
  }
}
