// Reads batched per event-loop turn (server/repo/records.ts): single-record reads of one turn share one statement per
// scope, and each still gets exactly its own record, null for none, or undefined where SQL cannot present it, as a
// read on its own would; ids that an array literal must quote come back as sent. Over HTTP, concurrent single and
// list reads (relationship endpoints with missing parents included) answer as the same reads one by one.
import { eq, like } from "drizzle-orm";
import { expect, it } from "vitest";
import * as t from "../../server/db/schema.js";
import { recordJsonSql } from "../../server/present/json-sql.js";
import { presentRecord } from "../../server/present/record.js";
import { getRecordJson, singleRecordBatching } from "../../server/repo/records.js";
import { ENTITY_TABLES } from "../../server/repo/tables.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

const BASE = "http://rosterlab.test/ims/oneroster/v1p1";
const stamp = new Date("2026-09-15T12:00:00.123Z");
const user = {
  status: "active",
  dateLastModified: stamp,
  username: "u",
  enabledUser: true,
  givenName: "G",
  familyName: "F",
  role: "student",
  orgIds: ["org-1"],
};
/** Ids an array literal must quote or escape: quotes, backslashes, commas, braces, spaces, the word NULL. */
const AWKWARD_IDS = ['usr "q"', "usr \\ back\\", "usr,comma", "usr {brace}", "NULL", " spaced ", "usr-ü"];

