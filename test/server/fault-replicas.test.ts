// Two provider processes on one Postgres behave as one provider for fault presets: a preset switched on through one
// is in force on the other, and their counters are shared (every Nth request, uses of one token), whichever answers.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type DbHandle, openDb } from "../../server/db/client.js";
import { openTestDb, type TestDb } from "../support/db.js";
import { describeWithPostgres } from "../support/each-db.js";
import { startProvider, type TestProvider } from "../support/server.js";

const ADMIN = "admin-credential-for-tests-0123";

describeWithPostgres("fault presets across two provider processes on one Postgres", () => {
  let db: TestDb;
  let second: DbHandle;
  let a: TestProvider;
  let b: TestProvider;
  beforeAll(async () => {
    db = await openTestDb("postgres");
    second = await openDb(db.url, { max: 2 });
    a = await startProvider(db.handle, { config: { adminToken: ADMIN } });
    b = await startProvider(second, { config: { adminToken: ADMIN } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await second?.close();
    await db?.close();
  });

  const get = async (p: TestProvider, token: string) =>
    (await fetch(`${p.baseUrl}/orgs`, { headers: { authorization: `Bearer ${token}` } })).status;
  /**
   * Switches presets on through A, then reads them through B's admin API, as an operator checking both would: admin
   * reads are fresh and refresh B's cached view (otherwise B takes up to a second to see the change).
   */
  const switchOn = async (quirks: string[]) => {
    const res = await fetch(`${a.origin}/admin/quirks`, {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ quirks }),
    });
    expect(res.status).toBe(200);
    const seen = await fetch(`${b.origin}/admin/quirks`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(((await seen.json()) as { active: string[] }).active).toEqual(quirks);
  };

  it("shares the request counter of a burst between the processes", async () => {
    await switchOn(["server-errors:every=2,burst=1"]);
    const token = await a.token();
    expect([await get(a, token), await get(b, token), await get(a, token), await get(b, token)]).toEqual([
      200, 503, 200, 503,
    ]);
  });

  it("counts a token's uses across the processes", async () => {
    await switchOn(["token-expiry:uses=2"]);
    const token = await b.token();
    expect([await get(a, token), await get(b, token), await get(a, token)]).toEqual([200, 200, 401]);
  });
});
