// The test database support itself: openTestDb gives migrated, isolated databases on each backend, and reset()
// empties every provider table named in the drizzle schema.
import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { afterEach, describe, expect, it } from "vitest";
import * as providerSchema from "../../server/db/schema.js";
import { openTestDb, qualifiedTableNames, type TestDb } from "./db.js";
import { describeEachDb } from "./each-db.js";

describe("qualifiedTableNames", () => {
  it("lists every drizzle table of the provider schema, schema-qualified", () => {
    const names = qualifiedTableNames(providerSchema);
    const tableCount = Object.values(providerSchema).filter((v) => is(v, PgTable)).length;
    expect(names).toHaveLength(tableCount);
    expect(names).toContain('"provider"."oauth_clients"');
    expect(names).toContain(`"provider"."${getTableName(providerSchema.signingKeys)}"`);
  });
});

describeEachDb("openTestDb", (kind) => {
  const opened: TestDb[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((d) => d.close()));
  });
  const open = async () => {
    const d = await openTestDb(kind);
    opened.push(d);
    return d;
  };
  const addClient = (d: TestDb, clientId: string) =>
    d.db.insert(providerSchema.oauthClients).values({ clientId, name: "n", secretHash: "h", scopes: [] });

  it("opens a migrated database whose provider tables start empty", async () => {
    const d = await open();
    expect(d.handle.driver).toBe(kind);
    await expect(d.db.select().from(providerSchema.oauthClients)).resolves.toEqual([]);
  });

  it("keeps two open databases apart", async () => {
    const a = await open();
    const b = await open();
    await addClient(a, "only-in-a");
    await expect(a.db.select().from(providerSchema.oauthClients)).resolves.toHaveLength(1);
    await expect(b.db.select().from(providerSchema.oauthClients)).resolves.toHaveLength(0);
  });

  it("empties every table on reset and restarts identities", async () => {
    const d = await open();
    await addClient(d, "c1");
    const row = { at: new Date(), requestId: "r", method: "GET", path: "/x", status: 200, durationMs: 1 };
    const [first] = await d.db.insert(providerSchema.requestLog).values(row).returning();
    await d.reset();
    await expect(d.db.select().from(providerSchema.oauthClients)).resolves.toEqual([]);
    const [again] = await d.db.insert(providerSchema.requestLog).values(row).returning();
    expect(again?.id).toBe(first?.id);
  });
});
