// Filter, sort and paging → SQL on every backend (house-style §2.5): the same cases on PGlite and Postgres.
import { beforeAll, expect, it } from "vitest";
import { lineItemEntity, userEntity } from "../../oneroster/index.js";
import * as t from "../../server/db/schema.js";
import { parseCollectionQuery } from "../../server/query/parse.js";
import { listRecords, type Row } from "../../server/repo/records.js";
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

  async function ids(q: Record<string, string>, entity = userEntity): Promise<{ ids: string[]; total: number }> {
    const spec = parseCollectionQuery((n) => q[n], entity, { limitCap: 10000, quirks: new Set() });
    const { rows, total } = await listRecords(tdb.current.db, entity.name, spec, {
      scope: [],
      hideTombstones: false,
      pageLocalSort: false,
    });
    return { ids: rows.map((r: Row) => String(r.sourcedId)), total };
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

  it("compares numbers numerically and hides deleted gradebook rows unless the filter is a delta", async () => {
    expect((await ids({ filter: "resultValueMax>'20'" }, lineItemEntity)).ids).toEqual(["li2"]);
    expect((await ids({ filter: "resultValueMax>'9.5'" }, lineItemEntity)).ids).toEqual(["li1", "li2"]);
    expect((await ids({}, lineItemEntity)).ids).toEqual(["li1", "li2"]);
    expect((await ids({ filter: "dateLastModified>'2026-03-01'" }, lineItemEntity)).ids).toEqual(["li3"]);
    expect((await ids({ filter: "dueDate>'2026-02-01'" }, lineItemEntity)).ids).toEqual(["li2"]);
  });
});
