// The SQL presenter (server/present/json-sql.ts) against the rule it twins (present/record.ts): for every entity of
// a seeded district plus rows with awkward values (ids that need percent-encoding, empty strings and arrays, nested or
// numeric metadata, tiny and huge scores), its text equals JSON.stringify(presentRecord(row)) byte for byte, or it
// says it cannot (`exact` false) and the reads present that page in Node.
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { ENTITIES, type EntityName } from "../../oneroster/index.js";
import { seedDatabase } from "../../seed/index.js";
import * as t from "../../server/db/schema.js";
import { recordJsonSql } from "../../server/present/json-sql.js";
import { type BooleanForm, presentRecord } from "../../server/present/record.js";
import { ENTITY_TABLES } from "../../server/repo/tables.js";
import { useTestDb } from "../support/db.js";
import { describeEachDb } from "../support/each-db.js";

const BASE = "http://rosterlab.test/ims/oneroster/v1p1";
const stamp = new Date("2026-09-15T12:00:00.123Z");

describeEachDb("records presented by Postgres", (kind) => {
  const tdb = useTestDb(kind, { resetBeforeEach: true });

  async function compare(entity: EntityName, booleans: BooleanForm, fields?: string[]) {
    const { db } = tdb.current.handle;
    const table = ENTITY_TABLES[entity];
    const json = recordJsonSql(entity, BASE, fields, booleans);
    const rows = (await db.select(table.columns).from(table.table)) as Record<string, unknown>[];
    const texts = await db
      .select({ id: sql<string>`${table.id}`, j: sql<string>`${json.json}`, x: sql<boolean>`${json.exact}` })
      .from(table.table);
    const byId = new Map(texts.map((r) => [r.id, r]));
    const inexact: string[] = [];
    for (const row of rows) {
      const got = byId.get(row.sourcedId as string);
      if (!got?.x) {
        inexact.push(row.sourcedId as string);
        continue;
      }
      expect(got.j, `${entity} ${row.sourcedId}`).toBe(
        JSON.stringify(presentRecord(entity, row, BASE, fields, booleans)),
      );
    }
    return { rows: rows.length, inexact };
  }

  it("writes every entity of a seeded district exactly as presentRecord does, in both boolean forms", async () => {
    await seedDatabase(tdb.current.handle, { seed: 3, size: "tiny", fingerprint: false });
    for (const entity of Object.keys(ENTITIES) as EntityName[]) {
      for (const booleans of ["json", "string"] as const) {
        const { rows, inexact } = await compare(entity, booleans);
        expect(inexact, entity).toEqual([]);
        if (!["category", "lineItem", "result", "resource"].includes(entity)) {
          expect(rows, entity).toBeGreaterThan(0);
        }
      }
    }
  });

  it("keeps the requested fields in the order asked, once each", async () => {
    await seedDatabase(tdb.current.handle, { seed: 3, size: "tiny", fingerprint: false });
    const { inexact } = await compare("user", "json", ["orgs", "sourcedId", "givenName", "orgs", "nope"]);
    expect(inexact).toEqual([]);
  });

  it("writes awkward text exactly, leaves out empty values, and hands back what it cannot write exactly", async () => {
    const { db } = tdb.current.handle;
    const user = {
      status: "active",
      dateLastModified: stamp,
      username: "u",
      enabledUser: true,
      givenName: 'Zoë "Q" \\ \n\t\u0001',
      familyName: "O'Neil",
      role: "student",
      // Every character encodeURIComponent leaves alone: such ids need no encoding in hrefs.
      orgIds: ["org-1", "Org_2.(x)~'*!"],
    };
    // Text that looks like jsonb's separators (`, ` and `: `) or its literals, inside strings and keys.
    const tricky = { 'k", "x': 'a", "b": "c', t: "true, false", e: "\\", q: ": ", u: 'ü\u2028"', n: null, f: false };
    await db.insert(t.users).values([
      { ...user, sourcedId: "usr ü/'#?&=%", middleName: "", agentIds: [], grades: [], userIds: [] },
      { ...user, sourcedId: "usr-flat", metadata: { k: "v", flag: false, none: null }, grades: ["09", ""] },
      { ...user, sourcedId: "usr-ids", userIds: [{ type: "SIS", identifier: 'x", "y' }], agentIds: ["usr-flat"] },
      { ...user, sourcedId: "usr-tricky", metadata: tricky, userIds: ["plain, text", { "a: ": ", b" }] as never },
      { ...user, sourcedId: "usr-last-string", metadata: { z: 'end", ' } },
      { ...user, sourcedId: "usr-empty-object", metadata: {} },
      // What SQL leaves to Node: numbers and nesting in json fields, ids in references that need percent-encoding.
      { ...user, sourcedId: "usr-nested", metadata: { deep: { a: 1 } } },
      { ...user, sourcedId: "usr-number", metadata: { n: 1.5 } },
      { ...user, sourcedId: "usr-array-number", userIds: [{ type: "SIS", identifier: "1" }, 2] as never },
      { ...user, sourcedId: "usr-scalar", metadata: "text" as never },
      { ...user, sourcedId: "usr-unsafe-org", orgIds: ["org 1/ü", "org#2"] },
      { ...user, sourcedId: "usr-unsafe-agent", agentIds: ["usr ü/'#?&=%"] },
    ]);
    const { inexact } = await compare("user", "json");
    expect(inexact.sort()).toEqual([
      "usr-array-number",
      "usr-nested",
      "usr-number",
      "usr-scalar",
      "usr-unsafe-agent",
      "usr-unsafe-org",
    ]);

    await db.insert(t.enrollments).values({
      sourcedId: "enr-unsafe-class",
      status: "active",
      dateLastModified: stamp,
      userId: "usr-flat",
      classId: "cls 1",
      schoolId: "org-1",
      role: "student",
    });
    expect((await compare("enrollment", "json")).inexact).toEqual(["enr-unsafe-class"]);

    const result = {
      status: "active",
      dateLastModified: stamp,
      lineItemId: "li-1",
      studentId: "usr-flat",
      scoreStatus: "fully graded",
      scoreDate: "2026-09-14",
    };
    await db.insert(t.results).values([
      { ...result, sourcedId: "r-plain", score: 87.25, comment: "" },
      { ...result, sourcedId: "r-zero", score: 0 },
      { ...result, sourcedId: "r-negative", score: -0.5 },
      { ...result, sourcedId: "r-third", score: 1 / 3 },
      { ...result, sourcedId: "r-big", score: 123456789012345 },
      { ...result, sourcedId: "r-tiny", score: 1e-7 },
      { ...result, sourcedId: "r-huge", score: 1e21 },
    ]);
    const scored = await compare("result", "json");
    expect(scored.inexact.sort()).toEqual(["r-huge", "r-tiny"]);
  });
});
