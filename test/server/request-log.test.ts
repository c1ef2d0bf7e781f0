// The request log over real HTTP: every token and data request with its client, method, path, redacted query,
// status, bytes as sent, duration, total and faults; never a token, secret or record; filters by client, time,
// status and operation with a cursor; bounded by age and count; and shared by two processes on one Postgres.
import { request } from "node:http";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DbHandle, openDb, resultRows } from "../../server/db/client.js";
import { createLogger } from "../../server/log.js";
import { redactQuery } from "../../server/request-log/redact.js";
import { createRequestLog } from "../../server/request-log/writer.js";
import { openTestDb, type TestDb } from "../support/db.js";
import { describeEachDb, describeWithPostgres } from "../support/each-db.js";
import { logEntry } from "../support/log-rows.js";
import { useSeededProvider } from "../support/seeded-provider.js";
import { startProvider, type TestProvider } from "../support/server.js";

const ADMIN = "admin-credential-for-tests-0123";

interface LogRow {
  id: number;
  at: string;
  clientId: string | null;
  method: string;
  path: string;
  query: string | null;
  operation: string | null;
  status: number;
  bytes: number | null;
  durationMs: number;
  total: number | null;
  faults: string[];
  findings: string[];
}

describeEachDb("request log", (kind) => {
  const sp = useSeededProvider(kind, { config: { adminToken: ADMIN, requestLogMaxRows: 1000 } });
  const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
    sp.api(`${sp.provider.origin}${path}`, { ...init, token: ADMIN });
  const rows = async (query: string): Promise<LogRow[]> => {
    const res = await admin(`/admin/requests?${query}`);
    expect(res.status, res.text).toBe(200);
    return res.body.requests;
  };

  it("records token and data requests with what a consumer did, and never a token, secret or record", async () => {
    await admin("/admin/requests", { method: "DELETE" });
    const token = await sp.provider.token();
    const page = await sp.api("/users?limit=3&offset=1", { token });
    const name = page.body.users[0].givenName as string;
    await sp.api(`/users?access_token=${token}&filter=${encodeURIComponent("role='student'")}`, { token: null });
    const log = await rows("order=asc");
    expect(log.map((r) => [r.operation, r.status])).toEqual([
      ["token", 200],
      ["getAllUsers", 200],
      ["getAllUsers", 401],
    ]);
    const [issued, read, refused] = log as [LogRow, LogRow, LogRow];
    expect(issued).toMatchObject({ clientId: sp.provider.clientId, method: "POST", path: "/oauth/token", query: null });
    expect(read).toMatchObject({
      clientId: sp.provider.clientId,
      method: "GET",
      path: "/ims/oneroster/v1p1/users",
      query: "limit=3&offset=1",
      total: Number(page.headers.get("x-total-count")),
      bytes: Buffer.byteLength(page.text),
      faults: [],
      findings: [],
    });
    expect(read.durationMs).toBeGreaterThanOrEqual(0);
    expect(refused.clientId).toBeNull();
    expect(refused.query).toMatch(/^access_token=REDACTED&filter=role%3D/);
    const all = JSON.stringify(await rows("limit=1000"));
    expect(all).not.toContain(token);
    expect(all).not.toContain(sp.provider.clientSecret);
    expect(all).not.toContain(name);
  });

  it("filters by client, time window, status and operation, and pages with a cursor", async () => {
    await admin("/admin/requests", { method: "DELETE" });
    const made = await admin("/admin/clients", { method: "POST", body: { clientId: "log-other", name: "other" } });
    const other = await fetch(sp.provider.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: "log-other",
        client_secret: made.body.clientSecret,
      }),
    });
    const otherToken = ((await other.json()) as { access_token: string }).access_token;
    const clock = sp.provider.deps.clock;
    const start = clock.now().toISOString();
    await sp.api("/orgs");
    clock.advance(60_000);
    const middle = clock.now().toISOString();
    await sp.api("/orgs", { token: otherToken });
    await sp.api("/orgs/nobody", { token: otherToken });
    clock.advance(60_000);
    await sp.api("/schools");
    const mine = await rows(`client=${sp.provider.clientId}`);
    expect(mine.map((r) => r.path)).toEqual(["/ims/oneroster/v1p1/schools", "/ims/oneroster/v1p1/orgs"]);
    const theirs = await rows("client=log-other&order=asc");
    expect(theirs.map((r) => r.operation)).toEqual(["token", "getAllOrgs", "getOrg"]);
    expect((await rows(`since=${middle}&until=${clock.now().toISOString()}`)).map((r) => r.operation)).toEqual([
      "getOrg",
      "getAllOrgs",
    ]);
    expect((await rows("status=404")).map((r) => r.path)).toEqual(["/ims/oneroster/v1p1/orgs/nobody"]);
    expect((await rows("operation=getAllSchools")).length).toBe(1);
    const first = await admin(`/admin/requests?since=${start}&limit=2`);
    expect(first.body.requests).toHaveLength(2);
    const second = await admin(`/admin/requests?since=${start}&limit=2&cursor=${first.body.cursor}`);
    expect(second.body.requests[0].id).toBeLessThan(first.body.requests[1].id);
    expect((await admin("/admin/requests?since=yesterday")).status).toBe(400);
    expect((await admin("/admin/requests?limit=100000")).status).toBe(400);
  });

  it("records paths and queries with quotes, backslashes, commas, braces and the word NULL as received", async () => {
    await admin("/admin/requests", { method: "DELETE" });
    // Raw targets, as fetch would encode the quote; the URL parser percent-encodes it in the path, not in the query.
    const targets = [`/ims/oneroster/v1p1/users/NULL"a,{c}?fields=x"y\\z,{w}`, "/ims/oneroster/v1p1/users/NULL?NULL"];
    for (const path of targets) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port: new URL(sp.provider.origin).port,
            path,
            headers: { authorization: `Bearer ${sp.token}` },
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(status).toBeGreaterThanOrEqual(400);
    }
    const log = await rows("operation=getUser&order=asc");
    expect(log.map((r) => [r.path, r.query])).toEqual([
      ["/ims/oneroster/v1p1/users/NULL%22a,%7Bc%7D", `fields=x%22y\\z,{w}`],
      ["/ims/oneroster/v1p1/users/NULL", "NULL"],
    ]);
  });

  it("records the faults that acted, and bytes as sent when a fault cut the body", async () => {
    await admin("/admin/requests", { method: "DELETE" });
    await admin("/admin/quirks", { method: "PUT", body: { quirks: ["drop-connection:every=1,at=0.5"] } });
    const res = await fetch(`${sp.provider.baseUrl}/users?limit=10`, {
      headers: { authorization: `Bearer ${sp.token}` },
    });
    const declared = Number(res.headers.get("content-length"));
    await expect(res.text()).rejects.toThrow();
    await admin("/admin/quirks", { method: "PUT", body: { quirks: [] } });
    const [cut] = await rows("operation=getAllUsers");
    expect(cut?.faults).toEqual(["drop-connection"]);
    expect(cut?.bytes).toBe(Math.floor(declared * 0.5));
  });
});