describeEachDb("reads batched per event-loop turn", (kind) => {
  const sp = useSeededProvider(kind, { config: { pageCacheBytes: 0 } });
  const json = recordJsonSql("user", BASE, undefined, "json");
  const read = (id: string, subset?: { field: string; value: string }, hideTombstones = false) =>
    getRecordJson(sp.db.handle.db, "user", id, subset, hideTombstones, json);
  /** Counters moved by `work`, which must start its reads in one turn. */
  async function batching<T>(work: () => Promise<T>): Promise<{ result: T; reads: number; statements: number }> {
    const before = { ...singleRecordBatching };
    const result = await work();
    return {
      result,
      reads: singleRecordBatching.reads - before.reads,
      statements: singleRecordBatching.statements - before.statements,
    };
  }

  it("gives each read of one turn its own record, null or undefined, from one statement", async () => {
    const { db } = sp.db.handle;
    await db.insert(t.users).values([
      ...AWKWARD_IDS.map((sourcedId) => ({ ...user, sourcedId })),
      // SQL cannot write a number in metadata exactly: that read says so (undefined) and Node presents it.
      { ...user, sourcedId: "usr-number", metadata: { n: 1.5 } },
    ]);
    const ids = [...AWKWARD_IDS, "usr-number", "usr-missing", AWKWARD_IDS[0] as string, "usr-0001"];
    // Each read on its own, one turn each.
    const alone: (string | null | undefined)[] = [];
    for (const id of ids) {
      alone.push(await read(id));
    }
    const together = await batching(() => Promise.all(ids.map((id) => read(id))));
    expect(together.statements).toBe(1);
    expect(together.reads).toBe(ids.length);
    expect(together.result).toEqual(alone);

    const { columns, table } = ENTITY_TABLES.user;
    const rows = await db
      .select(columns)
      .from(table)
      .where(eq(t.users.sourcedId, AWKWARD_IDS[1] as string));
    expect(together.result[1]).toBe(JSON.stringify(presentRecord("user", rows[0] as never, BASE, undefined, "json")));
    for (const [i, id] of AWKWARD_IDS.entries()) {
      expect(JSON.parse(together.result[i] as string).sourcedId).toBe(id);
    }
    expect(together.result[AWKWARD_IDS.length]).toBeUndefined();
    expect(together.result[AWKWARD_IDS.length + 1]).toBeNull();
  });

  it("keeps scopes apart: one statement per scope in a turn, each read within its own scope", async () => {
    const { db } = sp.db.handle;
    await db.insert(t.users).values([
      { ...user, sourcedId: "usr-scope-teacher", role: "teacher" },
      { ...user, sourcedId: "usr-scope-gone", status: "tobedeleted" },
    ]);
    const students = { field: "role", value: "student" };
    const { result, statements } = await batching(() =>
      Promise.all([
        read("usr-scope-teacher"),
        read("usr-scope-teacher", students),
        read("usr-scope-gone"),
        read("usr-scope-gone", undefined, true),
      ]),
    );
    expect(statements).toBe(3);
    expect(JSON.parse(result[0] as string).role).toBe("teacher");
    expect(result[1]).toBeNull();
    expect(JSON.parse(result[2] as string).status).toBe("tobedeleted");
    expect(result[3]).toBeNull();
  });

  it("splits a turn of more reads than one statement takes, each read still its own", async () => {
    const { db } = sp.db.handle;
    // The district's own users (not the awkward ones the tests above added), then ids that exist nowhere, to 501
    // reads: the last one goes to a second statement.
    const seeded = (
      await db.select({ id: t.users.sourcedId }).from(t.users).where(like(t.users.sourcedId, "usr-0%")).limit(501)
    ).map((r) => r.id);
    const ids = [...seeded, ...Array.from({ length: 501 - seeded.length }, (_, i) => `usr-none-${i}`)];
    const { result, statements, reads } = await batching(() => Promise.all(ids.map((id) => read(id))));
    expect(statements).toBe(2);
    expect(reads).toBe(501);
    for (const [i, id] of ids.entries()) {
      const text = result[i];
      if (i < seeded.length) {
        expect(JSON.parse(text as string).sourcedId, id).toBe(id);
      } else {
        expect(text, id).toBeNull();
      }
    }
    expect(seeded.length).toBeGreaterThan(20);
  });

  it("answers concurrent GETs of single records as it answers them one by one", async () => {
    const listed = await sp.api("/users?limit=40&fields=sourcedId");
    const ids = [...(listed.body.users as { sourcedId: string }[]).map((u) => u.sourcedId), "usr-missing"];
    expect(ids.length).toBeGreaterThan(30);
    // The same request id each time, so a 404's status payload is the same text.
    const get = (id: string, i: number) =>
      sp.api(`/users/${encodeURIComponent(id)}`, { headers: { "x-request-id": `single-${i}` } });
    const oneByOne: [number, string][] = [];
    for (const [i, id] of ids.entries()) {
      const r = await get(id, i);
      oneByOne.push([r.status, r.text]);
    }
    const together = await Promise.all(ids.map(get));
    expect(together.map((r) => [r.status, r.text])).toEqual(oneByOne);
    expect(oneByOne.at(-1)?.[0]).toBe(404);
  });

  it("answers concurrent list reads of one shape and of several as it answers them one by one", async () => {
    const classes = (await sp.api("/classes?limit=6&fields=sourcedId")).body.classes as { sourcedId: string }[];
    const paths = [
      ...classes.map(
        (c, i) => `/enrollments?filter=${encodeURIComponent(`class.sourcedId='${c.sourcedId}'`)}&limit=${3 + i}`,
      ),
      ...classes.map((c) => `/classes/${c.sourcedId}/students?limit=2&offset=1`),
      "/classes/cls-missing/students",
      `/users?filter=${encodeURIComponent("givenName~'a'")}&limit=5&offset=2`,
      "/users?limit=4&offset=7",
    ];
    const get = (path: string, i: number) => sp.api(path, { headers: { "x-request-id": `list-${i}` } });
    const pick = (r: Awaited<ReturnType<typeof get>>) => [
      r.status,
      r.headers.get("x-total-count"),
      r.headers.get("link"),
      r.text,
    ];
    const oneByOne = [];
    for (const [i, path] of paths.entries()) {
      oneByOne.push(pick(await get(path, i)));
    }
    const together = await Promise.all(paths.map(get));
    expect(together.map(pick)).toEqual(oneByOne);
    expect(oneByOne.map((r) => r[0])).toEqual([...paths.map(() => 200).slice(0, -3), 404, 200, 200]);
  });
});
