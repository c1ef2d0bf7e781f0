// The consumer against each of the provider's transport fault presets (server/faults/transport.ts), switched on
// provider-wide through the admin API as an integration team would: every run converges to the provider's data,
// or — for an empty feed — changes nothing. Retries use the injected sleep, so no test waits for real time.
import { afterEach, describe, expect, it } from "vitest";
import { openSyncHarness, type SyncHarness } from "../support/sync-harness.js";

let h: SyncHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Active provider records per collection, the LMS's active records per collection. */
async function activeCounts(harness: SyncHarness) {
  const provider = {
    classes: (await harness.providerRecords("/classes", "classes")).filter((r) => r.status === "active").length,
    enrollments: (await harness.providerRecords("/enrollments", "enrollments")).filter((r) => r.status === "active")
      .length,
  };
  const lms = await harness.exportLms();
  return {
    provider,
    lms: {
      classes: lms.classes.filter((r) => r.status === "active").length,
      enrollments: lms.enrollments.length,
    },
  };
}

describe("every transport fault preset", () => {
  it.each([
    ["server-errors:every=4,burst=2"],
    ["server-errors:status=502,every=3,burst=1"],
    ["rate-limit:retryAfter=2,every=5,burst=2"],
    ["rate-limit-no-retry-after:every=4,burst=1"],
    ["token-expiry:uses=7"],
    ["drop-connection:every=4,burst=1"],
    ["latency:ms=20"],
  ])("a full run survives %s and mirrors the provider", async (preset) => {
    h = await openSyncHarness("pglite");
    const waits: number[] = [];
    await h.quirks([preset]);
    const r = await h.sync({
      client: { sleep: async (ms) => void waits.push(ms), minRetryDelayMs: 1, maxRetryDelayMs: 5 },
    });
    expect(r.status).toMatch(/^completed/);
    await h.quirks([]);
    const { provider, lms } = await activeCounts(h);
    expect(lms.classes).toBe(provider.classes);
    if (preset.startsWith("rate-limit:")) {
      expect(waits).toContain(2000); // Retry-After: 2 honoured
    }
    if (!preset.startsWith("latency") && !preset.startsWith("token-expiry")) {
      expect(waits.length).toBeGreaterThan(0);
    }
  });

  it("data changing while the engine pages: the run still converges, and a full run does not delete what moved", async () => {
    h = await openSyncHarness("pglite", {
      settings: { fetch: { pageSize: 30, concurrency: 1, timeoutMs: 30_000, retries: 3, overlapSeconds: 120 } },
    });
    await h.sync();
    await h.quirks(["data-churn:collections=users+enrollments"]);
    const r = await h.sync({ full: true });
    expect(r.status).toMatch(/^completed/);
    expect(r.warnings.join("\n")).toMatch(/changed while it was read|moved from/);
    await h.quirks([]);
    // The next delta picks up what changed during the churned read.
    const after = await h.sync();
    expect(after.status).toMatch(/^completed/);
    const { provider, lms } = await activeCounts(h);
    expect(lms.classes).toBe(provider.classes);
  });

  it("an empty feed changes nothing, full or delta", async () => {
    h = await openSyncHarness("pglite");
    await h.sync();
    const before = await h.exportLms();
    await h.quirks(["empty-feed"]);
    const full = await h.sync({ full: true });
    expect(full.counts?.byGroup).toEqual({
      persons: { insert: 0, update: 0, delete: 0 },
      groups: { insert: 0, update: 0, delete: 0 },
      memberships: { insert: 0, update: 0, delete: 0 },
    });
    await h.sync();
    expect(await h.exportLms()).toEqual(before);
  });
});
