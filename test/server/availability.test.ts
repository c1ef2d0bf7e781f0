// Staying available (issue 8, items 10 and 15): a Postgres outage answers 503 with Retry-After at once and heals
// without a restart; `seed --reset` leaves readers on the old district until the new one commits; /health reports
// liveness and readiness; keep-alive outlives the idle reuse of common clients.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readStatusInfo } from "../../oneroster/index.js";
import { seedDatabase } from "../../seed/index.js";
import { type DbHandle, openDb } from "../../server/db/client.js";
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS } from "../../server/http/node-server.js";
import { openTestDb, type TestDb } from "../support/db.js";
import { describeEachDb, describeWithPostgres } from "../support/each-db.js";
import { SEEDED_NOW, useSeededProvider } from "../support/seeded-provider.js";
import { createTestClock, startProvider, type TestProvider } from "../support/server.js";

const OUTAGE_ADMIN_TOKEN = "availability-test-admin-token-0123";

/** A TCP proxy in front of Postgres that a test can cut: refuse connections, or accept and never answer. */
class FlakyProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  mode: "up" | "blackhole" = "up";
  /** Connections the provider opened through the proxy (a breaker that holds keeps this still). */
  connections = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async start(port = 0): Promise<number> {
    this.server = createServer((client) => {
      this.connections++;
      this.sockets.add(client);
      client.on("close", () => this.sockets.delete(client));
      client.on("error", () => {});
      if (this.mode === "blackhole") {
        return;
      }
      const upstream = createConnection(this.target);
      this.sockets.add(upstream);
      upstream.on("close", () => this.sockets.delete(upstream));
      upstream.on("error", () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(port, "127.0.0.1", resolve));
    const address = this.server.address();
    return typeof address === "object" && address ? address.port : 0;
  }

  /** Drops every open connection and stops listening: new connections are refused. */
  async stop(): Promise<void> {
    for (const s of this.sockets) {
      s.destroy();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describeWithPostgres("a Postgres outage (item 10) [postgres]", () => {
  let db: TestDb;
  let proxy: FlakyProxy;
  let port: number;
  let handle: DbHandle;
  let provider: TestProvider;
  let token: string;

  beforeAll(async () => {
    db = await openTestDb("postgres");
    await seedDatabase(db.handle, { seed: 1, size: "tiny", fingerprint: false });
    const target = new URL(db.url ?? "");
    proxy = new FlakyProxy({ host: target.hostname, port: Number(target.port || 5432) });
    port = await proxy.start();
    const viaProxy = new URL(db.url ?? "");
    viaProxy.host = `127.0.0.1:${port}`;
    // Long enough for a real connection on a loaded two-core machine (at 1 s, a connection opened after the outage
    // once timed out under a second test run beside this one, and reopened the breaker), short for the blackhole.
    handle = await openDb(viaProxy.toString(), { max: 2, connectTimeoutSeconds: 3 });
    provider = await startProvider(handle, {
      clock: createTestClock(SEEDED_NOW),
      // Held open for the test's length: while it holds, no request may reach for a connection.
      dbHealth: { retryAfterSeconds: 600 },
      config: { pageCacheBytes: 0, adminToken: OUTAGE_ADMIN_TOKEN },
    });
    token = await provider.token();
  });
  afterAll(async () => {
    await provider?.close();
    await proxy?.stop();
    await handle?.close().catch(() => {});
    await db?.close();
  });

  const get = (path: string) =>
    fetch(`${provider.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({
      status: r.status,
      retryAfter: r.headers.get("retry-after"),
      body: await r.json(),
    }));

  it("answers 503 with Retry-After while the database is unreachable, without queueing for connections, and heals", async () => {
    expect((await get("/users?limit=1")).status).toBe(200);
    // Reading the request log writes what it holds, so no log write of that request is still queued for a
    // connection when the database goes away: the count below is of connections the outage's requests open.
    const logged = await fetch(`${provider.origin}/admin/requests`, {
      headers: { authorization: `Bearer ${OUTAGE_ADMIN_TOKEN}` },
    });
    expect(logged.status).toBe(200);
    await proxy.stop();
    proxy.mode = "blackhole";
    await proxy.start(port);

    const first = await get("/users?limit=2");
    expect(first.status).toBe(503);
    expect(first.retryAfter).toBe("600");
    expect(readStatusInfo(first.body)[0]).toMatchObject({ codeMajor: "failure", codeMinor: "serverbusy" });
    // The breaker is open: further requests answer 503 without opening a single connection.
    const opened = proxy.connections;
    for (const path of ["/users?limit=3", "/orgs", "/classes?limit=1"]) {
      const res = await get(path);
      expect(res.status, path).toBe(503);
      expect(res.retryAfter).toBe("600");
    }
    const tokenRes = await fetch(provider.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=client_credentials&client_id=${provider.clientId}&client_secret=${provider.clientSecret}`,
    });
    expect(tokenRes.status).toBe(503);
    expect(proxy.connections).toBe(opened);

    // The database comes back: /health probes it (whatever the breaker says) and closes the breaker.
    await proxy.stop();
    proxy.mode = "up";
    await proxy.start(port);
    let health = await fetch(`${provider.origin}/health`);
    for (let i = 0; i < 20 && health.status !== 200; i++) {
      health = await fetch(`${provider.origin}/health`);
    }
    expect(health.status).toBe(200);
    expect((await get("/users?limit=4")).status).toBe(200);
  });
});

describeWithPostgres("seed --reset under a running provider (item 10) [postgres]", () => {
  const sp = useSeededProvider("postgres", { config: { pageCacheBytes: 0 } });

  it("keeps readers on the old district until the new one commits, never blocking them", async () => {
    const before = await sp.api("/users?limit=1");
    const oldTotal = before.headers.get("x-total-count");
    const oldFirst = before.body.users[0].sourcedId;
    const loader = await openDb(sp.db.url ?? "", { max: 1 });
    let paused!: () => void;
    const pausedAt = new Promise<void>((resolve) => {
      paused = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    // The load pauses inside its transaction after the old district is cleared and part of the new one written.
    const load = seedDatabase(loader, { seed: 2, size: "tiny", reset: true, fingerprint: false }, async () => {
      calls++;
      if (calls === 2) {
        paused();
        await released;
      }
    });
    try {
      await pausedAt;
      for (const path of ["/users?limit=1&offset=0", "/orgs", "/enrollments?limit=5"]) {
        const res = await sp.api(path);
        expect(res.status, path).toBe(200);
      }
      const during = await sp.api("/users?limit=1&sort=sourcedId");
      expect(during.headers.get("x-total-count")).toBe(oldTotal);
      expect(during.body.users[0].sourcedId).toBe(oldFirst);
    } finally {
      release();
      await load;
      await loader.close();
    }
    const after = await sp.api("/users?limit=1&orderBy=asc");
    expect(after.status).toBe(200);
  });
});

describeEachDb("health and keep-alive (item 15)", (kind) => {
  const sp = useSeededProvider(kind);

  it("GET /health answers 200 with liveness and database readiness, without a token", async () => {
    const res = await fetch(`${sp.provider.origin}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({
      status: "ok",
      live: true,
      ready: true,
      database: { driver: kind, state: "ok" },
    });
  });

  it("keeps idle connections longer than common clients reuse them, and says so in Keep-Alive", async () => {
    const res = await fetch(`${sp.provider.baseUrl}/orgs?limit=1`, {
      headers: { authorization: `Bearer ${sp.token}` },
    });
    await res.text();
    expect(res.headers.get("keep-alive")).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
    const server = sp.provider.server as unknown as { keepAliveTimeout: number; headersTimeout: number };
    // undici keeps idle sockets 4 s, Python's urllib3 and Go 90 s but honour Keep-Alive, browsers about 60 s.
    expect(server.keepAliveTimeout).toBeGreaterThanOrEqual(60_000);
    expect(server.headersTimeout).toBe(HEADERS_TIMEOUT_MS);
    expect(server.headersTimeout).toBeGreaterThan(server.keepAliveTimeout);
  });
});
