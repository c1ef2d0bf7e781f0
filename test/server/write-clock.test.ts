// Delta stamps (issue 8, items 8 and 9), proved under concurrency on both backends. The invariant (README "Delta
// reads"): every write takes its dateLastModified from the write clock as its last step before commit, so
//   (1) a consumer that reads `dateLastModified>'S'` (or with an overlap, S − 1 ms), S the newest stamp it has seen,
//       never misses a change, because each stamp is strictly later than the one before (migration 0007);
//   (2) no stamp is later than its commit (the writer's next clock reading after the commit is never earlier);
//   (3) no write is re-stamped by another writer.
// And the district clock never collides with ids clients wrote, however predictable its ids are.
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ENDPOINTS, type EntityName } from "../../oneroster/index.js";
import { createDistrictClock, seedDatabase } from "../../seed/index.js";
import { type DbHandle, openDb } from "../../server/db/client.js";
import { dataTables, lineItems } from "../../server/db/schema.js";
import { ENTITY_TABLES } from "../../server/repo/tables.js";
import { openTestDb, type TestDb } from "../support/db.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";
import { startProvider, type TestClock, type TestProvider } from "../support/server.js";

/** The documented overlap a delta consumer subtracts from the newest stamp it has seen. */
const OVERLAP_MS = 1;

