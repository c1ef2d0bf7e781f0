// The configuration options of seed 003 and seed 000 against the real provider: mapping to existing LMS users,
// unenrolment by end date, which fields the SIS may overwrite, a paused integration, and a dry run that changes
// nothing. Each option is switched on through the same config the CLI reads.
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { manualOrgUnit, manualUser } from "../../consumer/lms-admin.js";
import { batches, enrollments, orgUnits, users } from "../../consumer/store/schema.js";
import { openSyncHarness, type SyncHarness } from "../support/sync-harness.js";

let h: SyncHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("configuration options", () => {
  it("maps a SIS user onto an LMS user created by hand, by username, instead of creating a duplicate", async () => {
    h = await openSyncHarness("pglite", { settings: { mapExistingUsers: "username" } });
    const student = (await h.providerRecords("/students", "users")).find((u) => u.status === "active");
    const manualId = await manualUser(
      h.store.db,
      { username: String(student?.username), firstName: "Hand", lastName: "Made", role: "Learner" },
      h.clock.now(),
    );
    const r = await h.sync();
    expect(r.counts?.byEntity.user?.adopt).toBe(1);
    const rows = await h.store.db
      .select()
      .from(users)
      .where(eq(users.username, String(student?.username)));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(manualId);
    expect(rows[0]?.sisId).toBe(student?.sourcedId);
    expect(rows[0]?.firstName).toBe(student?.givenName);
  });

  it("without the mapping, the same situation creates a second user (seed 003: duplicates may be created)", async () => {
    h = await openSyncHarness("pglite");
    const student = (await h.providerRecords("/students", "users")).find((u) => u.status === "active");
    await manualUser(
      h.store.db,
      { username: String(student?.username), firstName: "Hand", lastName: "Made", role: "Learner" },
      h.clock.now(),
    );
    await h.sync();
    expect(
      await h.store.db
        .select()
        .from(users)
        .where(eq(users.username, String(student?.username))),
    ).toHaveLength(2);
  });

  it("unenrols by end date: an enrolment whose end date has passed is removed, others stay", async () => {
    h = await openSyncHarness("pglite", { settings: { unenrolByEndDate: true } });
    await h.sync();
    const enr = (await h.providerRecords("/enrollments", "enrollments")).find(
      (e) => e.status === "active" && e.role === "student",
    );
    const id = String(enr?.sourcedId);
    expect(await h.store.db.select().from(enrollments).where(eq(enrollments.sisId, id))).toHaveLength(1);
    await h.update("enrollments", id, { endDate: "2026-09-01" });
    const r = await h.sync();
    expect(r.counts?.byEntity.enrollment?.delete).toBe(1);
    expect(await h.store.db.select().from(enrollments).where(eq(enrollments.sisId, id))).toHaveLength(0);
  });

  it("keeps LMS-side names when the SIS may not overwrite them, but still follows role and status", async () => {
    h = await openSyncHarness("pglite", {
      settings: {
        overwrite: { userNames: false, userEmail: true, username: true, orgUnitNames: false, orgUnitCodes: true },
      },
    });
    await h.sync();
    const student = (await h.providerRecords("/students", "users")).find((u) => u.status === "active");
    const id = String(student?.sourcedId);
    await h.update("users", id, { givenName: "Renamed", email: "renamed@example.org" });
    await h.sync();
    const [row] = await h.store.db.select().from(users).where(eq(users.sisId, id));
    expect(row?.firstName).toBe(student?.givenName);
    expect(row?.email).toBe("renamed@example.org");
  });

  it("a paused integration fetches nothing and changes nothing", async () => {
    h = await openSyncHarness("pglite", { settings: { paused: true } });
    const r = await h.sync();
    expect(r.status).toBe("paused");
    expect(await h.store.db.select().from(batches)).toEqual([]);
    expect((await h.exportLms()).users).toEqual([]);
  });

  it("a dry run plans and reports, and the LMS stays empty; the next real run is still full", async () => {
    h = await openSyncHarness("pglite");
    const dry = await h.sync({ dryRun: true });
    expect(dry.status).toBe("dry_run");
    expect(dry.counts?.byEntity.user?.create).toBeGreaterThan(0);
    expect((await h.exportLms()).users).toEqual([]);
    const real = await h.sync();
    expect(real.mode).toBe("full");
    expect(real.counts?.byEntity.user?.create).toBe(dry.counts?.byEntity.user?.create);
  });

  it("maps a SIS school onto an org unit created by hand with the same code, when configured", async () => {
    h = await openSyncHarness("pglite", { settings: { mapExistingOrgUnits: true } });
    const school = (await h.providerRecords("/schools", "orgs")).find(
      (o) => o.status === "active" && typeof o.identifier === "string",
    );
    const id = await manualOrgUnit(
      h.store.db,
      { kind: "org", type: "School", code: String(school?.identifier), name: "Made by hand" },
      h.clock.now(),
    );
    const r = await h.sync();
    expect(r.counts?.byEntity.orgUnit?.adopt).toBe(1);
    const [row] = await h.store.db.select().from(orgUnits).where(eq(orgUnits.id, id));
    expect(row?.sisId).toBe(school?.sourcedId);
    expect(row?.name).toBe(school?.name);
    expect(
      await h.store.db
        .select()
        .from(orgUnits)
        .where(eq(orgUnits.sisId, String(school?.sourcedId))),
    ).toHaveLength(1);
  });

  it("unenrols a user from an SIS org it no longer belongs to (itslearning), and keeps it when switched off", async () => {
    for (const unenrolFromOrgs of [true, false]) {
      h = await openSyncHarness("pglite", { profile: "itslearning", settings: { unenrolFromOrgs } });
      await h.sync();
      const teacher = (await h.providerRecords("/teachers", "users")).find(
        (u) => u.status === "active" && Array.isArray(u.orgs) && u.orgs.length >= 1,
      );
      const orgs = ((teacher?.orgs ?? []) as { sourcedId: string }[]).map((o) => o.sourcedId);
      const district = (await h.providerRecords("/orgs", "orgs")).find((o) => o.type === "district");
      await h.update("users", String(teacher?.sourcedId), { orgIds: [String(district?.sourcedId)] });
      await h.sync();
      const exported = (await h.exportLms()).users.find((u) => u.sourcedId === teacher?.sourcedId);
      if (unenrolFromOrgs) {
        expect(exported?.orgs).toEqual([district?.sourcedId]);
      } else {
        expect(exported?.orgs).toEqual([...new Set([...orgs, String(district?.sourcedId)])].sort());
      }
      await h.close();
      h = undefined;
    }
  });
});
