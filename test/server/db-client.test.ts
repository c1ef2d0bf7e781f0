// The database handle's COPY on both backends: it joins the transaction open on the handle (commit and rollback),
// runs on its own outside one, takes every CopySource shape and reports a refused row; and the seed loader's use of it.
import { asc } from "drizzle-orm";
import { expect, it, vi } from "vitest";
import { loadTarget } from "../../seed/load.js";
import { seedDatabase } from "../../seed/seed-database.js";
import type { CopySource, DbHandle } from "../../server/db/client.js";
import { categories } from "../../server/db/schema.js";
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
