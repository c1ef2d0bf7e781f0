// The admin surface: its own bearer credential (never an OAuth token), quirk presets switched at run time and
// shared through the database, and the district clock advanced over HTTP with a delta that sees exactly its changes.
import { describe, expect, it } from "vitest";
import { readStatusInfo } from "../../oneroster/index.js";
import { createDistrictClock } from "../../seed/index.js";
import { openTestDb } from "../support/db.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";
import { startProvider } from "../support/server.js";

const ADMIN = "admin-credential-for-tests-0123";
const enc = encodeURIComponent;

describeEachDb("admin API", (kind) => {
  const sp = useSeededProvider(kind, { config: { adminToken: ADMIN }, withDistrictClock: true });
  const admin = (path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) =>
    sp.api(`${sp.provider.origin}${path}`, { ...init, token: init.token === undefined ? ADMIN : init.token });

  it("needs the admin credential: none, a wrong one and an OAuth access token are all 401", async () => {
    for (const token of [null, "wrong", sp.token]) {
      const res = await admin("/admin/quirks", { token });
      expect(res.status).toBe(401);
      expect(readStatusInfo(res.body)[0]?.codeMinor).toBe("unauthorisedrequest");
    }
    expect((await admin("/admin/quirks")).status).toBe(200);
  });

  it("switches quirks on and off at run time, and refuses unknown ones", async () => {
    expect((await sp.api("/orgs")).headers.get("x-total-count")).not.toBeNull();
    const on = await admin("/admin/quirks", { method: "PUT", body: { quirks: ["no-total-count"] } });
    expect(on.body.active).toEqual(["no-total-count"]);
    expect((await sp.api("/orgs")).headers.get("x-total-count")).toBeNull();
    await admin("/admin/quirks", { method: "PUT", body: { quirks: [] } });
    expect((await sp.api("/orgs")).headers.get("x-total-count")).not.toBeNull();
    const bad = await admin("/admin/quirks", { method: "PUT", body: { quirks: ["make-it-fast"] } });
    expect(bad.status).toBe(400);
    expect(readStatusInfo(bad.body)[0]?.description).toMatch(/make-it-fast/);
    expect((await admin("/admin/quirks", { method: "PUT", body: "{" })).status).toBe(400);
  });

  it("advances the district: a delta since the moment before returns exactly the changed records, tombstones included", async () => {
    const before = sp.provider.deps.clock.now().toISOString();
    // Read twice: the page cache keeps a page from the second time it is asked for.
    await sp.api("/enrollments?limit=10000");
    const cachedBefore = await sp.api("/enrollments?limit=10000");
    sp.provider.deps.clock.advance(60_000);
    const res = await admin("/admin/clock/advance", { method: "POST", body: { days: 5 } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.days).toBe(5);
    const changed = res.body.changed as Record<string, number>;
    expect(changed.enrollments).toBeGreaterThan(0);
    const delta = await sp.api(`/enrollments?filter=${enc(`dateLastModified>'${before}'`)}&limit=10000`);
    expect(delta.body.enrollments).toHaveLength(changed.enrollments ?? -1);
    for (const e of delta.body.enrollments) {
      expect(e.dateLastModified > before).toBe(true);
    }
    const users = await sp.api(`/users?filter=${enc(`dateLastModified>'${before}'`)}&limit=10000`);
    expect(users.body.users).toHaveLength(changed.users ?? -1);
    const all = await sp.api("/enrollments?limit=10000");
    expect(all.text).not.toBe(cachedBefore.text); // the cached page was dropped
    if ((res.body.events.withdrawals ?? 0) > 0) {
      expect(delta.body.enrollments.some((e: { status: string }) => e.status === "tobedeleted")).toBe(true);
    }
    const status = await admin("/admin/clock");
    expect(status.status).toBe(200);
  });

  it("answers a bad advance body with 400", async () => {
    for (const body of [{ days: 0 }, { days: "5" }, {}, { days: 5, churnRate: 2 }]) {
      expect((await admin("/admin/clock/advance", { method: "POST", body })).status).toBe(400);
    }
  });
});

describe("admin API without a credential or a clock", () => {
  it("is disabled (403) without a credential, 404s a missing clock, and 409s advancing an empty district", async () => {
    const db = await openTestDb("pglite");
    const off = await startProvider(db.handle);
    const on = await startProvider(db.handle, { config: { adminToken: ADMIN } });
    const unseeded = await startProvider(db.handle, {
      config: { adminToken: ADMIN },
      districtClock: createDistrictClock(db.handle),
    });
    try {
      const disabled = await fetch(`${off.origin}/admin/quirks`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(disabled.status).toBe(403);
      const noClock = await fetch(`${on.origin}/admin/clock/advance`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}` },
        body: '{"days":1}',
      });
      expect(noClock.status).toBe(404);
      const empty = await fetch(`${unseeded.origin}/admin/clock/advance`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}` },
        body: '{"days":1}',
      });
      expect(empty.status).toBe(409);
      expect(readStatusInfo(await empty.json())[0]?.description).toBeTruthy();
    } finally {
      await unseeded.close();
      await off.close();
      await on.close();
      await db.close();
    }
  });
});
