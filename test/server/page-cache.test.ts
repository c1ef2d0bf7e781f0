// The rendered-page cache and its memo of totals: bounded, keeps a page from the second time it is asked for, never
// stores a page or total from across a data change, and is dropped on the provider's own writes at once and on any
// other process's writes through the data-change NOTIFY.

import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { createPageCache, type PageCache } from "../../server/cache/page-cache.js";
import { openDb } from "../../server/db/client.js";
import * as t from "../../server/db/schema.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

const page = (body: string) => ({ status: 200 as const, body, headers: {} });

/** Offers a page twice: the cache stores a page the second time its key is offered. */
function store(cache: PageCache, key: string, generation: number, body: string): void {
  cache.set(key, generation, page(body));
  cache.set(key, generation, page(body));
}

describe("createPageCache", () => {
  it("serves what it stored until invalidated", () => {
    const cache = createPageCache(1000);
    store(cache, "a", cache.generation(), "x");
    expect(cache.get("a")?.body).toBe("x");
    cache.invalidate();
    expect(cache.get("a")).toBeUndefined();
  });
  it("stores a page the second time its key is offered, and again at once after it was dropped", () => {
    const cache = createPageCache(1000);
    cache.set("once", cache.generation(), page("1"));
    expect(cache.get("once")).toBeUndefined();
    // Keys offered once each store nothing (and here none takes the first key's slot, so it is stored next time).
    for (let i = 0; i < 1000; i++) {
      cache.set(`other-${i}`, cache.generation(), page("o"));
    }
    expect([...Array(1000).keys()].some((i) => cache.get(`other-${i}`) !== undefined)).toBe(false);
    cache.set("once", cache.generation(), page("2"));
    expect(cache.get("once")?.body).toBe("2");
    // A stored page's key is replaced on the next offer, and a key known from before an invalidation is stored at once.
    cache.set("once", cache.generation(), page("3"));
    expect(cache.get("once")?.body).toBe("3");
    cache.invalidate();
    cache.set("once", cache.generation(), page("4"));
    expect(cache.get("once")?.body).toBe("4");
  });
  it("refuses a page rendered under an older generation", () => {
    const cache = createPageCache(1000);
    const started = cache.generation();
    cache.invalidate();
    store(cache, "a", started, "stale");
    expect(cache.get("a")).toBeUndefined();
  });
  it("evicts least recently used pages past its byte bound", () => {
    const cache = createPageCache(100);
    const g = cache.generation();
    store(cache, "a", g, "a".repeat(20));
    store(cache, "b", g, "b".repeat(20));
    cache.get("a");
    for (let i = 0; i < 4; i++) {
      store(cache, `c${i}`, g, "c".repeat(20));
    }
    expect(cache.get("a")).toBeDefined();
    expect(cache.get("b")).toBeUndefined();
  });
  it("remembers totals per data generation, also with the page store off, only when invalidations reach it", () => {
    const listening = createPageCache(0, { invalidated: true });
    const started = listening.generation();
    listening.setCount("users|filter", started, 42);
    expect(listening.count("users|filter")).toBe(42);
    listening.invalidate();
    expect(listening.count("users|filter")).toBeUndefined();
    // A total counted before the data changed is not kept.
    listening.setCount("users|filter", started, 41);
    expect(listening.count("users|filter")).toBeUndefined();
    const deaf = createPageCache(0);
    deaf.setCount("users|filter", deaf.generation(), 42);
    expect(deaf.count("users|filter")).toBeUndefined();
  });
  it("counts a page of bytes by its bytes, not its characters", () => {
    const cache = createPageCache(100);
    const g = cache.generation();
    // 20 characters, 40 UTF-8 bytes: over a quarter of the bound as bytes, under it as a text.
    const text = "é".repeat(20);
    const bytes = { status: 200 as const, body: Buffer.from(text), headers: {} };
    cache.set("bytes", g, bytes);
    cache.set("bytes", g, bytes);
    expect(cache.get("bytes")).toBeUndefined();
    store(cache, "text", g, text);
    expect(cache.get("text")?.body).toBe(text);
  });
  it("keeps a page of bytes in a buffer of its own, not in the shared pool it was encoded into", () => {
    const cache = createPageCache(1 << 20);
    const g = cache.generation();
    // Buffer.from puts a text this short in a slice of Node's shared 8 KiB pool.
    const body = Buffer.from('{"user":{"sourcedId":"usr-1"}}');
    expect(body.buffer.byteLength).toBeGreaterThan(body.byteLength);
    const offered = { status: 200 as const, body, headers: {} };
    cache.set("one", g, offered);
    cache.set("one", g, offered);
    const kept = cache.get("one")?.body as Uint8Array;
    expect(Buffer.from(kept).toString()).toBe(body.toString());
    expect(kept.buffer.byteLength).toBe(body.byteLength);
  });
  it("stores nothing when its size is 0", () => {
    const cache = createPageCache(0);
    store(cache, "a", cache.generation(), "x");
    expect(cache.get("a")).toBeUndefined();
    expect(cache.enabled).toBe(false);
  });
});

describeEachDb("the provider's page cache", (kind) => {
  const sp = useSeededProvider(kind);

  it("shows a gradebook write on the very next read", async () => {
    await sp.api("/categories/pc-1", { method: "PUT", body: { category: { title: "Before" } } });
    expect((await sp.api("/categories/pc-1")).body.category.title).toBe("Before");
    expect((await sp.api("/categories/pc-1")).body.category.title).toBe("Before");
    await sp.api("/categories/pc-1", { method: "PUT", body: { category: { title: "After" } } });
    expect((await sp.api("/categories/pc-1")).body.category.title).toBe("After");
  });

  it("counts a gradebook write in the very next X-Total-Count (the remembered total is dropped with the pages)", async () => {
    const path = `/categories?filter=${encodeURIComponent("title~'Counted'")}`;
    const before = Number((await sp.api(path)).headers.get("x-total-count"));
    expect(Number((await sp.api(path)).headers.get("x-total-count"))).toBe(before);
    await sp.api("/categories/pc-counted", { method: "PUT", body: { category: { title: "Counted" } } });
    const after = await sp.api(path);
    expect(Number(after.headers.get("x-total-count"))).toBe(before + 1);
    expect(after.body.categories).toHaveLength(before + 1);
  });

  it("drops cached pages when another connection writes the data (NOTIFY from the trigger)", async () => {
    const first = (await sp.api("/orgs?limit=1")).body.orgs[0];
    expect((await sp.api("/orgs?limit=1")).body.orgs[0].name).toBe(first.name);
    // Another writer: on Postgres a separate connection, as a seed CLI or a second replica would be.
    const other = sp.db.url ? await openDb(sp.db.url, { max: 1 }) : sp.db.handle;
    try {
      await other.db.update(t.orgs).set({ name: "Renamed elsewhere" }).where(eq(t.orgs.sourcedId, first.sourcedId));
    } finally {
      if (other !== sp.db.handle) {
        await other.close();
      }
    }
    await vi.waitFor(
      async () => {
        expect((await sp.api("/orgs?limit=1")).body.orgs[0].name).toBe("Renamed elsewhere");
      },
      { timeout: 5000, interval: 20 },
    );
  });
});
