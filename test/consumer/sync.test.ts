// The sync engine against the real provider (tiny district, in process) on PGlite and Postgres: a full run mirrors
// the provider record by record; deltas after `advance` converge and touch only what changed; deletion rules per
// profile; role-map errors; a killed run resumes without duplicates; mass withdrawals and empty feeds never wipe.
import { and, count, eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import type { ExportedRoster } from "../../consumer/export.js";
import { manualEnrol } from "../../consumer/lms-admin.js";
import { approveBatch, discardBatch, SyncError } from "../../consumer/run.js";
import { auditLog, batches, enrollments, planChanges, stagedRecords, users } from "../../consumer/store/schema.js";
import * as providerTables from "../../server/db/schema.js";
import { describeEachDb } from "../support/each-db.js";
import { lmsView, openSyncHarness, providerView, type SyncHarness } from "../support/sync-harness.js";

const COLLECTIONS: [keyof ExportedRoster, string][] = [
  ["academicSessions", "/academicSessions"],
  ["orgs", "/orgs"],
  ["courses", "/courses"],
  ["classes", "/classes"],
  ["users", "/users"],
  ["enrollments", "/enrollments"],
];

/**
 * What the LMS should hold after converging: the provider's active records, minus what the role map refuses
 * (users with an unmapped role, enrolments of those users or with an unmapped role, links to such users).
 */
async function expectedMirror(h: SyncHarness): Promise<Record<string, Map<string, Record<string, unknown>>>> {
  const roles = new Set(Object.keys(h.settings.roleMap));
  const data: Record<string, Record<string, unknown>[]> = {};
  for (const [name, path] of COLLECTIONS) {
    data[name] = (await h.providerRecords(path, name)).filter((r) => r.status === "active");
  }
  const okUsers = new Set((data.users ?? []).filter((u) => roles.has(String(u.role))).map((u) => String(u.sourcedId)));
  const out: Record<string, Map<string, Record<string, unknown>>> = {};
  for (const [name] of COLLECTIONS) {
    const m = new Map<string, Record<string, unknown>>();
    for (const r of data[name] ?? []) {
      const v = providerView(name, r);
      if (name === "users") {
        if (!okUsers.has(String(r.sourcedId))) {
          continue;
        }
        v.agents = (v.agents as string[]).filter((a) => okUsers.has(a));
      }
      if (name === "enrollments" && (!okUsers.has(String(v.user)) || !roles.has(String(r.role)))) {
        continue;
      }
      m.set(String(r.sourcedId), v);
    }
    out[name] = m;
  }
  return out;
}

async function expectMirrors(h: SyncHarness): Promise<void> {
  const expected = await expectedMirror(h);
  const lms = await h.exportLms();
  for (const [name] of COLLECTIONS) {
    const actual = new Map(
      lms[name].filter((r) => r.status === "active").map((r) => [String(r.sourcedId), lmsView(r)]),
    );
    const want = expected[name] ?? new Map();
    const missing = [...want.keys()].filter((k) => !actual.has(k));
    const extra = [...actual.keys()].filter((k) => !want.has(k));
    expect({ name, missing, extra }).toEqual({ name, missing: [], extra: [] });
    const differing = [...want].filter(([k, v]) => JSON.stringify(actual.get(k)) !== JSON.stringify(v));
    expect({ name, differing: differing.slice(0, 3).map(([k, v]) => ({ provider: v, lms: actual.get(k) })) }).toEqual({
      name,
      differing: [],
    });
  }
}

describeEachDb("the sync engine against a seeded provider", (kind) => {
  let h: SyncHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("a first run is full and mirrors the provider record by record", async () => {
    h = await openSyncHarness(kind);
    const report = await h.sync();
    expect(report.mode).toBe("full");
    expect(["completed", "completed_with_errors"]).toContain(report.status);
    await expectMirrors(h);
    // The tiny district's deliberate role outside the map is an error on that user, with the record's data.
    const [errs] = await h.store.db
      .execute(sql`SELECT count(*)::int AS n FROM lms.batch_errors WHERE code = 'ROLE_UNMAPPED'`)
      .then((r) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as { n: number }[]);
    expect(errs?.n).toBeGreaterThan(0);
    // A second run right after is a delta that changes nothing.
    const again = await h.sync();
    expect(again.mode).toBe("delta");
    expect(again.counts?.byGroup).toEqual({
      persons: { insert: 0, update: 0, delete: 0 },
      groups: { insert: 0, update: 0, delete: 0 },
      memberships: { insert: 0, update: 0, delete: 0 },
    });
  });

  it("after the district advances, a delta run reads only the changes and converges again", async () => {
    h = await openSyncHarness(kind);
    await h.sync();
    const before = h.clock.now();
    await h.advance(3);
    const changedUsers = (await h.providerRecords("/users", "users")).filter(
      (u) => Date.parse(String(u.dateLastModified)) > before.getTime(),
    ).length;
    const changedEnrollments = (await h.providerRecords("/enrollments", "enrollments")).filter(
      (e) => Date.parse(String(e.dateLastModified)) > before.getTime(),
    ).length;
    expect(changedEnrollments).toBeGreaterThan(0);
    const delta = await h.sync();
    expect(delta.mode).toBe("delta");
    const fetched = Object.fromEntries(delta.collections.map((c) => [c.collection, c.records]));
    // The overlap window may re-read a few records, never the whole district.
    expect(fetched.users).toBeGreaterThanOrEqual(changedUsers);
    expect(fetched.enrollments).toBeGreaterThanOrEqual(changedEnrollments);
    expect(fetched.enrollments).toBeLessThan((await h.providerRecords("/enrollments", "enrollments")).length / 2);
    await expectMirrors(h);
  });

  it("a killed run resumes at its cursor and converges with no duplicates", async () => {
    h = await openSyncHarness(kind, { settings: { fetch: { ...(await baseFetch()), pageSize: 40 } } });
    const abort = new AbortController();
    let pages = 0;
    await expect(
      h.sync({
        signal: abort.signal,
        onEvent: (e) => {
          if (e.type === "stage" && e.collection === "users" && ++pages === 2) {
            abort.abort(new Error("killed"));
          }
        },
      }),
    ).rejects.toThrow();
    const [killed] = await h.store.db.select().from(batches);
    expect(killed?.status).toBe("fetching");
    const stagedBefore = await h.store.db.select({ n: count() }).from(stagedRecords);
    expect(stagedBefore[0]?.n).toBeGreaterThan(0);
    const resumed = await h.sync();
    expect(resumed.resumed).toBe(true);
    expect(resumed.batchId).toBe(killed?.id);
    await expectMirrors(h);
    // Every synced user exactly once.
    const dupes = await h.store.db.execute(
      sql`SELECT sis_id FROM lms.users WHERE sis_id IS NOT NULL GROUP BY sis_id HAVING count(*) > 1`,
    );
    expect(Array.isArray(dupes) ? dupes : (dupes as { rows: unknown[] }).rows).toEqual([]);
  });

  it("a mass withdrawal is held with its reason, changes nothing until approved, then applies exactly the plan", async () => {
    h = await openSyncHarness(kind);
    await h.sync();
    const active = (await h.providerRecords("/enrollments", "enrollments")).filter((e) => e.status === "active");
    const withdrawn = active.filter((e) => e.role === "student").slice(0, Math.ceil(active.length * 0.4));
    await h.setStatus(
      "enrollments",
      withdrawn.map((e) => String(e.sourcedId)),
      "tobedeleted",
    );
    const before = await h.exportLms();
    const held = await h.sync();
    expect(held.status).toBe("held");
    expect(held.holdReasons.join(" ")).toMatch(/memberships delete/);
    expect(await h.exportLms()).toEqual(before);
    // A new run refuses to start while a batch is held.
    await expect(h.sync()).rejects.toBeInstanceOf(SyncError);
    const planned = await h.store.db
      .select({ n: count() })
      .from(planChanges)
      .where(eq(planChanges.batchId, held.batchId as number));
    const approved = await approveBatch(h.store, held.batchId as number, "tester", () => h?.clock.now() ?? new Date());
    expect(approved.status).toMatch(/^completed/);
    const audited = await h.store.db
      .select({ n: count() })
      .from(auditLog)
      .where(eq(auditLog.batchId, held.batchId as number));
    expect(audited[0]?.n).toBe(planned[0]?.n);
    await expectMirrors(h);
  });

  it("approve refuses a plan the LMS moved past, and discard leaves the LMS as it was", async () => {
    h = await openSyncHarness(kind);
    await h.sync();
    const active = (await h.providerRecords("/users", "users")).filter(
      (u) => u.status === "active" && u.role === "student",
    );
    await h.setStatus(
      "users",
      active.slice(0, Math.ceil(active.length * 0.5)).map((u) => String(u.sourcedId)),
      "tobedeleted",
    );
    const held = await h.sync();
    expect(held.status).toBe("held");
    expect(held.holdReasons.join(" ")).toMatch(/persons delete/);
    // An LMS admin enrols someone by hand meanwhile: the held plan is now stale.
    const lms = await h.exportLms();
    const someone = lms.users[0] as { lms: { id: number } };
    const offering = lms.classes[0] as { lms: { id: number } };
    await manualEnrol(
      h.store.db,
      { userId: someone.lms.id, orgUnitId: offering.lms.id, role: "Learner" },
      h.clock.now(),
    );
    await expect(approveBatch(h.store, held.batchId as number, "tester")).rejects.toThrow(/changed since this plan/);
    const afterRefusal = await h.exportLms();
    await discardBatch(h.store, held.batchId as number);
    expect(await h.exportLms()).toEqual(afterRefusal);
    const [row] = await h.store.db
      .select()
      .from(batches)
      .where(eq(batches.id, held.batchId as number));
    expect(row?.status).toBe("discarded");
  });

  it("persons go to the trash can and come back; manual enrolments survive everything", async () => {
    h = await openSyncHarness(kind);
    await h.sync();
    const student = (await h.providerRecords("/students", "users")).find((u) => u.status === "active");
    const id = String(student?.sourcedId);
    const [lmsUser] = await h.store.db.select().from(users).where(eq(users.sisId, id));
    const lms = await h.exportLms();
    const offering = lms.classes.find((c) => c.status === "active") as { lms: { id: number } };
    await manualEnrol(
      h.store.db,
      { userId: lmsUser?.id as number, orgUnitId: offering.lms.id, role: "Learner" },
      h.clock.now(),
    );
    await h.setStatus("users", [id], "tobedeleted");
    const gone = await h.sync();
    expect(gone.counts?.byEntity.user?.delete).toBe(1);
    const [trashed] = await h.store.db.select().from(users).where(eq(users.sisId, id));
    expect(trashed?.trashedAt).not.toBeNull();
    expect(trashed?.isActive).toBe(false);
    await h.setStatus("users", [id], "active");
    const back = await h.sync();
    expect(back.counts?.byEntity.user?.restore).toBe(1);
    const [restored] = await h.store.db.select().from(users).where(eq(users.sisId, id));
    expect(restored?.trashedAt).toBeNull();
    expect(restored?.id).toBe(lmsUser?.id);
    const manual = await h.store.db
      .select()
      .from(enrollments)
      .where(and(eq(enrollments.userId, lmsUser?.id as number), eq(enrollments.source, "manual")));
    expect(manual).toHaveLength(1);
    // A full run deletes what the feed lacks, but never a manual enrolment.
    await h.sync({ full: true });
    expect(
      await h.store.db
        .select()
        .from(enrollments)
        .where(and(eq(enrollments.userId, lmsUser?.id as number), eq(enrollments.source, "manual"))),
    ).toHaveLength(1);
  });
});

async function baseFetch() {
  const { resolveSettings } = await import("../../consumer/config.js");
  return resolveSettings({ profile: "brightspace" }).fetch;
}

describe("deletion policies for tobedeleted classes", () => {
  let h: SyncHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const classWithStudents = async (harness: SyncHarness) => {
    const classes = (await harness.providerRecords("/classes", "classes")).filter((c) => c.status === "active");
    const enr = (await harness.providerRecords("/enrollments", "enrollments")).filter((e) => e.status === "active");
    const withStudents = classes.find((c) =>
      enr.some((e) => (e.class as { sourcedId: string }).sourcedId === c.sourcedId),
    );
    return String(withStudents?.sourcedId);
  };

  it("Brightspace 'inactivate course offering': inactive and unmapped, enrolments stay", async () => {
    h = await openSyncHarness("pglite");
    await h.sync();
    const cls = await classWithStudents(h);
    const lmsBefore = await h.exportLms();
    const before = lmsBefore.enrollments.filter((e) => e.class === cls).length;
    await h.setStatus("classes", [cls], "tobedeleted");
    const r = await h.sync();
    expect(r.counts?.byEntity.orgUnit?.inactivate).toBe(2); // the offering and its section
    const lms = await h.exportLms();
    const offering = lms.classes.find((c) => c.sourcedId === cls) as { status: string; lms: { status: string } };
    expect(offering.lms.status).toBe("inactive");
    expect(offering.status).toBe("tobedeleted");
    expect(lms.enrollments.filter((e) => e.class === cls)).toHaveLength(before);
  });

  it("Brightspace 'do nothing': the mapping is dropped, the offering stays active", async () => {
    h = await openSyncHarness("pglite", {
      settings: { deletion: { classes: "doNothing", persons: "softDelete", missingInFullRun: true } },
    });
    await h.sync();
    const cls = await classWithStudents(h);
    await h.setStatus("classes", [cls], "tobedeleted");
    const r = await h.sync();
    expect(r.counts?.byEntity.orgUnit?.unmap).toBe(2);
    const offering = (await h.exportLms()).classes.find((c) => c.sourcedId === cls) as {
      status: string;
      lms: { status: string };
    };
    expect(offering.lms.status).toBe("active");
    expect(offering.status).toBe("tobedeleted"); // no longer mapped to the SIS
  });

  it("itslearning archiving: archived, synced members made manual, not restored when the class comes back", async () => {
    h = await openSyncHarness("pglite", { profile: "itslearning" });
    await h.sync();
    const cls = await classWithStudents(h);
    await h.setStatus("classes", [cls], "tobedeleted");
    const r = await h.sync();
    expect(r.counts?.byEntity.orgUnit?.archive).toBe(1);
    const lms = await h.exportLms();
    const offering = lms.classes.find((c) => c.sourcedId === cls) as { lms: { status: string; id: number } };
    expect(offering.lms.status).toBe("archived");
    const members = lms.enrollments.filter((e) => e.class === cls);
    expect(members.length).toBeGreaterThan(0);
    expect(members.every((m) => (m.lms as { source: string }).source === "manual")).toBe(true);
    await h.setStatus("classes", [cls], "active");
    await h.sync();
    const again = (await h.exportLms()).classes.find((c) => c.sourcedId === cls) as { lms: { status: string } };
    expect(again.lms.status).toBe("archived");
    // itslearning's role map differs from Brightspace's.
    expect(new Set((await h.exportLms()).users.map((u) => (u.lms as { role: string }).role))).toContain("Staff");
  });

  it("a full run deletes what a complete feed no longer has: persons to the trash can, enrolments removed", async () => {
    h = await openSyncHarness("pglite");
    await h.sync();
    const enr = (await h.providerRecords("/enrollments", "enrollments")).find(
      (e) => e.status === "active" && e.role === "student",
    );
    const userId = String((enr?.user as { sourcedId?: string } | undefined)?.sourcedId);
    const theirs = (await h.providerRecords("/enrollments", "enrollments")).filter(
      (e) => (e.user as { sourcedId: string }).sourcedId === userId,
    );
    // The SIS forgets them outright (no tombstone): only a full run can notice.
    await h.providerDb.db.delete(providerTables.enrollments).where(eq(providerTables.enrollments.userId, userId));
    await h.providerDb.db.delete(providerTables.users).where(eq(providerTables.users.sourcedId, userId));
    const delta = await h.sync();
    expect(delta.counts?.byGroup.persons.delete).toBe(0);
    const full = await h.sync({ full: true });
    expect(full.counts?.byEntity.user?.delete).toBe(1);
    expect(full.counts?.byEntity.enrollment?.delete).toBe(theirs.length);
    const [row] = await h.store.db.select().from(users).where(eq(users.sisId, userId));
    expect(row?.trashedAt).not.toBeNull();
    expect((await h.exportLms()).enrollments.some((e) => e.user === userId)).toBe(false);
  });

  it("a full run against an empty feed deletes nothing", async () => {
    h = await openSyncHarness("pglite");
    await h.sync();
    const before = await h.exportLms();
    await h.quirks(["no-tombstones"]);
    // Every record tombstoned and hidden: the provider now serves empty collections.
    for (const t of ["enrollments", "users", "classes", "courses"] as const) {
      const ids = (await h.providerRecords(`/${t}`, t)).map((r) => String(r.sourcedId));
      await h.setStatus(t, ids, "tobedeleted");
    }
    expect(await h.providerRecords("/users", "users")).toEqual([]);
    const r = await h.sync({ full: true });
    expect(r.counts?.byGroup.persons.delete).toBe(0);
    expect(r.counts?.byGroup.memberships.delete).toBe(0);
    expect((await h.exportLms()).users).toEqual(before.users);
  });
});
