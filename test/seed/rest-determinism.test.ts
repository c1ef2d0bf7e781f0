// Determinism as a consumer sees it: two providers over districts seeded with the same inputs serve identical
// REST bodies for every collection; a provider over another seed does not.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDatabase } from "../../seed/seed-database.js";
import { openTestDb, type TestDb } from "../support/db.js";
import { createTestClock, startProvider, type TestProvider } from "../support/server.js";

const COLLECTIONS = [
  "orgs",
  "academicSessions",
  "courses",
  "classes",
  "users",
  "enrollments",
  "demographics",
  "resources",
  "categories",
  "lineItems",
  "results",
];

interface Served {
  db: TestDb;
  provider: TestProvider;
  token: string;
}

async function serve(seed: number): Promise<Served> {
  const db = await openTestDb("pglite");
  await seedDatabase(db.handle, { seed, size: "tiny", fingerprint: false });
  const provider = await startProvider(db.handle, { clock: createTestClock("2026-09-16T08:00:00.000Z") });
  return { db, provider, token: await provider.token() };
}

/** Every collection's body, with the provider's own origin replaced so two ports compare equal. */
async function bodies(s: Served): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const origin = new URL(s.provider.baseUrl).origin;
  for (const c of COLLECTIONS) {
    const res = await fetch(`${s.provider.baseUrl}/${c}?limit=10000`, {
      headers: { authorization: `Bearer ${s.token}` },
    });
    expect(res.status, c).toBe(200);
    out[c] = (await res.text()).split(origin).join("<origin>");
  }
  return out;
}

describe("REST bodies of seeded districts", () => {
  const served: Served[] = [];
  beforeAll(async () => {
    for (const seed of [1, 1, 2]) {
      served.push(await serve(seed));
    }
  });
  afterAll(async () => {
    for (const s of served) {
      await s.provider.close();
      await s.db.close();
    }
  });

  it("are byte for byte the same for two providers seeded with the same inputs", async () => {
    const [a, b] = served;
    if (!a || !b) {
      throw new Error("providers did not start");
    }
    const one = await bodies(a);
    const two = await bodies(b);
    for (const c of COLLECTIONS) {
      expect(two[c], c).toBe(one[c]);
    }
  });

  it("differ for a provider seeded with another seed", async () => {
    const [a, , c] = served;
    if (!a || !c) {
      throw new Error("providers did not start");
    }
    const one = await bodies(a);
    const other = await bodies(c);
    expect(other.users).not.toBe(one.users);
    expect(other.orgs).not.toBe(one.orgs);
  });
});
