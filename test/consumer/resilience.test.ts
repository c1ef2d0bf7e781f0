// The engine against providers that misbehave: our own quirk presets (no X-Total-Count, Link dropping the filter,
// a silently capped limit, a wrong envelope key), transport faults injected by a real proxy on 127.0.0.1 (5xx,
// 429 with Retry-After, connections dropped mid-body), and tokens that expire mid-run. It converges or says why.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { batchErrors } from "../../consumer/store/schema.js";
import { openSyncHarness, type SyncHarness } from "../support/sync-harness.js";

let h: SyncHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function classCount(harness: SyncHarness): Promise<number> {
  return (await harness.providerRecords("/classes", "classes")).filter((c) => c.status === "active").length;
}

describe("provider quirks", () => {
  it.each([
    ["no-total-count", /no X-Total-Count; the end is taken from the Link header/],
    ["silent-limit-cap", /Link next points at offset/],
    ["wrong-envelope", /instead of the envelope key/],
  ])("with %s on, a full run still reads every record and says what it saw", async (quirk, warning) => {
    h = await openSyncHarness("pglite");
    const expected = await classCount(h);
    const users = (await h.providerRecords("/users", "users")).length;
    await h.quirks([quirk]);
    const r = await h.sync();
    expect(r.status).toMatch(/^completed/);
    expect(r.collections.find((c) => c.collection === "users")?.records).toBe(users);
    expect(r.warnings.join("\n")).toMatch(warning);
    const lms = await h.exportLms();
    expect(lms.classes.filter((c) => c.status === "active")).toHaveLength(expected);
  });

  it("with link-drops-filter on, a delta run pages with its own URLs and keeps the filter", async () => {
    h = await openSyncHarness("pglite", {
      settings: { fetch: { pageSize: 5, concurrency: 2, timeoutMs: 30_000, retries: 5, overlapSeconds: 120 } },
    });
    await h.sync();
    await h.advance(2);
    await h.quirks(["link-drops-filter"]);
    const r = await h.sync();
    expect(r.mode).toBe("delta");
    expect(r.warnings.join("\n")).toMatch(/drops the filter/);
    const total = (await h.providerRecords("/enrollments", "enrollments")).length;
    expect(r.collections.find((c) => c.collection === "enrollments")?.records).toBeLessThan(total / 2);
  });

  it("sanitises and de-duplicates the district's awkward codes, reporting each change", async () => {
    h = await openSyncHarness("pglite");
    const r = await h.sync();
    const lms = await h.exportLms();
    const codes = [...lms.courses, ...lms.classes].map((c) => (c.lms as { code: string }).code);
    for (const code of codes) {
      expect(code.length).toBeLessThanOrEqual(50);
      expect(code).not.toMatch(/[\\:?"“”<>|'‘#,%&]/);
    }
    const templates = lms.courses.map((c) => (c.lms as { code: string }).code);
    expect(new Set(templates).size).toBe(templates.length);
    expect(r.warnings.join("\n")).toMatch(/sanitised to/);
  });
});

type Fault = "503" | "429" | "drop" | undefined;

/** A real HTTP proxy in front of the provider that answers some requests with a fault instead of forwarding. */
async function startFaultProxy(target: string, faultFor: (n: number, url: string) => Fault) {
  let n = 0;
  const seen: { url: string; fault: Fault }[] = [];
  const server: Server = createServer(async (req, res) => {
    n += 1;
    const url = req.url ?? "/";
    const fault = faultFor(n, url);
    seen.push({ url, fault });
    if (fault === "503") {
      res.writeHead(503, { "content-type": "application/json" }).end('{"statusInfoSet":[]}');
      return;
    }
    if (fault === "429") {
      res.writeHead(429, { "retry-after": "1", "content-type": "application/json" }).end("{}");
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) {
      chunks.push(c as Buffer);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && k !== "host" && k !== "connection" && k !== "content-length") {
        headers[k] = v;
      }
    }
    const upstream = await fetch(`${target}${url}`, {
      method: req.method ?? "GET",
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (k !== "content-length" && k !== "content-encoding" && k !== "transfer-encoding" && k !== "connection") {
        out[k] = v;
      }
    });
    if (fault === "drop") {
      // Headers and half the body, then the connection dies.
      res.writeHead(upstream.status, { ...out, "content-length": String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      setImmediate(() => res.socket?.destroy());
      return;
    }
    res.writeHead(upstream.status, out).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("bad records", () => {
  it("a record that fails the v1p1 schema is an error on that record with its data; the rest syncs", async () => {
    h = await openSyncHarness("pglite");
    const student = (await h.providerRecords("/students", "users")).find((u) => u.status === "active");
    // A user with no orgs breaks the v1p1 model (orgs has at least one entry).
    await h.update("users", String(student?.sourcedId), { orgIds: [] });
    const r = await h.sync();
    expect(r.status).toBe("completed_with_errors");
    const [err] = await h.store.db
      .select()
      .from(batchErrors)
      .where(eq(batchErrors.sourcedId, String(student?.sourcedId)));
    expect(err?.code).toBe("SCHEMA_MISMATCH");
    expect(err?.message).toMatch(/orgs/);
    expect((err?.record as { username?: string } | undefined)?.username).toBe(student?.username);
    const users = (await h.exportLms()).users;
    expect(users.some((u) => u.sourcedId === student?.sourcedId)).toBe(false);
    expect(users.length).toBeGreaterThan(10);
  });
});

describe("transport faults", () => {
  it("survives 5xx bursts, 429 with Retry-After and connections dropped mid-body, and converges", async () => {
    h = await openSyncHarness("pglite");
    const proxy = await startFaultProxy(h.provider.origin, (n, url) =>
      url.includes("/oauth/")
        ? undefined
        : n % 7 === 0
          ? "503"
          : n % 11 === 0
            ? "429"
            : n % 13 === 0
              ? "drop"
              : undefined,
    );
    try {
      const waits: number[] = [];
      const retries: string[] = [];
      const viaProxy = {
        baseUrl: h.connection.baseUrl.replace(h.provider.origin, proxy.origin),
        tokenUrl: h.connection.tokenUrl.replace(h.provider.origin, proxy.origin),
      };
      const { runSync } = await import("../../consumer/run.js");
      const r = await runSync({
        store: h.store,
        settings: h.settings,
        connection: { ...h.connection, ...viaProxy },
        now: () => h?.clock.now() ?? new Date(),
        client: { minRetryDelayMs: 1, maxRetryDelayMs: 2, sleep: async (ms) => void waits.push(ms) },
        onEvent: (e) => {
          if (e.type === "client" && e.event.type === "retry") {
            retries.push(e.event.reason);
          }
        },
      });
      expect(r.status).toMatch(/^completed/);
      expect(proxy.seen.filter((s) => s.fault === "503").length).toBeGreaterThan(0);
      expect(proxy.seen.filter((s) => s.fault === "drop").length).toBeGreaterThan(0);
      expect(retries.some((x) => /503/.test(x))).toBe(true);
      expect(retries.some((x) => /no answer/.test(x))).toBe(true);
      // Retry-After: 1 is honoured before retrying a 429.
      expect(waits).toContain(1000);
      const lms = await h.exportLms();
      expect(lms.classes.filter((c) => c.status === "active")).toHaveLength(await classCount(h));
      const users = await h.providerRecords("/users", "users");
      expect(r.collections.find((c) => c.collection === "users")?.records).toBe(users.length);
    } finally {
      await proxy.close();
    }
  });

  it("renews a token that expires mid-run instead of failing", async () => {
    h = await openSyncHarness("pglite", {
      settings: { fetch: { pageSize: 20, concurrency: 1, timeoutMs: 30_000, retries: 3, overlapSeconds: 120 } },
    });
    let tokens = 0;
    let expired = false;
    const r = await h.sync({
      onEvent: (e) => {
        if (e.type === "client" && e.event.type === "token") {
          tokens++;
        }
        // Two hours pass on the provider's clock in the middle of the users: every token issued so far has expired.
        if (e.type === "stage" && e.collection === "users" && !expired) {
          expired = true;
          h?.clock.advance(2 * 3600 * 1000);
        }
      },
    });
    expect(r.status).toMatch(/^completed/);
    expect(tokens).toBe(2);
  });

  it("reports a provider that stays down as a failed batch that the next run resumes", async () => {
    h = await openSyncHarness("pglite");
    let down = true;
    const proxy = await startFaultProxy(h.provider.origin, (_n, url) =>
      down && url.includes("/users") ? "503" : undefined,
    );
    const { runSync } = await import("../../consumer/run.js");
    const connection = {
      ...h.connection,
      baseUrl: h.connection.baseUrl.replace(h.provider.origin, proxy.origin),
      tokenUrl: h.connection.tokenUrl.replace(h.provider.origin, proxy.origin),
    };
    const run = () =>
      runSync({
        store: h?.store as SyncHarness["store"],
        settings: (h as SyncHarness).settings,
        connection,
        now: () => h?.clock.now() ?? new Date(),
        client: { retries: 2, minRetryDelayMs: 1, maxRetryDelayMs: 2, sleep: async () => {} },
      });
    try {
      const failed = await run();
      expect(failed.status).toBe("failed");
      expect(failed.message).toMatch(/answered 503/);
      expect((await h.exportLms()).users).toEqual([]);
      // The provider is back: the same batch resumes after the collections it already staged.
      down = false;
      const again = await run();
      expect(again.resumed).toBe(true);
      expect(again.batchId).toBe(failed.batchId);
      expect(again.status).toMatch(/^completed/);
      expect(proxy.seen.filter((s) => s.url.includes("/academicSessions"))).toHaveLength(1);
      expect((await h.exportLms()).users.length).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });
});
