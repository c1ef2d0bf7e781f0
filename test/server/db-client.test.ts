// The database handle's COPY on both backends: it joins the transaction open on the handle (commit and rollback),
// runs on its own outside one, takes every CopySource shape and reports a refused row; and the seed loader's use of it.
import { asc, sql } from "drizzle-orm";
import { expect, it, vi } from "vitest";
import { loadTarget } from "../../seed/load.js";
import { seedDatabase } from "../../seed/seed-database.js";
import { type CopySource, type DbHandle, directStatement, runDirect, runDirectMany } from "../../server/db/client.js";
import { categories } from "../../server/db/schema.js";
import { turnBatchLoader } from "../../server/db/turn-batch.js";
import { type TestDb, useTestDb } from "../support/db.js";
import { describeEachDb } from "../support/each-db.js";

const COPY_CATEGORIES = `COPY "provider"."categories" ("sourced_id", "date_last_modified", "title") FROM STDIN`;
const line = (id: string) => `${id}\t2026-01-01T00:00:00.000Z\tCategory ${id}\n`;

async function ids(db: TestDb): Promise<string[]> {
  const rows = await db.db.select({ id: categories.sourcedId }).from(categories).orderBy(asc(categories.sourcedId));
  return rows.map((r) => r.id);
}

async function* asyncLines(...idList: string[]): AsyncIterable<Uint8Array> {
  for (const id of idList) {
    yield new TextEncoder().encode(line(id));
  }
}

describeEachDb("the handle's COPY FROM STDIN", (kind) => {
  const testDb = useTestDb(kind, { resetBeforeEach: true });

  it("commits with the transaction it runs in, and sees that transaction's own rows", async () => {
    const { handle } = testDb.current;
    await handle.db.transaction(async (tx) => {
      await tx.insert(categories).values({ sourcedId: "a", title: "A", dateLastModified: new Date() });
      await handle.copyFrom(COPY_CATEGORIES, line("b"));
      // Both rows are visible inside the transaction: the COPY ran on its connection.
      expect((await tx.select().from(categories)).map((r) => r.sourcedId).sort()).toEqual(["a", "b"]);
    });
    expect(await ids(testDb.current)).toEqual(["a", "b"]);
  });

  it("rolls back with the transaction it runs in", async () => {
    const { handle } = testDb.current;
    await expect(
      handle.db.transaction(async () => {
        await handle.copyFrom(COPY_CATEGORIES, [line("c"), line("d")]);
        throw new Error("abandon the transaction");
      }),
    ).rejects.toThrow("abandon the transaction");
    expect(await ids(testDb.current)).toEqual([]);
  });

  it("commits on its own outside a transaction", async () => {
    await testDb.current.handle.copyFrom(COPY_CATEGORIES, line("e"));
    expect(await ids(testDb.current)).toEqual(["e"]);
  });

  it.each<[string, () => CopySource]>([
    ["a string", () => line("s1") + line("s2")],
    ["bytes", () => new TextEncoder().encode(line("s1") + line("s2"))],
    ["an array of chunks", () => [line("s1"), line("s2")]],
    ["an async iterable of bytes", () => asyncLines("s1", "s2")],
    ["a Blob", () => new Blob([line("s1"), line("s2")])],
  ])("reads its input from %s", async (_, data) => {
    await testDb.current.handle.copyFrom(COPY_CATEGORIES, data());
    expect(await ids(testDb.current)).toEqual(["s1", "s2"]);
  });

  it("rejects when the server refuses a row, and the transaction keeps none of it", async () => {
    const { handle } = testDb.current;
    // A missing column: title is NOT NULL.
    const bad = `${line("ok")}bad\t2026-01-01T00:00:00.000Z\t\\N\n`;
    await expect(handle.db.transaction(() => handle.copyFrom(COPY_CATEGORIES, bad))).rejects.toThrow(/null/i);
    expect(await ids(testDb.current)).toEqual([]);
  });

  it("carries the seed loader's rows as COPY on both drivers (PGlite reads each from a bounded blob)", async () => {
    const { handle } = testDb.current;
    const spied: DbHandle = { ...handle, copyFrom: vi.fn(handle.copyFrom) };
    await spied.db.transaction(async (tx) => {
      expect(loadTarget(spied, tx).copy).toBeTypeOf("function");
    });
    await seedDatabase(spied, { seed: 1, size: "tiny", fingerprint: false, reset: true });
    expect(spied.copyFrom).toHaveBeenCalled();
    expect(vi.mocked(spied.copyFrom).mock.calls.every(([statement]) => /^COPY "provider"\./.test(statement))).toBe(
      true,
    );
    expect((await spied.db.select().from(categories)).length).toBeGreaterThan(0);
  });
});

describeEachDb("one statement for many sets of values (runDirectMany)", (kind) => {
  const testDb = useTestDb(kind);

  it("gives each set the rows the statement gives it alone, in order, values read back from their text", async () => {
    const { db } = testDb.current.handle;
    // A `$1` inside a literal or a quoted name is text, not a parameter; a constant parameter is the same for all.
    const statement = directStatement(
      sql`select ${sql.placeholder("t")} as t, '$1 ''$2''' as "lit$1", ${sql.placeholder("n")}::int8 * 2 as n,
        ${sql.placeholder("b")}::boolean as b, ${sql.placeholder("d")}::timestamptz as d, ${"constant"} as c, g
        from generate_series(1, ${sql.placeholder("rows")}::int) as g`,
    );
    const sets = [
      {
        t: 'quote " back \\ comma , brace {x} word NULL',
        n: 1,
        b: true,
        d: "2026-09-15T12:00:00.123Z",
        rows: 2,
      },
      { t: null, n: -7, b: false, d: "2026-01-01T00:00:00.000Z", rows: 1 },
      { t: "none", n: 0, b: true, d: "2026-01-01T00:00:00.000Z", rows: 0 },
      { t: "", n: 2 ** 40, b: false, d: "2026-06-30T23:59:59.999Z", rows: 3 },
    ];
    const alone = [];
    for (const set of sets) {
      alone.push(await runDirect(db, statement, set));
    }
    expect(alone.map((rows) => rows.length)).toEqual([2, 1, 0, 3]);
    expect(await runDirectMany(db, statement, sets)).toEqual(alone);
  });

  it("batched per turn, refuses only the set whose value the statement cannot take", async () => {
    const { db } = testDb.current.handle;
    const statement = directStatement(sql`select ${sql.placeholder("n")}::int + 1 as n`);
    const loader = turnBatchLoader((sets: readonly Record<string, unknown>[]) => runDirectMany(db, statement, sets), {
      maxBatch: 10,
    });
    const results = await Promise.allSettled([{ n: 1 }, { n: "not a number" }, { n: 3 }].map((s) => loader.load(s)));
    expect(results[0]).toEqual({ status: "fulfilled", value: [[2]] });
    expect(results[1]?.status).toBe("rejected");
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/invalid input syntax for type integer/);
    expect(results[2]).toEqual({ status: "fulfilled", value: [[4]] });
  });

  it("runs a statement without parameters once for every set", async () => {
    const { db } = testDb.current.handle;
    const statement = directStatement(sql`select 'only' as v`);
    expect(await runDirectMany(db, statement, [{}, {}])).toEqual([[["only"]], [["only"]]]);
  });
});
