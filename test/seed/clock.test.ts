// The district clock: a delta since the moment before an advance returns exactly the changed records (tombstones
// included), stamps are strictly increasing wall-clock moments, churn is reproducible, state is shared through
// the database, and the school-year boundary rolls the district over.
import { gt, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type AdvanceSummary, ClockError, createDistrictClock } from "../../seed/clock.js";
import { fingerprintDatabase } from "../../seed/fingerprint.js";
import { TABLE_NAMES } from "../../seed/rows.js";
import { seedDatabase } from "../../seed/seed-database.js";
import { dataTables } from "../../server/db/schema.js";
import type { DistrictClockPort } from "../../server/deps.js";
import { openTestDb, type TestDb } from "../support/db.js";
import { describeEachDb, describeWithPostgres } from "../support/each-db.js";
import { changedKeys, keyedDump, readDistrict } from "./inspect.js";
import { integrityProblems } from "./integrity.js";

/** A wall clock that only moves when told to. */
function manualClock(iso: string) {
  let t = Date.parse(iso);
  return {
    now: () => new Date(t),
    tick: (ms: number) => {
      t += ms;
    },
  };
}

async function deltaKeys(db: TestDb, since: Date): Promise<string[]> {
  const keys: string[] = [];
  for (const t of TABLE_NAMES) {
    const table = dataTables[t];
    const rows = await db.db.select({ id: table.sourcedId }).from(table).where(gt(table.dateLastModified, since));
    keys.push(...rows.map((r) => `${t}/${r.id}`));
  }
  return keys.sort();
}