/** A clock that moves 1 ms forward every time it is read: time passes with events, never with sleeps. */
function tickingClock(start: string): TestClock {
  let t = Date.parse(start);
  return {
    now: () => {
      t += 1;
      return new Date(t);
    },
    set: (at) => {
      t = new Date(at).getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

/** The top-level collection of each entity, read by a delta consumer. */
const COLLECTIONS = ENDPOINTS.filter((e) => e.kind === "collection" && e.params.length === 0 && !e.subset).map((e) => ({
  path: e.path,
  envelope: e.envelope,
  entity: e.entity,
}));

/** A delta consumer: one replica of sourcedId → dateLastModified per collection, and the newest stamp seen in it. */
class DeltaConsumer {
  readonly replica = new Map<string, Map<string, string>>();
  private readonly newest = new Map<string, number>();
  constructor(
    private readonly provider: TestProvider,
    private readonly token: string,
  ) {}

  /** One pass over every collection: `dateLastModified>'S − overlap'`, each collection in a single page. */
  async pass(): Promise<void> {
    for (const c of COLLECTIONS) {
      const since = new Date((this.newest.get(c.path) ?? Date.parse("1900-01-01T00:00:00Z")) - OVERLAP_MS);
      const filter = encodeURIComponent(`dateLastModified>'${since.toISOString()}'`);
      const res = await fetch(`${this.provider.baseUrl}${c.path}?limit=10000&filter=${filter}`, {
        headers: { authorization: `Bearer ${this.token}` },
      });
      expect(res.status, c.path).toBe(200);
      const records = ((await res.json()) as Record<string, { sourcedId: string; dateLastModified: string }[]>)[
        c.envelope
      ];
      // One page is one statement, so one snapshot (X-Total-Count is a second statement and may differ).
      expect(records?.length ?? 0, `${c.path} fits one page`).toBeLessThan(10000);
      const replica = this.replica.get(c.path) ?? new Map<string, string>();
      this.replica.set(c.path, replica);
      for (const r of records ?? []) {
        replica.set(r.sourcedId, r.dateLastModified);
        this.newest.set(c.path, Math.max(this.newest.get(c.path) ?? 0, Date.parse(r.dateLastModified)));
      }
    }
  }
}

/** Every row's sourcedId → dateLastModified, tombstones included, straight from the database. */
async function databaseState(handle: DbHandle, entity: EntityName): Promise<Map<string, string>> {
  const table = ENTITY_TABLES[entity];
  const rows = (await handle.db.select({ id: table.id, at: table.dateLastModified }).from(table.table)) as {
    id: string;
    at: Date;
  }[];
  return new Map(rows.map((r) => [r.id, r.at.toISOString()]));
}

describeEachDb("delta stamps under concurrent writers (item 9)", (kind) => {
  let db: TestDb;
  let handle: DbHandle;
  let provider: TestProvider;
  let token: string;
  const clock = tickingClock("2026-09-16T08:00:00.000Z");

  beforeAll(async () => {
    db = await openTestDb(kind);
    await seedDatabase(db.handle, { seed: 3, size: "tiny", fingerprint: false });
    // On Postgres the provider gets a pool of its own, so writers, the clock and the reader really overlap.
    handle = kind === "postgres" ? await openDb(db.url ?? "", { max: 8 }) : db.handle;
    provider = await startProvider(handle, { clock, districtClock: createDistrictClock(handle, clock) });
    token = await provider.token();
  });
  afterAll(async () => {
    await provider?.close();
    if (handle !== db?.handle) {
      await handle?.close();
    }
    await db?.close();
  });

  it("never lets a delta consumer miss a change, never stamps past the commit, never restamps another's write", async () => {
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${provider.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, after: clock.now().getTime() };
    };
    const classes = (await api("GET", "/classes?limit=50&filter=classType%3D%27scheduled%27")).body.classes;
    const students = (await api("GET", "/students?limit=50&filter=status%3D%27active%27")).body.users;
    const consumer = new DeltaConsumer(provider, token);
    await consumer.pass();

    /** What each writer last wrote to each of its own ids, and the stamp it was told. */
    const told = new Map<string, string>();
    const lateStamps: string[] = [];
    const check = (
      what: string,
      res: { status: number; body: Record<string, { dateLastModified: string }>; after: number },
      key: string,
    ) => {
      expect(res.status, `${what} ${JSON.stringify(res.body).slice(0, 200)}`).toBeLessThan(300);
      const stamp = res.body?.[key]?.dateLastModified;
      if (stamp) {
        told.set(what, stamp);
        if (Date.parse(stamp) > res.after) {
          lateStamps.push(`${what}: ${stamp} after ${new Date(res.after).toISOString()}`);
        }
      }
    };
    const writer = async (w: number) => {
      await check(
        `/categories/w${w}-cat`,
        await api("PUT", `/categories/w${w}-cat`, { category: { title: `W${w}` } }),
        "category",
      );
      for (let j = 0; j < 12; j++) {
        const cls = classes[(w * 7 + j) % classes.length].sourcedId;
        const li = `/lineItems/w${w}-li-${j}`;
        const body = {
          lineItem: {
            title: `w${w} ${j}`,
            assignDate: "2026-09-16",
            dueDate: "2026-09-20",
            class: { sourcedId: cls },
            ...(j % 2 === 0 ? { category: { sourcedId: `w${w}-cat` } } : {}),
            resultValueMin: 0,
            resultValueMax: 10,
          },
        };
        await check(li, await api("PUT", li, body), "lineItem");
        const result = `/results/w${w}-r-${j}`;
        const resultBody = (score: number) => ({
          result: {
            lineItem: { sourcedId: `w${w}-li-${j}` },
            student: { sourcedId: students[(w + j) % students.length].sourcedId },
            scoreStatus: "fully graded",
            score,
            scoreDate: "2026-09-17",
          },
        });
        await check(result, await api("PUT", result, resultBody(j)), "result");
        await check(result, await api("PUT", result, resultBody(j + 0.5)), "result");
        if (j % 4 === 3) {
          expect((await api("DELETE", result)).status).toBe(204);
          told.delete(result);
        }
      }
    };
    const advancer = async () => {
      for (let i = 0; i < 2; i++) {
        const summary = await provider.deps.districtClock?.advance(1, { churnRate: 0.05 });
        const after = clock.now().getTime();
        if (summary?.lastStamp && Date.parse(String(summary.lastStamp)) > after) {
          lateStamps.push(`advance ${i}: ${summary.lastStamp} after ${new Date(after).toISOString()}`);
        }
      }
    };
    let writing = true;
    const reader = async () => {
      while (writing) {
        await consumer.pass();
      }
    };
    let readerFailure: unknown;
    const reading = reader().catch((e: unknown) => {
      readerFailure = e;
    });
    await Promise.all([writer(0), writer(1), writer(2), writer(3), advancer()]);
    writing = false;
    await reading;
    if (readerFailure) {
      throw readerFailure;
    }
    await consumer.pass();

    // (2) No stamp later than its commit.
    expect(lateStamps).toEqual([]);
    // (1) The consumer's replica is the database, row for row, stamp for stamp: it missed nothing.
    for (const c of COLLECTIONS) {
      const expected = await databaseState(handle, c.entity);
      const replica = consumer.replica.get(c.path) ?? new Map();
      const missed = [...expected].filter(([id, at]) => replica.get(id) !== at).map(([id, at]) => `${id}@${at}`);
      expect(missed, c.path).toEqual([]);
    }
    // (3) Every write still carries the stamp its writer was told: nobody restamped it.
    for (const [path, stamp] of told) {
      const [, collection, id] = path.split("/");
      const entity = COLLECTIONS.find((c) => c.path === `/${collection}`)?.entity as EntityName;
      expect((await databaseState(handle, entity)).get(id ?? ""), path).toBe(stamp);
    }
  });
});

describeEachDb("the district clock and ids clients wrote (item 8)", (kind) => {
  const sp = useSeededProvider(kind, {
    withDistrictClock: true,
    config: { adminToken: "admin-token-for-clock-ids-0123" },
  });

  const advance = (days: number) =>
    fetch(`${sp.provider.origin}/admin/clock/advance`, {
      method: "POST",
      headers: { authorization: "Bearer admin-token-for-clock-ids-0123", "content-type": "application/json" },
      body: JSON.stringify({ days, churnRate: 0.05 }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  it("advances past a line item a client wrote under the id the clock would generate next, even once deleted", async () => {
    const status = (await (
      await fetch(`${sp.provider.origin}/admin/clock`, {
        headers: { authorization: "Bearer admin-token-for-clock-ids-0123" },
      })
    ).json()) as { day: number };
    const classId = (await sp.api("/classes?limit=1&filter=classType%3D%27scheduled%27")).body.classes[0].sourcedId;
    // The ids the clock's next school days would use for their first line item and result.
    const squatted: string[] = [];
    for (let d = status.day + 1; d <= status.day + 6; d++) {
      const day = String(d).padStart(4, "0");
      squatted.push(`li-d${day}-0000001`, `li-d${day}-0000002`);
    }
    for (const id of squatted) {
      const put = await sp.api(`/lineItems/${id}`, {
        method: "PUT",
        body: {
          lineItem: {
            title: "a client's own",
            assignDate: "2026-09-16",
            dueDate: "2026-09-18",
            class: { sourcedId: classId },
            resultValueMin: 0,
            resultValueMax: 1,
          },
        },
      });
      expect(put.status).toBe(201);
    }
    const first = await advance(3);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect((first.body.events as Record<string, number>).newLineItem).toBeGreaterThan(0);
    for (const id of squatted) {
      expect((await sp.api(`/lineItems/${id}`)).body.lineItem.title, id).toBe("a client's own");
    }
    // Deleted, the ids stay taken by tombstones; the clock goes on regardless.
    for (const id of squatted) {
      expect((await sp.api(`/lineItems/${id}`, { method: "DELETE" })).status).toBe(204);
    }
    const second = await advance(3);
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    const live = await sp.db.db
      .select({ n: sql<number>`count(*)::int` })
      .from(lineItems)
      .where(and(eq(lineItems.deleted, false), sql`${lineItems.sourcedId} like 'li-d%'`));
    expect(live[0]?.n).toBeGreaterThan(0);
    // Nothing the clock wrote carries a pending or future stamp.
    for (const table of Object.values(dataTables)) {
      const odd = await sp.db.db
        .select({ n: sql<number>`count(*)::int` })
        .from(table)
        .where(sql`${table.dateLastModified} < '1900-01-01'::timestamptz`);
      expect(odd[0]?.n).toBe(0);
    }
  });
});

describeEachDb("stamps under a frozen clock (migration 0007)", (kind) => {
  // The default test clock never moves by itself: every write proposes the same instant.
  const sp = useSeededProvider(kind);

  it("gives each write a stamp strictly after the one before, so a delta from the last stamp seen lists the next write", async () => {
    const classId = (await sp.api("/classes?limit=1&filter=classType%3D%27scheduled%27")).body.classes[0].sourcedId;
    const put = (title: string) =>
      sp.api("/lineItems/frozen-clock-li", {
        method: "PUT",
        body: {
          lineItem: {
            title,
            assignDate: "2026-09-16",
            dueDate: "2026-09-18",
            class: { sourcedId: classId },
            resultValueMin: 0,
            resultValueMax: 1,
          },
        },
      });
    const stamps: number[] = [];
    for (const title of ["first", "second", "third"]) {
      const res = await put(title);
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
      stamps.push(Date.parse(res.body.lineItem.dateLastModified));
      const since = new Date(stamps.at(-2) ?? 0).toISOString();
      if (stamps.length > 1) {
        const delta = await sp.api(`/lineItems?filter=${encodeURIComponent(`dateLastModified>'${since}'`)}`);
        expect(
          delta.body.lineItems.map((l: { sourcedId: string }) => l.sourcedId),
          `delta after ${since}`,
        ).toContain("frozen-clock-li");
      }
    }
    expect(stamps[1]).toBeGreaterThan(stamps[0] ?? Number.NaN);
    expect(stamps[2]).toBeGreaterThan(stamps[1] ?? Number.NaN);
  });
});
