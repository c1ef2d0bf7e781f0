// Filter, sort and paging → SQL on every backend (house-style §2.5): the same cases on PGlite and Postgres.
import { beforeAll, expect, it } from "vitest";
import { lineItemEntity, userEntity } from "../../oneroster/index.js";
import * as t from "../../server/db/schema.js";
import { recordJsonSql } from "../../server/present/json-sql.js";
import { parseCollectionQuery } from "../../server/query/parse.js";
import { filterPlaceholderValues, placeholderBinder, whereToSql } from "../../server/query/to-sql.js";
import { listReadBatching, listRecords, listRecordsJson, type Row } from "../../server/repo/records.js";
import { ENTITY_TABLES } from "../../server/repo/tables.js";
import { useTestDb } from "../support/db.js";
import { describeEachDb } from "../support/each-db.js";

const at = (iso: string) => new Date(iso);

describeEachDb("filters, sorting and paging in SQL", (kind) => {
  const tdb = useTestDb(kind);

  beforeAll(async () => {
    const db = tdb.current.db;
    const user = (id: string, extra: Partial<typeof t.users.$inferInsert>) => ({
      sourcedId: id,
      username: id,
      enabledUser: true,
      givenName: "G",
      familyName: "F",
      role: "student",
      orgIds: ["s1"],
      dateLastModified: at("2026-01-01T00:00:00.000Z"),
      ...extra,
    });
    await db.insert(t.users).values([
      user("u1", {
        givenName: "Mary Ann",
        familyName: "O'Brien",
        grades: ["09"],
        dateLastModified: at("2026-01-01T00:00:00.000Z"),
      }),
      user("u2", {
        givenName: "Åse",
        familyName: "Ødegård",
        grades: ["10"],
        dateLastModified: at("2026-01-01T00:00:00.001Z"),
      }),
      user("u3", {
        givenName: "Tom",
        familyName: "anderson",
        role: "teacher",
        orgIds: ["s1", "s2"],
        email: "tom@x.test",
        dateLastModified: at("2026-02-01T12:00:00.000Z"),
      }),
      user("u4", {
        givenName: "Zoë",
        familyName: "Zed",
        enabledUser: false,
        middleName: "Q",
        status: "tobedeleted",
        orgIds: ["s2"],
        userIds: [{ type: "LDAP", identifier: "zz-9" }],
        dateLastModified: at("2026-03-01T00:00:00.000Z"),
      }),
      user("u10", {
        givenName: "Ann",
        familyName: "Brown",
        agentIds: ["u3"],
        dateLastModified: at("2026-03-01T00:00:00.000Z"),
      }),
    ]);
    await db.insert(t.lineItems).values([
      {
        sourcedId: "li1",
        title: "Quiz",
        assignDate: at("2026-01-01T00:00:00Z"),
        dueDate: at("2026-01-05T00:00:00Z"),
        classId: "k1",
        resultValueMin: 0,
        resultValueMax: 10,
        dateLastModified: at("2026-01-01T00:00:00Z"),
      },
      {
        sourcedId: "li2",
        title: "Test",
        assignDate: at("2026-01-01T00:00:00Z"),
        dueDate: at("2026-02-05T00:00:00Z"),
        classId: "k1",
        resultValueMin: 0,
        resultValueMax: 100,
        dateLastModified: at("2026-01-01T00:00:00Z"),
      },
      {
        sourcedId: "li3",
        title: "Gone",
        assignDate: at("2026-01-01T00:00:00Z"),
        dueDate: at("2026-02-05T00:00:00Z"),
        classId: "k1",
        resultValueMin: 0,
        resultValueMax: 50,
        status: "tobedeleted",
        deleted: true,
        dateLastModified: at("2026-04-01T00:00:00Z"),
      },
    ]);
  });

  type Entity = typeof userEntity | typeof lineItemEntity;
  const specOf = (q: Record<string, string>, entity: Entity) =>
    parseCollectionQuery((n) => q[n], entity, { limitCap: 10000, quirks: new Set() });

  /** Record SQL built once per entity, as the routes keep it: statements are found again by it. */
  const jsonSql = {
    user: recordJsonSql("user", "http://rosterlab.test/ims/oneroster/v1p1", ["sourcedId"], "json"),
    lineItem: recordJsonSql("lineItem", "http://rosterlab.test/ims/oneroster/v1p1", ["sourcedId"], "json"),
  };

  /** The ids and total of a read on the path served to clients: one statement, records as JSON text. */
  async function jsonIds(q: Record<string, string>, entity: Entity = userEntity) {
    const page = await listRecordsJson(tdb.current.db, entity.name, specOf(q, entity), {
      hideTombstones: false,
      json: entity === userEntity ? jsonSql.user : jsonSql.lineItem,
      countTotal: true,
      shape: { key: "test", scope: [], parents: [], values: {} },
      parents: [],
    });
    const records = JSON.parse(`[${page?.records ?? ""}]`) as { sourcedId: string }[];
    return { ids: records.map((r) => r.sourcedId), total: page?.total };
  }

  /** The ids and total of a read through drizzle, checked against the same read on the JSON path. */
  async function ids(
    q: Record<string, string>,
    entity: Entity = userEntity,
  ): Promise<{ ids: string[]; total: number }> {
    const { rows, total } = await listRecords(tdb.current.db, entity.name, specOf(q, entity), {
      scope: [],
      hideTombstones: false,
      pageLocalSort: false,
    });
    const result = { ids: rows.map((r: Row) => String(r.sourcedId)), total };
    expect(await jsonIds(q, entity), JSON.stringify(q)).toEqual(result);
    return result;
  }

  it.each([
    ["givenName='Mary Ann'", ["u1"]],
    ["familyName='O'Brien'", ["u1"]],
    ["familyName!='O'Brien'", ["u10", "u2", "u3", "u4"]],
    ["familyName~'OBRI'", []],
    ["familyName~'bri'", ["u1"]],
    ["givenName~'%'", []],
    ["givenName~'_'", []],
    ["familyName='Ødegård'", ["u2"]],
    ["middleName!='Q'", ["u1", "u10", "u2", "u3"]],
    ["role='teacher' OR role='guardian'", ["u3"]],
    ["role='student' AND enabledUser='true'", ["u1", "u10", "u2"]],
    ["enabledUser!='true'", ["u4"]],
    ["status='tobedeleted'", ["u4"]],
    ["orgs.sourcedId='s2'", ["u3", "u4"]],
    ["orgs='s2'", ["u3", "u4"]],
    ["orgs.sourcedId!='s1'", ["u4"]],
    ["agents.sourcedId='u3'", ["u10"]],
    ["grades='10'", ["u2"]],
    ["userIds.identifier='zz-9'", ["u4"]],
    ["userIds.type~'ld'", ["u4"]],
    ["email~'@X.TEST'", ["u3"]],
    ["sourcedId>'u2'", ["u3", "u4"]],
    ["sourcedId<='u10'", ["u1", "u10"]],
  ])("filter %s selects %j", async (filter, expected) => {
    expect((await ids({ filter })).ids).toEqual(expected);
  });

  it.each([
    ["dateLastModified>'2026-01-01T00:00:00.000Z'", ["u10", "u2", "u3", "u4"]],
    ["dateLastModified>'2026-01-01T00:00:00Z'", ["u10", "u2", "u3", "u4"]],
    ["dateLastModified>='2026-01-01'", ["u1", "u10", "u2", "u3", "u4"]],
    ["dateLastModified='2026-01-01T00:00:00.001Z'", ["u2"]],
    ["dateLastModified<'2026-02-01T13:00:00+01:00'", ["u1", "u2"]],
    ["dateLastModified<='2026-02-01T13:00:00+01:00'", ["u1", "u2", "u3"]],
    ["dateLastModified>'2026-02-01'", ["u10", "u3", "u4"]],
  ])("compares dateLastModified as a timestamp, millisecond-exact: %s", async (filter, expected) => {
    expect((await ids({ filter })).ids).toEqual(expected);
  });

  it("counts after filtering, not the page", async () => {
    const r = await ids({ filter: "role='student'", limit: "1" });
    expect(r.ids).toEqual(["u1"]);
    expect(r.total).toBe(4);
  });

  it("orders by sourcedId code point by default, so offsets tile the collection", async () => {
    const all = (await ids({})).ids;
    expect(all).toEqual(["u1", "u10", "u2", "u3", "u4"]);
    const pages: string[] = [];
    for (let offset = 0; offset < 5; offset += 2) {
      pages.push(...(await ids({ limit: "2", offset: String(offset) })).ids);
    }
    expect(pages).toEqual(all);
  });

  it("sorts by a field before paging, code point order, desc the exact reverse of asc", async () => {
    const asc = (await ids({ sort: "familyName" })).ids;
    // Code points: Brown (B) < O'Brien (O) < Zed (Z) < anderson (a) < Ødegård (Ø).
    expect(asc).toEqual(["u10", "u1", "u4", "u3", "u2"]);
    const desc = (await ids({ sort: "familyName", orderBy: "desc" })).ids;
    expect(desc).toEqual([...asc].reverse());
    const paged = [
      ...(await ids({ sort: "familyName", orderBy: "desc", limit: "3" })).ids,
      ...(await ids({ sort: "familyName", orderBy: "desc", limit: "3", offset: "3" })).ids,
    ];
    expect(paged).toEqual(desc);
  });

  it("sorts nullable fields with nulls last ascending", async () => {
    expect((await ids({ sort: "email" })).ids[0]).toBe("u3");
  });

  it("gives each of the reads started in one turn its own page, one statement per filter shape", async () => {
    // Seven shapes: four filters read twice with other values, limits or offsets.
    const queries: Record<string, string>[] = [
      { filter: "givenName='Mary Ann'" },
      { filter: "givenName='Nobody'" },
      { filter: "givenName='Tom'" },
      { filter: "familyName~'bri'", limit: "1" },
      { filter: "familyName~'d'", offset: "1" },
      { filter: "dateLastModified>'2026-01-01'" },
      { filter: "dateLastModified>'2026-02-01T13:00:00+01:00'" },
      { filter: "enabledUser='false'" },
      { filter: "enabledUser='true'", limit: "2", offset: "1" },
      { filter: "orgs.sourcedId='s2'" },
      { filter: "userIds.type~'ld'" },
      { limit: "2", offset: "3" },
      {},
    ];
    const alone = [];
    for (const q of queries) {
      alone.push(await jsonIds(q));
    }
    const before = { ...listReadBatching };
    expect(await Promise.all(queries.map((q) => jsonIds(q)))).toEqual(alone);
    expect(listReadBatching.reads - before.reads).toBe(queries.length);
    expect(listReadBatching.statements - before.statements).toBe(7);
    expect(alone.map((r) => r.ids.length)).toContain(0);
  });

  it("collects a built statement's values without building it, as its placeholders were bound", () => {
    const filters = [
      "givenName='Mary Ann' AND familyName~'b_%'",
      "orgs.sourcedId!='s1' OR grades~'1'",
      "userIds.identifier='zz-9'",
      "dateLastModified>='2026-01-01'",
      "dateLastModified<'2026-02-01T13:00:00+01:00'",
      "enabledUser!='true'",
      "sourcedId<='u10'",
    ];
    for (const filter of filters) {
      const spec = specOf({ filter }, userEntity);
      const binder = placeholderBinder();
      whereToSql(ENTITY_TABLES.user, [], spec.filter, { hideTombstones: false, bind: binder.bind });
      expect(filterPlaceholderValues(spec.filter), filter).toEqual(binder.values);
      expect(Object.keys(binder.values).length, filter).toBe(spec.filter?.predicates.length);
    }
    const numeric = specOf({ filter: "resultValueMax>'9.5'" }, lineItemEntity);
    const binder = placeholderBinder();
    whereToSql(ENTITY_TABLES.lineItem, [], numeric.filter, { hideTombstones: false, bind: binder.bind });
    expect(filterPlaceholderValues(numeric.filter)).toEqual(binder.values);
  });

  it("compares numbers numerically and hides deleted gradebook rows unless the filter is a delta", async () => {
    expect((await ids({ filter: "resultValueMax>'20'" }, lineItemEntity)).ids).toEqual(["li2"]);
    expect((await ids({ filter: "resultValueMax>'9.5'" }, lineItemEntity)).ids).toEqual(["li1", "li2"]);
    expect((await ids({}, lineItemEntity)).ids).toEqual(["li1", "li2"]);
    expect((await ids({ filter: "dateLastModified>'2026-03-01'" }, lineItemEntity)).ids).toEqual(["li3"]);
    expect((await ids({ filter: "dueDate>'2026-02-01'" }, lineItemEntity)).ids).toEqual(["li2"]);
  });
});
