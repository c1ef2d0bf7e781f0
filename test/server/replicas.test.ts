// Two provider replicas on one Postgres database behind one port (issue 12 item 4): two in-process servers, each
// with its own connection pool, page cache (on) and LISTEN, behind a round-robin TCP proxy on 127.0.0.1. After a
// gradebook PUT, a district clock advance and a fault switch made through the one port, reads through either replica
// give the same bodies and X-Total-Count once the data-change NOTIFY has reached both.
import { request } from "node:http";
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDistrictClock, seedDatabase } from "../../seed/index.js";
import { type DbHandle, openDb } from "../../server/db/client.js";
import { openTestDb, type TestDb } from "../support/db.js";
import { describeWithPostgres } from "../support/each-db.js";
import { SEEDED_NOW } from "../support/seeded-provider.js";
import { createTestClock, startProvider, type TestProvider } from "../support/server.js";

const ADMIN = "admin-credential-for-replica-tests";

/** A TCP proxy that hands each new connection to the next backend in turn, and remembers which one got it. */
interface RoundRobin {
  origin: string;
  /** Backend index of every connection so far, in order. */
  served: number[];
  close(): Promise<void>;
}

async function startRoundRobin(ports: readonly number[]): Promise<RoundRobin> {
  const served: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const index = served.length % ports.length;
    served.push(index);
    const upstream = createConnection({ host: "127.0.0.1", port: ports[index] as number });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) {
          s.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

interface Answer {
  /** Which replica answered (0 or 1). */
  replica: number;
  status: number;
  body: string;
  total: string | undefined;
}

describeWithPostgres("two provider replicas on one Postgres behind one port", () => {
  let db: TestDb;
  let second: DbHandle;
  let replicas: TestProvider[] = [];
  let proxy: RoundRobin;
  let token: string;

  /** One HTTP exchange through the proxy on a connection of its own (so the next one goes to the other replica). */
  const send = (method: string, path: string, body?: unknown, bearer = token): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const replica = proxy.served.length % 2;
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${proxy.origin}${path}`,
        {
          method,
          agent: false,
          headers: {
            authorization: `Bearer ${bearer}`,
            ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const total = res.headers["x-total-count"];
            resolve({
              replica,
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString("utf8"),
              total: Array.isArray(total) ? total[0] : total,
            });
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  const api = (path: string) => `/ims/oneroster/v1p1${path}`;

  /** Reads `path` through the one port until both replicas have answered; returns their answers. */
  const readFromBoth = async (path: string): Promise<[Answer, Answer]> => {
    const first = await send("GET", api(path));
    const other = await send("GET", api(path));
    expect(new Set([first.replica, other.replica])).toEqual(new Set([0, 1]));
    return first.replica === 0 ? [first, other] : [other, first];
  };

  /** Both replicas give the same answer to every path (after the NOTIFY of the last write has reached them). */
  const expectSameAnswers = async (paths: readonly string[]) => {
    const answers: Record<string, Answer> = {};
    await vi.waitFor(
      async () => {
        for (const path of paths) {
          const [a, b] = await readFromBoth(path);
          expect(a.status, path).toBe(200);
          expect({ body: b.body, total: b.total }, path).toEqual({ body: a.body, total: a.total });
          answers[path] = a;
        }
      },
      { timeout: 10_000, interval: 50 },
    );
    return answers;
  };

  beforeAll(async () => {
    db = await openTestDb("postgres");
    await seedDatabase(db.handle, { seed: 1, size: "tiny", fingerprint: false });
    second = await openDb(db.url as string, { max: 4 });
    const clock = createTestClock(SEEDED_NOW);
    // Hrefs and Link headers name the one public origin, whichever replica answers.
    const started: TestProvider[] = [];
    for (const handle of [db.handle, second]) {
      started.push(
        await startProvider(handle, {
          clock,
          config: { adminToken: ADMIN, publicUrl: "http://rosterlab.replicas" },
          districtClock: createDistrictClock(handle, clock),
        }),
      );
    }
    replicas = started;
    proxy = await startRoundRobin(replicas.map((r) => Number(new URL(r.origin).port)));
    for (const r of replicas) {
      expect(r.deps.pageCache?.enabled).toBe(true);
    }
    const res = await fetch(`${proxy.origin}/oauth/token`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${replicas[0]?.clientId}:${replicas[0]?.clientSecret}`).toString("base64")}`,
      },
      body: new URLSearchParams({ grant_type: "client_credentials" }),
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  afterAll(async () => {
    await proxy?.close();
    for (const r of replicas) {
      await r.close();
    }
    await second?.close();
    await db?.close();
  });

  const READS = [
    "/users?limit=7&offset=3",
    "/students?limit=5&sort=familyName",
    "/enrollments?limit=20",
    "/classes?limit=3",
    "/categories",
    "/lineItems?limit=50",
  ];

  describe("the same answers through either replica", () => {
    it("before any write, with both page caches warm", async () => {
      await expectSameAnswers(READS);
      // Read again: each replica keeps a page from the second time it is asked for.
      await expectSameAnswers(READS);
      // And again: now both answer from their page caches, still alike.
      await expectSameAnswers(READS);
    });

    it("after a gradebook PUT through the one port", async () => {
      const before = await expectSameAnswers(["/categories"]);
      const put = await send("PUT", api("/categories/replica-cat-1"), { category: { title: "Written once" } });
      expect(put.status).toBe(201);
      const after = await expectSameAnswers(["/categories", "/categories/replica-cat-1"]);
      expect(Number(after["/categories"]?.total)).toBe(Number(before["/categories"]?.total) + 1);
      expect(JSON.parse(after["/categories/replica-cat-1"]?.body ?? "{}").category.title).toBe("Written once");
      // An update through the port (whichever replica takes it) reaches the other replica's cache too.
      await send("PUT", api("/categories/replica-cat-1"), { category: { title: "Written twice" } });
      const updated = await expectSameAnswers(["/categories/replica-cat-1", "/categories"]);
      expect(JSON.parse(updated["/categories/replica-cat-1"]?.body ?? "{}").category.title).toBe("Written twice");
    });

    it("after the district clock advances through the admin API", async () => {
      // Deltas from the newest stamp before the advance: empty on both replicas (and now in both page caches).
      const newest = await send("GET", api("/users?sort=dateLastModified&orderBy=desc&limit=1"));
      const since = JSON.parse(newest.body).users[0].dateLastModified as string;
      const enrollmentStamp = await send("GET", api("/enrollments?sort=dateLastModified&orderBy=desc&limit=1"));
      const enrollmentsSince = JSON.parse(enrollmentStamp.body).enrollments[0].dateLastModified as string;
      const deltas = [
        `/users?filter=${encodeURIComponent(`dateLastModified>'${since}'`)}`,
        `/enrollments?filter=${encodeURIComponent(`dateLastModified>'${enrollmentsSince}'`)}&limit=500`,
      ];
      // Twice: each replica keeps a page from the second time it is asked for.
      await expectSameAnswers(deltas);
      const before = await expectSameAnswers([...READS, ...deltas]);
      expect(deltas.map((p) => before[p]?.total)).toEqual(["0", "0"]);
      const advance = await send("POST", "/admin/clock/advance", { days: 2 }, ADMIN);
      expect(advance.status).toBe(200);
      const after = await expectSameAnswers([...READS, ...deltas]);
      // The advance changed the district, and neither replica kept serving its cached empty delta.
      expect(deltas.reduce((n, p) => n + Number(after[p]?.total), 0)).toBeGreaterThan(0);
    });

    it("after a fault preset is switched on and off through the one port", async () => {
      const on = await send("PUT", "/admin/quirks", { quirks: ["no-total-count"] }, ADMIN);
      expect(on.status).toBe(200);
      // Each replica re-reads the switches when its admin API is read (otherwise within a second).
      for (const r of replicas) {
        await fetch(`${r.origin}/admin/quirks`, { headers: { authorization: `Bearer ${ADMIN}` } });
      }
      await vi.waitFor(
        async () => {
          const [a, b] = await readFromBoth("/users?limit=2");
          expect([a.total, b.total]).toEqual([undefined, undefined]);
          expect(b.body).toBe(a.body);
        },
        { timeout: 10_000, interval: 50 },
      );
      const off = await send("PUT", "/admin/quirks", { quirks: [] }, ADMIN);
      expect(off.status).toBe(200);
      for (const r of replicas) {
        await fetch(`${r.origin}/admin/quirks`, { headers: { authorization: `Bearer ${ADMIN}` } });
      }
      const answers = await expectSameAnswers(["/users?limit=2"]);
      expect(answers["/users?limit=2"]?.total).toBeDefined();
    });
  });
});