describeEachDb("request log retention", (kind) => {
  const sp = useSeededProvider(kind, { config: { adminToken: ADMIN, requestLogMaxRows: 5, requestLogDays: 1 } });
  const count = async () =>
    (await sp.api(`${sp.provider.origin}/admin/requests?limit=1000`, { token: ADMIN })).body.requests.length;

  it("keeps at most the configured number of rows and drops rows older than the configured age", async () => {
    for (let i = 0; i < 8; i++) {
      await sp.api("/orgs");
    }
    expect(await count()).toBeLessThanOrEqual(5);
    sp.provider.deps.clock.advance(2 * 86_400_000);
    await sp.api("/orgs");
    expect(await count()).toBe(1);
  });

  it("lives in an UNLOGGED table, as the migrations leave it", async () => {
    const rows = await sp.db.handle.db.execute(
      sql`select relpersistence from pg_class where oid = 'provider.request_log'::regclass`,
    );
    expect(resultRows<{ relpersistence: string }>(rows)).toEqual([{ relpersistence: "u" }]);
  });
});

describeEachDb("request log pruning", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openTestDb(kind);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("deletes rows past the age limit, then the oldest past the count limit, and says how many went", async () => {
    let now = Date.parse("2026-11-30T12:00:00Z");
    const clock = { now: () => new Date(now) };
    const log = createRequestLog(db.handle.db, clock, createLogger("error"), { retentionDays: 1, maxRows: 4 });
    let next = 0;
    const write = async (n: number) => {
      for (let i = 0; i < n; i++) {
        log.begin()(logEntry(clock.now(), `r${next++}`));
      }
      await log.settle();
    };
    await write(3);
    now += 2 * 86_400_000;
    await write(3);
    // r0-r2 are past the one-day limit; r3-r5 are within both limits.
    expect(await log.prune()).toBe(3);
    await write(3);
    // Six rows, four kept: the two oldest go.
    expect(await log.prune()).toBe(2);
    expect((await log.list({ order: "asc" })).map((r) => r.requestId)).toEqual(["r5", "r6", "r7", "r8"]);
    await log.close();
  });

  it("counts a row that is both too old and past the count limit once", async () => {
    let now = Date.parse("2026-11-30T12:00:00Z");
    const clock = { now: () => new Date(now) };
    await db.handle.db.execute(sql`delete from provider.request_log`);
    const log = createRequestLog(db.handle.db, clock, createLogger("error"), { retentionDays: 1, maxRows: 3 });
    const write = async (ids: string[]) => {
      for (const id of ids) {
        log.begin()(logEntry(clock.now(), id));
      }
      await log.settle();
    };
    await write(["o0", "o1", "o2"]);
    now += 2 * 86_400_000;
    await write(["n0", "n1", "n2", "n3"]);
    // o0-o2 are too old, and o0-o2 and n0 are past the newest three: four rows go, each counted once.
    expect(await log.prune()).toBe(4);
    expect((await log.list({ order: "asc" })).map((r) => r.requestId)).toEqual(["n1", "n2", "n3"]);
    expect(await log.prune()).toBe(0);
    await log.close();
  });
});

