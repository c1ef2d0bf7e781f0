// The transport fault presets are survivable: the shared client kit (oneroster/client) walks a whole collection
// through each of them and ends with exactly the records of a walk without faults, while the provider's counters
// show the faults really fired. A consumer's own tests can follow the same pattern.
import { expect, it } from "vitest";
import { OneRosterClient } from "../../oneroster/client/index.js";
import { describePrimaryDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

const ADMIN = "admin-credential-for-tests-0123";

describePrimaryDb("a careful client survives every transport fault preset", (kind) => {
  const sp = useSeededProvider(kind, { config: { adminToken: ADMIN }, sleep: async () => {} });
  const waits: number[] = [];
  const client = () =>
    new OneRosterClient({
      baseUrl: sp.provider.baseUrl,
      tokenUrl: sp.provider.tokenUrl,
      clientId: sp.provider.clientId,
      clientSecret: sp.provider.clientSecret,
      minRetryDelayMs: 1,
      maxRetryDelayMs: 5,
      retries: 6,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
  const walk = async (c: OneRosterClient) => {
    const ids: string[] = [];
    for await (const page of c.pages({ path: "/users", envelope: "users", pageSize: 15 })) {
      ids.push(...page.records.map((r) => (r as { sourcedId: string }).sourcedId));
    }
    return ids;
  };
  const faults = async (quirks: string[]) => {
    const res = await fetch(`${sp.provider.origin}/admin/quirks`, {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ quirks }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { counters: { name: string; n: number }[] };
  };

  it.each([
    "latency:ms=20",
    "server-errors:every=4,burst=2",
    "rate-limit:every=3,burst=1,retryAfter=2",
    "rate-limit-no-retry-after:every=3,burst=2",
    "token-expiry:uses=3",
    "drop-connection:every=3,at=0.3",
  ])("walks /users to the end under %s", async (preset) => {
    await faults([]);
    const expected = await walk(client());
    await faults([preset]);
    waits.length = 0;
    const c = client();
    const ids = await walk(c);
    const state = await fetch(`${sp.provider.origin}/admin/quirks`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const { counters } = (await state.json()) as { counters: { name: string; n: number }[] };
    expect(ids).toEqual(expected);
    if (preset.startsWith("rate-limit:")) {
      expect(waits.filter((w) => w === 2000).length).toBeGreaterThan(0);
    }
    if (preset.startsWith("token-expiry")) {
      expect(c.tokenCount).toBeGreaterThan(1);
    } else if (!preset.startsWith("latency")) {
      expect(c.retryCount).toBeGreaterThan(0);
    }
    expect(counters.find((k) => k.name === preset.split(":")[0])?.n).toBeGreaterThan(2);
    await faults([]);
  });
});
