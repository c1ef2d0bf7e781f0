// X-Total-Count when the page tells it (repo/records.ts listJsonQuery): a page shorter than its limit holds every row
// from its offset on, so the total is offset + its rows and no count runs; an empty page past offset 0 and a full page
// still count the table. Every case must give the same total as the whole collection read at once.
import { expect, it } from "vitest";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

describeEachDb("X-Total-Count from the page or from a count", (kind) => {
  // No page cache, so no remembered totals: every read below computes its own.
  const sp = useSeededProvider(kind, { config: { pageCacheBytes: 0 } });

  async function whole(path: string): Promise<string[]> {
    const sep = path.includes("?") ? "&" : "?";
    const res = await sp.api(`${path}${sep}limit=10000`);
    expect(res.status).toBe(200);
    const key = Object.keys(res.body).find((k) => Array.isArray(res.body[k])) as string;
    return (res.body[key] as { sourcedId: string }[]).map((r) => r.sourcedId);
  }

  async function page(path: string, limit: number, offset: number) {
    const sep = path.includes("?") ? "&" : "?";
    const res = await sp.api(`${path}${sep}limit=${limit}&offset=${offset}`);
    expect(res.status).toBe(200);
    const key = Object.keys(res.body).find((k) => Array.isArray(res.body[k])) as string;
    return {
      total: Number(res.headers.get("x-total-count")),
      ids: (res.body[key] as { sourcedId: string }[]).map((r) => r.sourcedId),
    };
  }

  it("is exact for short, empty, exactly full and full pages of a collection", async () => {
    const all = await whole("/users");
    const n = all.length;
    expect(n).toBeGreaterThan(20);
    const cases: [limit: number, offset: number][] = [
      [n + 5, 0], // short page from the start: the page is the collection
      [10, n - 3], // short last page: offset + 3
      [1, n - 1], // one row left
      [10, n], // empty at the end: counted
      [10, n + 7], // empty past the end: counted (offset + 0 would say n + 7)
      [n, 0], // exactly full: counted
      [10, 0], // full: counted
      [10, 5],
    ];
    for (const [limit, offset] of cases) {
      const got = await page("/users", limit, offset);
      expect({ limit, offset, total: got.total }).toEqual({ limit, offset, total: n });
      expect(got.ids).toEqual(all.slice(offset, offset + limit));
    }
  });

  it("is exact for a filtered collection whose pages are short, as a class roster's are", async () => {
    const classes = await whole("/classes");
    for (const classId of classes.slice(0, 3)) {
      const path = `/enrollments?filter=${encodeURIComponent(`class.sourcedId='${classId}'`)}`;
      const all = await whole(path);
      expect(all.length).toBeGreaterThan(0);
      for (const [limit, offset] of [
        [100, 0],
        [2, all.length - 1],
        [2, all.length + 2],
      ] as const) {
        const got = await page(path, limit, offset);
        expect({ classId, limit, offset, total: got.total }).toEqual({ classId, limit, offset, total: all.length });
      }
    }
  });
});
