// Concurrent gradebook writes on Postgres (issue 8, item 7), through a provider with a pool of its own so requests
// really overlap: exactly one 201 per new object, and no live child under a deleted parent, whatever the order.
// (PGlite runs one transaction at a time; its answers are covered by gradebook.test.ts.)
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { seedDatabase } from "../../seed/index.js";
import { type DbHandle, openDb } from "../../server/db/client.js";
import { categories, lineItems, results } from "../../server/db/schema.js";
import { openTestDb, type TestDb } from "../support/db.js";
import { describeWithPostgres } from "../support/each-db.js";
import { SEEDED_NOW } from "../support/seeded-provider.js";
import { createTestClock, startProvider, type TestProvider } from "../support/server.js";

describeWithPostgres("racing gradebook writes (item 7) [postgres]", () => {
  let db: TestDb;
  let handle: DbHandle;
  let provider: TestProvider;
  let token: string;
  let classId: string;
  let students: string[];

  beforeAll(async () => {
    db = await openTestDb("postgres");
    await seedDatabase(db.handle, { seed: 1, size: "tiny", fingerprint: false });
    handle = await openDb(db.url ?? "", { max: 40 });
    provider = await startProvider(handle, { clock: createTestClock(SEEDED_NOW) });
    token = await provider.token();
    classId = (await get("/classes?limit=1&filter=classType%3D%27scheduled%27")).body.classes[0].sourcedId;
    students = (await get("/students?limit=200&filter=status%3D%27active%27")).body.users.map(
      (u: { sourcedId: string }) => u.sourcedId,
    );
  });
  afterAll(async () => {
    await provider?.close();
    await handle?.close();
    await db?.close();
  });

  async function call(method: string, path: string, body?: unknown) {
    const res = await fetch(`${provider.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const get = (path: string) => call("GET", path);
  const lineItem = (title: string, category?: string) => ({
    lineItem: {
      title,
      assignDate: "2026-09-16",
      dueDate: "2026-09-20",
      class: { sourcedId: classId },
      ...(category ? { category: { sourcedId: category } } : {}),
      resultValueMin: 0,
      resultValueMax: 100,
    },
  });
  const result = (lineItemId: string, student: string) => ({
    result: {
      lineItem: { sourcedId: lineItemId },
      student: { sourcedId: student },
      scoreStatus: "fully graded",
      score: 50,
      scoreDate: "2026-09-18",
    },
  });

  it("answers exactly one 201 to 50 concurrent PUTs of one new line item, category or result, round after round", async () => {
    await call("PUT", "/lineItems/race-parent", lineItem("parent"));
    for (let round = 0; round < 5; round++) {
      for (const [path, body] of [
        [`/lineItems/race-li-${round}`, lineItem(`r${round}`)],
        [`/categories/race-cat-${round}`, { category: { title: `r${round}` } }],
        [`/results/race-r-${round}`, result("race-parent", students[0] ?? "")],
      ] as const) {
        const statuses = (await Promise.all(Array.from({ length: 50 }, () => call("PUT", path, body)))).map(
          (r) => r.status,
        );
        expect(
          statuses.filter((s) => s === 201),
          path,
        ).toHaveLength(1);
        expect(
          statuses.filter((s) => s === 200),
          path,
        ).toHaveLength(49);
      }
    }
    // A deleted id comes back with exactly one 201 too.
    await call("DELETE", "/categories/race-cat-0");
    const again = await Promise.all(
      Array.from({ length: 50 }, () => call("PUT", "/categories/race-cat-0", { category: { title: "back" } })),
    );
    expect(again.filter((r) => r.status === 201)).toHaveLength(1);
  });

  it("leaves no live result under a line item deleted while 200 result PUTs race it", async () => {
    // The DELETE lands at a different point of the PUTs each round: before, early, mid-way, late.
    for (const [round, after] of [0, 5, 20, 60, 120].entries()) {
      const li = `race-del-li-${round}`;
      await call("PUT", `/lineItems/${li}`, lineItem(li));
      const puts = students.slice(0, 200).map((s, i) => call("PUT", `/results/race-del-${round}-${i}`, result(li, s)));
      const del = (async () => {
        await Promise.all(puts.slice(0, after));
        return call("DELETE", `/lineItems/${li}`);
      })();
      const answers = await Promise.all([...puts, del]);
      expect(answers.filter((a) => a.status >= 500)).toEqual([]);
      expect((await del).status).toBe(204);
      const live = await handle.db
        .select({ n: sql<number>`count(*)::int` })
        .from(results)
        .where(and(eq(results.lineItemId, li), eq(results.deleted, false)));
      expect(live[0]?.n, `round ${round}, DELETE after ${after} PUTs`).toBe(0);
      // Every PUT either made it in before the DELETE (and is now a tombstone) or was refused with 422.
      expect(answers.slice(0, -1).filter((a) => a.status !== 201 && a.status !== 422)).toEqual([]);
    }
  });

  it("leaves no live line item under a category deleted while line item PUTs race it", async () => {
    for (let round = 0; round < 3; round++) {
      const cat = `race-cat-del-${round}`;
      await call("PUT", `/categories/${cat}`, { category: { title: cat } });
      const puts = Array.from({ length: 100 }, (_, i) =>
        call("PUT", `/lineItems/race-cat-li-${round}-${i}`, lineItem(`c${i}`, cat)),
      );
      const del = (async () => {
        await Promise.all(puts.slice(0, 20));
        return call("DELETE", `/categories/${cat}`);
      })();
      const answers = await Promise.all([...puts, del]);
      expect(answers.filter((a) => a.status >= 500)).toEqual([]);
      expect((await del).status).toBe(204);
      const dangling = await handle.db
        .select({ id: lineItems.sourcedId })
        .from(lineItems)
        .innerJoin(categories, eq(categories.sourcedId, lineItems.categoryId))
        .where(and(eq(lineItems.deleted, false), eq(categories.deleted, true)));
      expect(dangling, `round ${round}`).toEqual([]);
      const withoutCategory = await handle.db
        .select({ id: lineItems.sourcedId })
        .from(lineItems)
        .where(and(eq(lineItems.deleted, false), sql`${lineItems.categoryId} is null`));
      expect(withoutCategory).toEqual([]);
    }
  });
});