describe("redactQuery", () => {
  it("keeps the query as sent but hides every credential parameter, whatever its case or encoding", () => {
    expect(redactQuery("")).toBeNull();
    expect(redactQuery("?limit=5&filter=a%3D%27b%27")).toBe("limit=5&filter=a%3D%27b%27");
    expect(redactQuery("?Access_Token=abc&client%5Fsecret=s&x")).toBe(
      "Access_Token=REDACTED&client%5Fsecret=REDACTED&x",
    );
  });
});

describeWithPostgres("request log across two provider processes on one Postgres", () => {
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

  it("shows the requests both processes served, read through either, and agrees on clients", async () => {
    const made = await fetch(`${a.origin}/admin/clients`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ clientId: "shared-lms", name: "shared" }),
    });
    const { clientSecret } = (await made.json()) as { clientSecret: string };
    const viaB = await fetch(b.tokenUrl, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: "shared-lms",
        client_secret: clientSecret,
      }),
    });
    expect(viaB.status).toBe(200);
    const token = ((await viaB.json()) as { access_token: string }).access_token;
    await fetch(`${a.baseUrl}/orgs`, { headers: { authorization: `Bearer ${token}` } });
    await fetch(`${b.baseUrl}/orgs`, { headers: { authorization: `Bearer ${token}` } });
    for (const reader of [a, b]) {
      await vi.waitFor(
        async () => {
          const res = await fetch(`${reader.origin}/admin/requests?client=shared-lms&order=asc`, {
            headers: { authorization: `Bearer ${ADMIN}` },
          });
          const { requests } = (await res.json()) as { requests: LogRow[] };
          // Each process writes its rows in batches, so ids follow the writes, not the requests across processes.
          expect(requests.map((r) => r.operation).sort()).toEqual(["getAllOrgs", "getAllOrgs", "token"]);
        },
        { timeout: 5000, interval: 100 },
      );
    }
  });
});
