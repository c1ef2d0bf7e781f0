// The mass-withdrawal day (seed/mass-withdrawal.ts): a share of one school's students withdrawn through the clock's
// write path — users, demographics and enrolments tombstoned with one stamp later than every earlier change, so a
// delta read (notes §8) sees all of it — deterministic from seed and day; and its admin route with its refusals.
import { and, eq, inArray, max } from "drizzle-orm";
import { expect, it } from "vitest";
import { runMassWithdrawal } from "../../seed/index.js";
import { demographics, enrollments, users } from "../../server/db/schema.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

const ADMIN = "admin-token-for-tests-0123456789";

describeEachDb("the mass-withdrawal day", (kind) => {
  const sp = useSeededProvider(kind, { config: { adminToken: ADMIN }, withDistrictClock: true });
  const admin = (path: string, body: unknown) =>
    sp.api(`${sp.provider.origin}${path}`, {
      method: "POST",
      token: null,
      headers: { authorization: `Bearer ${ADMIN}` },
      body,
    });

  it("withdraws half of a school's students with their enrolments, stamped after everything before", async () => {
    const db = sp.db.db;
    const [before] = await db.select({ m: max(users.dateLastModified) }).from(users);
    const res = await admin("/admin/clock/mass-withdrawal", { share: 0.5 });
    expect(res.status).toBe(200);
    const summary = res.body;
    const school = summary.schools[0];
    expect(summary.schools).toHaveLength(1);
    expect(summary.students).toBe(Math.round(school.activeStudents * 0.5));
    expect(summary.enrollments).toBeGreaterThan(0);
    expect(new Date(summary.stamp).getTime()).toBeGreaterThan(new Date(before?.m ?? 0).getTime());

    const gone = await db
      .select()
      .from(users)
      .where(and(eq(users.status, "tobedeleted"), eq(users.dateLastModified, new Date(summary.stamp))));
    expect(gone).toHaveLength(summary.students);
    expect(gone.every((u) => u.role === "student" && !u.enabledUser && u.orgIds.includes(school.sourcedId))).toBe(true);
    const ids = gone.map((u) => u.sourcedId);
    const theirEnrolments = await db.select().from(enrollments).where(inArray(enrollments.userId, ids));
    expect(theirEnrolments.filter((e) => e.status === "active")).toEqual([]);
    const ended = theirEnrolments.filter((e) => e.dateLastModified.toISOString() === summary.stamp);
    expect(ended).toHaveLength(summary.enrollments);
    expect(ended.every((e) => e.endDate !== null && e.endDate <= summary.simDate)).toBe(true);
    const demo = await db.select().from(demographics).where(inArray(demographics.sourcedId, ids));
    expect(demo.every((d) => d.status === "tobedeleted")).toBe(true);

    // A delta read from just before sees every withdrawn student as a tombstone (the page cache was dropped).
    const since = new Date(new Date(summary.stamp).getTime() - 1).toISOString();
    const delta = await sp.api(`/students?limit=10000&filter=${encodeURIComponent(`dateLastModified>'${since}'`)}`);
    expect(delta.body.users.map((u: { sourcedId: string }) => u.sourcedId).sort()).toEqual([...ids].sort());
    expect(delta.body.users.every((u: { status: string }) => u.status === "tobedeleted")).toBe(true);
    // The clock's state moved with it: the next advance stamps later still.
    const status = (
      await sp.api(`${sp.provider.origin}/admin/clock`, { token: null, headers: { authorization: `Bearer ${ADMIN}` } })
    ).body;
    expect(status.lastStamp).toBe(summary.stamp);
  });

  it("picks the same students from the same district on the same day", async () => {
    // Read-only comparison: which students a 0.3 share of a given school would pick, computed twice in
    // transactions that are rolled back.
    const picks: string[][] = [];
    for (let i = 0; i < 2; i++) {
      await sp.db.db
        .transaction(async (tx) => {
          const s = await runMassWithdrawal({ db: tx as unknown as typeof sp.db.db }, { share: 0.3 });
          picks.push(
            (
              await tx
                .select({ id: users.sourcedId })
                .from(users)
                .where(eq(users.dateLastModified, new Date(s.stamp)))
            )
              .map((u) => u.id)
              .sort(),
          );
          throw new Error("rollback");
        })
        .catch((err: Error) => {
          if (err.message !== "rollback") {
            throw err;
          }
        });
    }
    expect(picks[0]?.length).toBeGreaterThan(0);
    expect(picks[0]).toEqual(picks[1]);
  });

  it("answers 404 for an unknown school and 400 for a share outside (0, 1]", async () => {
    expect((await admin("/admin/clock/mass-withdrawal", { schools: ["no-such-school"] })).status).toBe(404);
    expect((await admin("/admin/clock/mass-withdrawal", { share: 0 })).status).toBe(400);
    expect((await admin("/admin/clock/mass-withdrawal", { share: 1.5 })).status).toBe(400);
    const unauthorised = await sp.api(`${sp.provider.origin}/admin/clock/mass-withdrawal`, {
      method: "POST",
      token: null,
      body: {},
    });
    expect(unauthorised.status).toBe(401);
  });
});
