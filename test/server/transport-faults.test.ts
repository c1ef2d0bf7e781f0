// Transport fault presets over real HTTP on 127.0.0.1 against a seeded district: latency, 5xx bursts, 429 with and
// without Retry-After, tokens refused mid-run, a body cut mid-way, data changing under a pager, an empty feed —
// switched on through PUT /admin/quirks, per request with X-Rosterlab-Fault, and at start; counters kept in SQL.
import { describe, expect, it } from "vitest";
import { readStatusInfo } from "../../oneroster/index.js";
import { parseFaultSpec } from "../../server/faults/catalog.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

const ADMIN = "admin-credential-for-tests-0123";
const enc = encodeURIComponent;
const APPLIED = "x-rosterlab-fault-applied";

describeEachDb("transport fault presets", (kind) => {
  const slept: number[] = [];
  const sp = useSeededProvider(kind, {
    config: { adminToken: ADMIN },
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
    sp.api(`${sp.provider.origin}${path}`, { ...init, token: ADMIN });
  /** Switches the provider-wide set to exactly these presets. */
  const faults = async (...quirks: unknown[]) => {
    const res = await admin("/admin/quirks", { method: "PUT", body: { quirks } });
    expect(res.status, res.text).toBe(200);
    return res.body;
  };
  const statuses = async (n: number, path = "/orgs") => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      out.push((await sp.api(path)).status);
    }
    return out;
  };

  it("latency delays matching responses by the given milliseconds and leaves other collections alone", async () => {
    await faults("latency:ms=40,collections=users");
    slept.length = 0;
    const users = await sp.api("/students?limit=1");
    expect(users.status).toBe(200);
    expect(users.headers.get(APPLIED)).toBe("latency");
    const orgs = await sp.api("/orgs?limit=1");
    expect(orgs.headers.get(APPLIED)).toBeNull();
    expect(slept).toEqual([40]);
    await faults();
  });

  it("server-errors answers a burst of the chosen 5xx every Nth request, with a status payload, then recovers", async () => {
    const state = await faults({ name: "server-errors", params: { every: 3, burst: 2, status: 502 } });
    expect(state.active).toEqual(["server-errors:status=502,every=3,burst=2"]);
    expect(await statuses(7)).toEqual([200, 502, 502, 200, 502, 502, 200]);
    const failed = await sp.api("/orgs");
    expect(failed.status).toBe(502);
    expect(readStatusInfo(failed.body)[0]?.codeMinor).toBe("serverbusy");
    expect(failed.headers.get(APPLIED)).toBe("server-errors");
    const counters = (await admin("/admin/quirks")).body.counters;
    expect(counters).toEqual([{ scope: "provider", name: "server-errors", key: "", n: 8 }]);
    await faults();
    expect(await statuses(2)).toEqual([200, 200]);
  });

  it("server-errors with a seeded rate fails the same requests every time it is switched on", async () => {
    const run = async () => {
      await faults("server-errors:rate=0.3,seed=42,burst=1,status=500");
      const seen = await statuses(12);
      await faults();
      return seen;
    };
    const first = await run();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });

  it("rate-limit answers 429 with Retry-After in seconds or as an HTTP date", async () => {
    await faults("rate-limit:every=2,burst=1,retryAfter=7");
    expect((await sp.api("/orgs")).status).toBe(200);
    const limited = await sp.api("/orgs");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(readStatusInfo(limited.body)[0]?.codeMinor).toBe("serverbusy");
    await faults("rate-limit:every=1,retryAfter=30,retryAfterAs=date");
    const dated = await sp.api("/orgs");
    expect(dated.status).toBe(429);
    const at = Date.parse(dated.headers.get("retry-after") ?? "");
    expect(at - sp.provider.deps.clock.now().getTime()).toBe(30_000);
    await faults();
  });

  it("rate-limit-no-retry-after answers 429 without a Retry-After header", async () => {
    await faults("rate-limit-no-retry-after:every=2,burst=2");
    const [a, b] = [await sp.api("/orgs"), await sp.api("/orgs")];
    expect([a.status, b.status]).toEqual([429, 429]);
    expect(a.headers.get("retry-after")).toBeNull();
    await faults();
  });

  it("token-expiry refuses a token after N uses with 401 invalid_token; a renewed token works", async () => {
    await faults("token-expiry:uses=2");
    const first = await sp.provider.token();
    const use = (token: string) => sp.api("/orgs", { token });
    expect((await use(first)).status).toBe(200);
    expect((await use(first)).status).toBe(200);
    const refused = await use(first);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
    expect(readStatusInfo(refused.body)[0]?.codeMinor).toBe("unauthorisedrequest");
    expect((await use(first)).status).toBe(401);
    const renewed = await sp.provider.token();
    expect((await use(renewed)).status).toBe(200);
    await faults();
    expect((await use(first)).status).toBe(200);
  });

  it("token-expiry by seconds refuses a token once the provider's clock passes its cut-off", async () => {
    await faults("token-expiry:seconds=60");
    const token = await sp.provider.token();
    expect((await sp.api("/orgs", { token })).status).toBe(200);
    sp.provider.deps.clock.advance(61_000);
    expect((await sp.api("/orgs", { token })).status).toBe(401);
    expect((await sp.api("/orgs", { token: await sp.provider.token() })).status).toBe(200);
    await faults();
  });

  it("drop-connection sends the status, the headers and part of the body, then cuts the connection", async () => {
    await faults("drop-connection:every=2,at=0.5");
    const whole = await fetch(`${sp.provider.baseUrl}/users?limit=20`, {
      headers: { authorization: `Bearer ${sp.token}` },
    });
    const full = await whole.text();
    expect(whole.status).toBe(200);
    const cut = await fetch(`${sp.provider.baseUrl}/users?limit=20`, {
      headers: { authorization: `Bearer ${sp.token}` },
    });
    expect(cut.status).toBe(200);
    expect(Number(cut.headers.get("content-length"))).toBe(Buffer.byteLength(full));
    await expect(cut.text()).rejects.toThrow();
    await faults("drop-connection:every=1,at=0");
    const headersOnly = await fetch(`${sp.provider.baseUrl}/orgs`, {
      headers: { authorization: `Bearer ${sp.token}` },
    });
    expect(headersOnly.status).toBe(200);
    await expect(headersOnly.text()).rejects.toThrow();
    await faults();
    expect((await sp.api("/orgs")).status).toBe(200);
  });

  it("data-churn inserts and tombstones records ahead of the cursor between page reads, with fresh dateLastModified", async () => {
    sp.provider.deps.clock.advance(60_000);
    const before = sp.provider.deps.clock.now().toISOString();
    sp.provider.deps.clock.advance(1000);
    await faults("data-churn:collections=courses");
    const first = await sp.api("/courses?limit=3");
    const total = Number(first.headers.get("x-total-count"));
    expect(first.headers.get(APPLIED)).toBeNull(); // the first page of a walk is never churned
    const second = await sp.api("/courses?limit=3&offset=3");
    expect(second.headers.get(APPLIED)).toBe("data-churn");
    expect(Number(second.headers.get("x-total-count"))).toBe(total + 1);
    const third = await sp.api("/courses?limit=3&offset=6");
    // The record that opened page 3 when page 2 was read is now a tombstone, and its copy follows it.
    expect(third.body.courses[0].status).toBe("tobedeleted");
    expect(third.body.courses[1].sourcedId).toBe(`${third.body.courses[0].sourcedId}~churn-1`);
    const delta = await sp.api(`/courses?filter=${enc(`dateLastModified>'${before}'`)}&limit=100`);
    const changed = delta.body.courses.map((c: { sourcedId: string }) => c.sourcedId).sort();
    expect(changed.length).toBe(4); // two reads past the first page, one insert and one tombstone each
    for (const c of delta.body.courses) {
      expect(c.dateLastModified > before).toBe(true);
    }
    await faults();
  });

  it("data-churn behind the cursor shifts records so an offset pager reads one twice", async () => {
    await faults("data-churn:collections=orgs,action=insert,where=behind");
    const page1 = await sp.api("/orgs?limit=2");
    const page2 = await sp.api("/orgs?limit=2&offset=2");
    const ids1 = page1.body.orgs.map((o: { sourcedId: string }) => o.sourcedId);
    const ids2 = page2.body.orgs.map((o: { sourcedId: string }) => o.sourcedId);
    // The copy of the first record landed behind the cursor: everything moved down by one.
    expect(ids2[0]).toBe(ids1[1]);
    await faults();
  });

  it("empty-feed answers every collection with no records and X-Total-Count 0, single reads with 404", async () => {
    const some = await sp.api("/users?limit=1");
    const id = some.body.users[0].sourcedId;
    await faults("empty-feed");
    const users = await sp.api("/users");
    expect(users.status).toBe(200);
    expect(users.body).toEqual({ users: [] });
    expect(users.headers.get("x-total-count")).toBe("0");
    const related = await sp.api(`/classes/${enc("x")}/students`);
    expect(related.body).toEqual({ users: [] });
    expect((await sp.api(`/users/${enc(id)}`)).status).toBe(404);
    await faults("empty-feed:collections=enrollments");
    expect((await sp.api("/users?limit=1")).body.users).toHaveLength(1);
    expect((await sp.api("/enrollments")).body.enrollments).toEqual([]);
    await faults();
  });

  it("switches a preset on for one request with the X-Rosterlab-Fault header, which fires without counting", async () => {
    const one = await sp.api("/orgs", { headers: { "X-Rosterlab-Fault": "server-errors:status=500" } });
    expect(one.status).toBe(500);
    expect(readStatusInfo(one.body)[0]?.codeMinor).toBe("internalservererror");
    const two = await sp.api("/orgs?limit=1", { headers: { "X-Rosterlab-Fault": "latency:ms=5; empty-feed" } });
    expect(two.body).toEqual({ orgs: [] });
    expect(two.headers.get(APPLIED)).toBe("latency, empty-feed");
    expect((await sp.api("/orgs")).status).toBe(200);
    const bad = await sp.api("/orgs", { headers: { "X-Rosterlab-Fault": "latency:speed=9" } });
    expect(bad.status).toBe(400);
    expect(readStatusInfo(bad.body)[0]?.description).toMatch(/unknown parameter speed/);
  });

  it("faults act only on requests the provider would serve: no token is still 401, not a 5xx", async () => {
    await faults("server-errors:every=1");
    expect((await sp.api("/orgs", { token: null })).status).toBe(401);
    await faults();
  });

  it("refuses bad presets and parameters with 400 that says what to change, and switches one preset by name", async () => {
    for (const quirks of [["make-it-fast"], ["server-errors:every=2,burst=3"], [{ name: "latency", ms: "soon" }]]) {
      const res = await admin("/admin/quirks", { method: "PUT", body: { quirks } });
      expect(res.status).toBe(400);
      expect(readStatusInfo(res.body)[0]?.description).toBeTruthy();
    }
    const on = await admin("/admin/quirks/latency", { method: "PUT", body: { ms: 15, duration: 60 } });
    expect(on.status, on.text).toBe(200);
    expect(on.body.spec).toBe("latency:ms=15,duration=60");
    slept.length = 0;
    await sp.api("/orgs");
    expect(slept).toEqual([15]);
    // `duration` switches it off by itself on the provider's clock.
    sp.provider.deps.clock.advance(61_000);
    await sp.api("/orgs");
    expect(slept).toEqual([15]);
    expect((await admin("/admin/quirks/latency", { method: "DELETE" })).status).toBe(204);
    expect((await admin("/admin/quirks/latency", { method: "DELETE" })).status).toBe(404);
    const listing = (await admin("/admin/quirks")).body;
    expect(listing.presets["server-errors"].params).toHaveProperty("every");
    expect(listing.available["no-total-count"]).toBeTruthy();
  });
});

describeEachDb("transport fault presets switched on at start", (kind) => {
  const sp = useSeededProvider(kind, { faults: [parseFaultSpec("server-errors:every=2,burst=1")] });

  it("applies presets given at start (the CLI's --quirk) to every client", async () => {
    const seen = [];
    for (let i = 0; i < 4; i++) {
      seen.push((await sp.api("/orgs")).status);
    }
    expect(seen).toEqual([200, 503, 200, 503]);
  });
});

describe("fault specs", () => {
  it("reads name:key=value,… with lists joined by + and refuses unknown names and parameters", () => {
    expect(parseFaultSpec("latency:ms=100,collections=users+enrollments")).toEqual({
      name: "latency",
      params: { ms: "100", collections: "users+enrollments" },
    });
    expect(() => parseFaultSpec("nope")).toThrow(/unknown fault preset/);
    expect(() => parseFaultSpec("rate-limit:retryAfter=-1")).toThrow(/retryAfter/);
    expect(() => parseFaultSpec("token-expiry:uses=1,seconds=2")).toThrow(/not both/);
    expect(() => parseFaultSpec("no-total-count:every=2")).toThrow(/unknown parameter every/);
  });
});