describeEachDb("advancing the district clock", (kind) => {
  let db: TestDb;
  let summary: AdvanceSummary;
  let before: Map<string, string>;
  let after: Map<string, string>;
  const wall = manualClock("2026-11-23T10:00:00.000Z");
  const beforeMoment = new Date("2026-11-23T09:59:59.999Z");
  beforeAll(async () => {
    db = await openTestDb(kind);
    await seedDatabase(db.handle, { seed: 1, size: "tiny", fingerprint: false });
    before = await keyedDump(db.db);
    summary = await createDistrictClock(db.handle, wall).advance(5, { churnRate: 0.05 });
    after = await keyedDump(db.db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("returns exactly the changed records to a delta query since the moment before", async () => {
    const changed = changedKeys(before, after);
    expect(changed.length).toBeGreaterThan(10);
    expect(await deltaKeys(db, beforeMoment)).toEqual(changed);
  });

  it("includes tombstones of withdrawals and schedule changes in the delta", async () => {
    const changed = changedKeys(before, after);
    const tombstones = changed.filter((k) => JSON.parse(after.get(k) ?? "{}").status === "tobedeleted");
    expect(tombstones.some((k) => k.startsWith("enrollments/"))).toBe(true);
    expect(tombstones.some((k) => k.startsWith("users/"))).toBe(true);
    expect(summary.events.withdrawal + summary.events.scheduleChange).toBeGreaterThan(0);
  });

  it("applies several kinds of churn on school days only", () => {
    expect(summary.fromDate).toBe("2026-09-15");
    expect(summary.toDate).toBe("2026-09-20");
    expect(summary.schoolDays).toBe(3);
    const kinds = Object.entries(summary.events).filter(([, n]) => n > 0);
    expect(kinds.length).toBeGreaterThanOrEqual(5);
    expect(summary.rollovers).toBe(0);
  });

  it("stamps every change of an advance with one wall-clock reading taken at its end, and never goes back", async () => {
    // The wall clock stood still at 10:00:00.000: that reading is the stamp of every change, no later (notes §8).
    expect(summary.firstStamp).toBe("2026-11-23T10:00:00.000Z");
    expect(summary.lastStamp).toBe(summary.firstStamp);
    for (const k of changedKeys(before, after)) {
      expect(JSON.parse(after.get(k) ?? "{}").dateLastModified, k).toBe(summary.firstStamp);
    }
    // A later advance on a clock that has not moved is stamped no earlier, so a delta read from the newest stamp
    // seen minus the documented 1 ms overlap sees all of it.
    const seen = Date.parse(summary.lastStamp ?? "");
    const next = await createDistrictClock(db.handle, wall).advance(1, { churnRate: 0.05 });
    expect(Date.parse(next.firstStamp ?? "")).toBeGreaterThanOrEqual(seen);
    const changedByNext = changedKeys(after, await keyedDump(db.db));
    expect(changedByNext.length).toBeGreaterThan(0);
    const delta = new Set(await deltaKeys(db, new Date(seen - 1)));
    expect(changedByNext.filter((k) => !delta.has(k))).toEqual([]);
  });

  it("keeps every reference resolving after churn", async () => {
    expect(integrityProblems(await readDistrict(db.db))).toEqual([]);
  });

  it("keeps its state in the database, so a second clock on it agrees", async () => {
    // The clock is what the CLI injects into the server as AppDeps.districtClock.
    const port: DistrictClockPort = createDistrictClock(db.handle, wall);
    const a = await port.status();
    const b = await createDistrictClock(db.handle, manualClock("2030-01-01T00:00:00.000Z")).status();
    expect(a).toEqual(b);
    expect(a.seeded).toBe(true);
    expect(a.day).toBe(6);
  });
});

describeEachDb("the district clock's rules", (kind) => {
  it("stamps every change no earlier than the end of its advance, so a delta read made meanwhile misses nothing", async () => {
    const db = await openTestDb(kind);
    try {
      await seedDatabase(db.handle, { seed: 4, size: "tiny", fingerprint: false });
      // A wall clock that moves a second on every reading, as a long advance would see it.
      let t = Date.parse("2026-11-23T10:00:00.000Z");
      let lastRead = 0;
      const moving = {
        now: () => {
          t += 1000;
          lastRead = t;
          return new Date(t);
        },
      };
      const summary = await createDistrictClock(db.handle, moving).advance(3, { churnRate: 0.05 });
      expect(summary.firstStamp).not.toBeNull();
      // The advance's last reading of the clock was taken just before commit; nothing it changed is older.
      expect(Date.parse(summary.firstStamp ?? "")).toBeGreaterThanOrEqual(lastRead);
      const seededUntil = "2026-09-15T12:00:00.000Z";
      let changed = 0;
      for (const table of Object.values(dataTables)) {
        const rows = await db.db
          .select({ at: table.dateLastModified })
          .from(table)
          .where(sql`${table.dateLastModified} > ${seededUntil}::timestamptz`);
        for (const r of rows) {
          expect(r.at.getTime()).toBeGreaterThanOrEqual(lastRead);
          changed++;
        }
      }
      // Every changed row counted once here; the summary counts changes, and a row can change twice.
      expect(changed).toBeGreaterThan(0);
      expect(changed).toBeLessThanOrEqual(Object.values(summary.changed).reduce((a, b) => a + b, 0));
    } finally {
      await db.close();
    }
  });

  it("produces the same district from the same seed, days and wall clock", async () => {
    const one = await openTestDb(kind);
    const two = await openTestDb(kind);
    try {
      for (const db of [one, two]) {
        await seedDatabase(db.handle, { seed: 9, size: "tiny", fingerprint: false });
        await createDistrictClock(db.handle, manualClock("2026-11-23T10:00:00.000Z")).advance(3, { churnRate: 0.05 });
      }
      expect(await fingerprintDatabase(two.handle)).toBe(await fingerprintDatabase(one.handle));
    } finally {
      await one.close();
      await two.close();
    }
  });

  it("rolls over at the school-year boundary: new year, last year's classes tombstoned, students promoted", async () => {
    const db = await openTestDb(kind);
    try {
      await seedDatabase(db.handle, { seed: 1, size: "tiny", asOf: "2027-06-25", fingerprint: false });
      const old = await readDistrict(db.db);
      const wall = manualClock("2027-07-02T09:00:00.000Z");
      const s = await createDistrictClock(db.handle, wall).advance(10);
      expect(s.rollovers).toBe(1);
      expect(s.schoolYear).toBe("2028");
      const d = await readDistrict(db.db);
      expect(d.academicSessions.some((x) => x.type === "schoolYear" && x.schoolYear === "2028")).toBe(true);
      const oldClasses = new Set(old.classes.map((c) => c.sourcedId));
      expect(d.classes.filter((c) => oldClasses.has(c.sourcedId)).every((c) => c.status === "tobedeleted")).toBe(true);
      expect(d.classes.some((c) => !oldClasses.has(c.sourcedId) && c.status === "active")).toBe(true);
      const oldGrade = new Map(
        old.users.filter((u) => u.role === "student" && u.status === "active").map((u) => [u.sourcedId, u.grades?.[0]]),
      );
      const now = new Map(d.users.map((u) => [u.sourcedId, u]));
      for (const [id, grade] of oldGrade) {
        const u = now.get(id);
        if (grade === "12") {
          expect(u?.status, `graduate ${id}`).toBe("tobedeleted");
        } else if (grade === "05") {
          expect(u?.grades).toEqual(["06"]);
          expect(d.orgs.find((o) => o.sourcedId === u?.orgIds[0])?.sourcedId).not.toBe(
            old.users.find((x) => x.sourcedId === id)?.orgIds[0],
          );
          // Parents and guardians follow the child into the middle school.
          for (const g of u?.agentIds ?? []) {
            const guardian = now.get(g);
            if (guardian?.status === "active") {
              expect(guardian.orgIds, `guardian ${g} of ${id}`).toContain(u?.orgIds[0]);
            }
          }
        } else if (grade === "KG") {
          expect(u?.grades).toEqual(["01"]);
        }
      }
      expect(
        d.enrollments.some((e) => e.status === "active" && !old.enrollments.some((o) => o.sourcedId === e.sourcedId)),
      ).toBe(true);
      expect(integrityProblems(d, { reciprocalAgents: true })).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it("refuses to advance a database that holds no seeded district, and bad day counts", async () => {
    const db = await openTestDb(kind);
    try {
      const clock = createDistrictClock(db.handle);
      await expect(clock.advance(1)).rejects.toBeInstanceOf(ClockError);
      await expect(clock.advance(0)).rejects.toMatchObject({ code: "BAD_DAYS" });
      expect(await clock.status()).toEqual({ seeded: false });
    } finally {
      await db.close();
    }
  });
});

describeWithPostgres("fingerprints across backends", () => {
  it("are equal for the same district on PGlite and Postgres", async () => {
    const a = await openTestDb("pglite");
    const b = await openTestDb("postgres");
    try {
      const one = await seedDatabase(a.handle, { seed: 1, size: "tiny" });
      const two = await seedDatabase(b.handle, { seed: 1, size: "tiny" });
      expect(two.fingerprint).toBe(one.fingerprint);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
