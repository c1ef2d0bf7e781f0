// Postgres plans the batched read statements once: after its five custom plans, a prepared single-record statement
// (`sourcedId = any(…)` over a batch of ids) and a list statement run for many sets (runDirectMany) switch to a generic
// plan, whatever the batch size. With the batch as a text[] parameter they never did (the planner costs a generic
// plan at ten elements and a custom one at the batch's size), and every read was planned again. Postgres only: PGlite
// runs every statement unnamed and plans it each time.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type DbHandle, directStatement, openDb, runDirect, runDirectMany } from "../../server/db/client.js";
import * as t from "../../server/db/schema.js";
import { recordJsonSql } from "../../server/present/json-sql.js";
import { getRecordJson } from "../../server/repo/records.js";
import { useTestDb } from "../support/db.js";
import { describeWithPostgres } from "../support/each-db.js";

const BASE = "http://rosterlab.test/ims/oneroster/v1p1";
const IDS = Array.from({ length: 12 }, (_, i) => `usr-${String(i).padStart(3, "0")}`);

describeWithPostgres("prepared batch statements get a generic plan", () => {
  const testDb = useTestDb("postgres");
  /** One connection, so the plan counts read from pg_prepared_statements are those of the statements run here. */
  let one: DbHandle;

  beforeAll(async () => {
    const url = testDb.current.url;
    if (!url) {
      throw new Error("the Postgres test database has no URL");
    }
    await testDb.current.db.insert(t.users).values(
      IDS.map((sourcedId, i) => ({
        sourcedId,
        status: "active" as const,
        dateLastModified: new Date("2026-09-15T12:00:00.123Z"),
        username: sourcedId,
        enabledUser: true,
        givenName: "G",
        familyName: "F",
        role: i % 3 === 0 ? ("teacher" as const) : ("student" as const),
        orgIds: ["org-1"],
      })),
    );
    one = await openDb(url, { max: 1 });
  });
  afterAll(async () => {
    await one?.close();
  });

  /** Generic and custom plans so far of the prepared statements whose text includes `marker`. */
  async function plans(marker: string): Promise<{ generic: number; custom: number }> {
    const rows = await runDirect(
      one.db,
      directStatement(
        sql`select generic_plans, custom_plans from pg_prepared_statements where strpos(statement, ${sql.placeholder("m")}) > 0 and statement not like '%pg_prepared_statements%'`,
      ),
      { m: marker },
    );
    expect(rows).toHaveLength(1);
    const [generic, custom] = rows[0] as [string | number, string | number];
    return { generic: Number(generic), custom: Number(custom) };
  }

  it("single-record reads: one id or a few per batch, planned generic from the sixth run on", async () => {
    const json = recordJsonSql("user", BASE, undefined, "json");
    const read = (id: string) => getRecordJson(one.db, "user", id, undefined, false, json);
    for (let run = 0; run < 8; run++) {
      // Alternately one read and three in one turn: batches of 1 and 3, below the generic plan's estimate of 10.
      const ids = run % 2 === 0 ? [IDS[run] as string] : IDS.slice(run, run + 3);
      const found = await Promise.all(ids.map(read));
      expect(found.every((j) => typeof j === "string" && j.includes(`"sourcedId":`))).toBe(true);
    }
    expect(await read("usr-missing")).toBeNull();
    const counted = await plans("jsonb_array_elements_text");
    expect(counted.custom).toBeLessThanOrEqual(5);
    expect(counted.generic).toBeGreaterThanOrEqual(4);
  });

  it("list reads run for many sets: a batch of one or two, planned generic from the sixth run on", async () => {
    const statement = directStatement(
      sql`select sourced_id from provider.users where role = ${sql.placeholder("role")} and sourced_id > ${sql.placeholder("after")} order by sourced_id limit ${sql.placeholder("limit")}::int8`,
    );
    for (let run = 0; run < 8; run++) {
      const sets = [{ role: "student", after: "", limit: 2 }];
      if (run % 2 === 1) {
        sets.push({ role: "teacher", after: "usr-000", limit: 10 });
      }
      const got = await runDirectMany(one.db, statement, sets);
      expect(got[0]).toEqual([["usr-001"], ["usr-002"]]);
      if (run % 2 === 1) {
        expect(got[1]).toEqual([["usr-003"], ["usr-006"], ["usr-009"]]);
      }
    }
    const counted = await plans("jsonb_to_recordset");
    expect(counted.custom).toBeLessThanOrEqual(5);
    expect(counted.generic).toBeGreaterThanOrEqual(3);
  });
});
