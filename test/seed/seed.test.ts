// The district generator and loader: determinism (fingerprints), integrity of tiny (both backends) and demo
// (once), every deliberate edge case in tiny, --clean, and the one-transaction load with ifEmpty / reset.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnrollmentRoleSchema } from "../../oneroster/index.js";
import { readLoadIndexes } from "../../seed/bulk-indexes.js";
import { fingerprintDatabase } from "../../seed/fingerprint.js";
import { qualifiedTableName } from "../../seed/load.js";
import { TABLE_NAMES } from "../../seed/rows.js";
import { SPECIAL_CODE_CHARS } from "../../seed/schedule.js";
import { isDatabaseEmpty, SeedError, type SeedSummary, seedDatabase } from "../../seed/seed-database.js";
import { openTestDb, type TestDb } from "../support/db.js";
import { describeEachDb } from "../support/each-db.js";
import { type District, readDistrict } from "./inspect.js";
import { integrityProblems } from "./integrity.js";

describeEachDb("seeding the tiny district", (kind) => {
  let db: TestDb;
  let summary: SeedSummary;
  let d: District;
  beforeAll(async () => {
    db = await openTestDb(kind);
    summary = await seedDatabase(db.handle, { seed: 1, size: "tiny" });
    d = await readDistrict(db.db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("loads every entity type and reports the counts it loaded", () => {
    for (const [table, n] of Object.entries(summary.rows)) {
      expect(n, table).toBeGreaterThan(0);
      expect(d[table as keyof District].length, table).toBe(n);
    }
    expect(summary.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it("resolves every reference and keeps every subset rule", () => {
    expect(integrityProblems(d)).toEqual([]);
  });

  it("builds the session tree school year → semesters → terms → grading periods", () => {
    const types = d.academicSessions.map((s) => s.type);
    expect(types.filter((t) => t === "schoolYear")).toHaveLength(1);
    expect(types.filter((t) => t === "semester")).toHaveLength(2);
    expect(types.filter((t) => t === "term")).toHaveLength(4);
    expect(types.filter((t) => t === "gradingPeriod")).toHaveLength(8);
  });

  it("has elementary, middle and high schools with students in their grade ranges", () => {
    const grades = new Set(d.users.filter((u) => u.role === "student").flatMap((u) => u.grades ?? []));
    for (const g of ["KG", "05", "06", "08", "09", "12"]) {
      expect(grades.has(g), g).toBe(true);
    }
    expect(new Set(d.classes.map((c) => c.classType))).toEqual(new Set(["homeroom", "scheduled"]));
    expect(new Set(d.users.map((u) => u.role))).toEqual(
      new Set(["administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"]),
    );
  });

  it("contains every deliberate edge case and counts each one in the summary", () => {
    for (const [edge, n] of Object.entries(summary.edgeCases)) {
      expect(n, edge).toBeGreaterThan(0);
    }
    const teachersByClass = new Map<string, { primary: boolean | null }[]>();
    for (const e of d.enrollments.filter((x) => x.role === "teacher" && x.status === "active")) {
      teachersByClass.set(e.classId, [...(teachersByClass.get(e.classId) ?? []), { primary: e.primary }]);
    }
    const coTaught = [...teachersByClass.values()].filter((t) => t.length >= 2);
    expect(coTaught.length).toBeGreaterThan(0);
    expect(coTaught.some((t) => t.some((x) => x.primary === true) && t.some((x) => x.primary === false))).toBe(true);
    expect(d.classes.some((c) => c.status === "active" && !teachersByClass.has(c.sourcedId))).toBe(true);
    expect(d.users.some((u) => u.role === "teacher" && u.orgIds.length === 2)).toBe(true);
    const enrolledUsers = new Set(d.enrollments.map((e) => e.userId));
    expect(d.users.some((u) => u.role === "student" && !enrolledUsers.has(u.sourcedId))).toBe(true);
    expect(d.users.some((u) => u.role === "teacher" && !enrolledUsers.has(u.sourcedId))).toBe(true);
    expect(d.courses.some((c) => c.title.length > 50)).toBe(true);
    expect(d.classes.some((c) => (c.classCode ?? "").length > 50)).toBe(true);
    const special = d.classes.find((c) => [...SPECIAL_CODE_CHARS].every((ch) => (c.classCode ?? "").includes(ch)));
    expect(special, "a classCode holding \\ : ? \" < > | ' # , % &").toBeDefined();
    expect(d.courses.some((c) => [...SPECIAL_CODE_CHARS].every((ch) => (c.courseCode ?? "").includes(ch)))).toBe(true);
    expect(d.users.some((u) => /[\u0080-\uffff]/.test(`${u.givenName}${u.familyName}`))).toBe(true);
    expect(d.users.some((u) => u.familyName.includes("'") || u.givenName.includes("'"))).toBe(true);
    expect(d.enrollments.some((e) => e.role === "proctor")).toBe(true);
    // The one out-of-vocabulary enrollment role, in the extension form v1p1 allows (notes §2.1, §2.8).
    const outside = d.enrollments.filter((e) => !EnrollmentRoleSchema.safeParse(e.role).success);
    expect(outside.length).toBeGreaterThan(0);
    expect(new Set(outside.map((e) => e.role))).toEqual(new Set(["ext:aide"]));
    expect(d.enrollments.some((e) => e.beginDate && e.endDate && e.endDate < "2026-09-15")).toBe(true);
    expect(d.enrollments.some((e) => e.beginDate && e.endDate && e.endDate >= "2026-09-15")).toBe(true);
    for (const t of ["users", "classes", "enrollments", "demographics"] as const) {
      expect(
        d[t].some((r) => r.status === "tobedeleted"),
        t,
      ).toBe(true);
    }
  });

  it("grades with every scoreStatus and due dates inside grading periods", () => {
    expect(new Set(d.results.map((r) => r.scoreStatus))).toEqual(
      new Set(["exempt", "fully graded", "not submitted", "partially graded", "submitted"]),
    );
    expect(new Set(d.lineItems.map((l) => l.categoryId)).size).toBeGreaterThan(1);
  });

  it("links parents and guardians to students both ways and gives every student demographics", () => {
    const students = d.users.filter((u) => u.role === "student");
    expect(students.every((s) => (s.agentIds ?? []).length > 0)).toBe(true);
    const demo = new Set(d.demographics.map((x) => x.sourcedId));
    expect(students.every((s) => demo.has(s.sourcedId))).toBe(true);
    expect(d.courses.some((c) => (c.resourceIds ?? []).length > 0)).toBe(true);
    expect(d.classes.some((c) => (c.resourceIds ?? []).length > 0)).toBe(true);
  });

  it("stamps seeded records from the as-of date, never the wall clock", () => {
    const asOf = Date.parse("2026-09-15T12:00:00.000Z");
    for (const rows of Object.values(d)) {
      for (const r of rows as { dateLastModified: Date }[]) {
        expect(r.dateLastModified.getTime()).toBeLessThanOrEqual(asOf);
        expect(r.dateLastModified.getTime()).toBeGreaterThan(asOf - 15 * 86_400_000);
      }
    }
  });

  it("gives the same fingerprint for the same inputs and a different one for another seed", async () => {
    const again = await openTestDb(kind);
    try {
      const same = await seedDatabase(again.handle, { seed: 1, size: "tiny" });
      expect(same.fingerprint).toBe(summary.fingerprint);
      const other = await seedDatabase(again.handle, { seed: 2, size: "tiny", reset: true });
      expect(other.fingerprint).not.toBe(summary.fingerprint);
      const locale = await seedDatabase(again.handle, { seed: 1, size: "tiny", locale: "nb_NO", reset: true });
      expect(locale.fingerprint).not.toBe(summary.fingerprint);
      expect(await fingerprintDatabase(again.handle)).toBe(locale.fingerprint);
    } finally {
      await again.close();
    }
  });

  it("refuses to load over existing data unless told to keep it (ifEmpty) or replace it (reset)", async () => {
    await expect(seedDatabase(db.handle, { seed: 1, size: "tiny" })).rejects.toBeInstanceOf(SeedError);
    const kept = await seedDatabase(db.handle, { seed: 7, size: "tiny", ifEmpty: true });
    expect(kept.skipped).toBe(true);
    expect(await fingerprintDatabase(db.handle)).toBe(summary.fingerprint);
    expect(await isDatabaseEmpty(db.handle)).toBe(false);
  });
});

/** The indexes, constraints and triggers of the provider schema, as the catalog prints them, in a stable order. */
async function schemaObjects(db: TestDb): Promise<string[]> {
  const result: unknown = await db.db.execute(sql`
    select 'index ' || t.relname || ' ' || pg_get_indexdef(i.indexrelid) || case when i.indisvalid then '' else ' INVALID' end as line
    from pg_index i join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = 'provider'
    union all
    select 'constraint ' || t.relname || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
    from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = 'provider'
    union all
    select 'trigger ' || t.relname || ' ' || pg_get_triggerdef(g.oid) || ' ' || g.tgenabled::text
    from pg_trigger g join pg_class t on t.oid = g.tgrelid join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = 'provider' and not g.tgisinternal
    order by 1`);
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { line: string }[];
  return rows.map((r) => r.line);
}

describeEachDb("the load transaction", (kind) => {
  it("builds every index, constraint and trigger of the data tables again, as the migrations made them", async () => {
    const db = await openTestDb(kind);
    try {
      const before = await schemaObjects(db);
      expect(before.filter((l) => l.startsWith("index users ")).length).toBeGreaterThan(1);
      expect(before.some((l) => l.includes("USING gin"))).toBe(true);
      // The load drops and rebuilds them all: every primary key and every secondary index of the data tables.
      const set = await readLoadIndexes(db.db);
      expect(set.constraints.map((c) => c.definition)).toEqual(TABLE_NAMES.map(() => "PRIMARY KEY (sourced_id)"));
      const dataTables = TABLE_NAMES.map((t) => qualifiedTableName(t).split(".")[1]?.replaceAll('"', ""));
      const secondary = before.filter(
        (l) => dataTables.some((t) => l.startsWith(`index ${t} `)) && !l.includes("CREATE UNIQUE INDEX"),
      );
      expect(set.indexes.map((i) => i.definition).sort()).toEqual(
        secondary.map((l) => l.split(" ").slice(2).join(" ")).sort(),
      );
      const seeded = await seedDatabase(db.handle, { seed: 1, size: "tiny" });
      expect(await schemaObjects(db)).toEqual(before);
      // The plan a delta read relies on still finds its index, and a duplicate key is still refused.
      await expect(
        db.handle.exec(
          `INSERT INTO provider.orgs SELECT * FROM provider.orgs WHERE sourced_id = (SELECT min(sourced_id) FROM provider.orgs)`,
        ),
      ).rejects.toThrow();
      expect(await fingerprintDatabase(db.handle)).toBe(seeded.fingerprint);
    } finally {
      await db.close();
    }
  });

  it("leaves an empty database empty, with its indexes, when a load into it fails", async () => {
    const db = await openTestDb(kind);
    try {
      // A constraint the edge cases violate (proctors), so the load fails after writing rows.
      await db.handle.exec(`ALTER TABLE provider.users ADD CONSTRAINT rl_no_proctor CHECK (role <> 'proctor')`);
      const before = await schemaObjects(db);
      await expect(seedDatabase(db.handle, { seed: 4, size: "tiny" })).rejects.toThrow();
      expect(await isDatabaseEmpty(db.handle)).toBe(true);
      expect(await schemaObjects(db)).toEqual(before);
    } finally {
      await db.close();
    }
  });

  it("leaves the previous district untouched when a load fails midway", async () => {
    const db = await openTestDb(kind);
    try {
      const first = await seedDatabase(db.handle, { seed: 3, size: "tiny", clean: true });
      // A constraint the edge cases violate (proctors), so the second load fails after writing rows.
      await db.handle.exec(`ALTER TABLE provider.users ADD CONSTRAINT rl_no_proctor CHECK (role <> 'proctor')`);
      await expect(seedDatabase(db.handle, { seed: 4, size: "tiny", reset: true })).rejects.toThrow();
      expect(await fingerprintDatabase(db.handle)).toBe(first.fingerprint);
    } finally {
      await db.close();
    }
  });
});

describe("the clean and locale options", () => {
  it("leaves out every edge case with clean", async () => {
    const db = await openTestDb("pglite");
    try {
      const s = await seedDatabase(db.handle, { seed: 1, size: "tiny", clean: true });
      expect(Object.values(s.edgeCases).every((n) => n === 0)).toBe(true);
      const d = await readDistrict(db.db);
      expect(d.users.some((u) => u.role === "proctor" || u.role === "relative")).toBe(false);
      // Every enrollment role is one of v1p1's four: no aide, no extension (notes §2.8).
      expect(d.enrollments.filter((e) => !EnrollmentRoleSchema.safeParse(e.role).success)).toEqual([]);
      expect(
        Object.values(d).some((rows) => (rows as { status: string }[]).some((r) => r.status === "tobedeleted")),
      ).toBe(false);
      expect(d.courses.some((c) => c.title.length > 50)).toBe(false);
      expect(integrityProblems(d)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it.each(["en_US", "nb_NO", "sv_SE", "nl", "da", "fi"] as const)(
    "seeds a sound district with unique usernames in locale %s",
    async (locale) => {
      const db = await openTestDb("pglite");
      try {
        await seedDatabase(db.handle, { seed: 5, size: "tiny", locale, fingerprint: false });
        expect(integrityProblems(await readDistrict(db.db))).toEqual([]);
      } finally {
        await db.close();
      }
    },
  );
});

describe("seeding the demo district", () => {
  it("loads about 2,000 students in 4 schools with every reference resolving", async () => {
    const db = await openTestDb("pglite");
    try {
      const s = await seedDatabase(db.handle, { seed: 1, size: "demo", fingerprint: false });
      const d = await readDistrict(db.db);
      const students = d.users.filter((u) => u.role === "student");
      expect(students.length).toBeGreaterThanOrEqual(2000);
      expect(students.length).toBeLessThan(2100);
      expect(d.orgs.filter((o) => o.type === "school")).toHaveLength(4);
      expect(s.rows.results).toBeGreaterThan(10_000);
      expect(integrityProblems(d)).toEqual([]);
    } finally {
      await db.close();
    }
  }, 120_000);
});
