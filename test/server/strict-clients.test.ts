// What strict v1p1 clients need (issue 8, items 11-14): every record of every collection passes the strict schema
// in both boolean wire forms; enrollment roles are v1p1's four (or an ext: extension edge case); a line item PUT
// without category or grading period is served valid; a class without line items lists the usable categories.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ENDPOINTS,
  ENTITIES,
  ENTITY_SCHEMAS,
  EnrollmentRoleSchema,
  type EntityName,
  LineItemSchema,
  readStatusInfo,
} from "../../oneroster/index.js";
import { readServerConfig } from "../../server/config.js";
import { DEFAULT_CATEGORY } from "../../server/repo/gradebook.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";
import { startProvider, type TestProvider } from "../support/server.js";

/** The strict schema of an entity as a client that reads booleans as the strings "true"/"false" has it. */
function stringBooleanSchema(entity: EntityName): z.ZodObject {
  const overrides: Record<string, z.ZodType> = {};
  for (const [name, kind] of Object.entries(ENTITIES[entity].fields)) {
    if (kind.kind === "boolean") {
      const required = !ENTITY_SCHEMAS[entity].shape[name]?.safeParse(undefined).success;
      overrides[name] = required ? z.enum(["true", "false"]) : z.enum(["true", "false"]).optional();
    }
  }
  return ENTITY_SCHEMAS[entity].extend(overrides);
}

/** Top-level collections: every record the provider holds is on one of these. */
const collections = ENDPOINTS.filter((e) => e.kind === "collection" && e.params.length === 0 && !e.subset);

describeEachDb("strict clients parse every record (items 11-13)", (kind) => {
  const sp = useSeededProvider(kind, { withDistrictClock: true });
  let stringProvider: TestProvider;
  let stringToken: string;

  beforeAll(async () => {
    // A day of churn (new line items and results, tombstones) and lenient line item PUTs, then a second server
    // over the same database that sends booleans as strings.
    sp.provider.deps.clock.advance(60_000);
    await sp.provider.deps.districtClock?.advance(3, { churnRate: 0.05 });
    const classId = (await sp.api("/classes?limit=1&filter=classType%3D%27scheduled%27")).body.classes[0].sourcedId;
    for (const [id, due] of [
      ["s-li-1", "2026-09-20"],
      ["s-li-2", "2026-12-01T10:00:00Z"],
      ["s-li-3", "2030-01-01"],
    ]) {
      const res = await sp.api(`/lineItems/${id}`, {
        method: "PUT",
        body: {
          lineItem: {
            title: id,
            assignDate: "2026-09-16",
            dueDate: due,
            class: { sourcedId: classId },
            resultValueMin: 0,
            resultValueMax: 1,
          },
        },
      });
      expect(res.status).toBe(201);
    }
    stringProvider = await startProvider(sp.db.handle, {
      clock: sp.provider.deps.clock,
      config: { booleans: "string" },
    });
    stringToken = await stringProvider.token();
  });
  afterAll(async () => {
    await stringProvider?.close();
  });

  async function everyRecord(baseUrl: string, token: string, path: string, envelope: string) {
    const res = await fetch(`${baseUrl}${path}?limit=10000`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, path).toBe(200);
    const body = (await res.json()) as Record<string, Record<string, unknown>[]>;
    expect(Number(res.headers.get("x-total-count"))).toBe(body[envelope]?.length);
    return body[envelope] ?? [];
  }

  it.each(collections.map((e) => [e.path, e] as const))(
    "%s: every record passes the strict v1p1 schema with JSON booleans",
    async (_, endpoint) => {
      const records = await everyRecord(sp.provider.baseUrl, sp.token, endpoint.path, endpoint.envelope);
      expect(records.length).toBeGreaterThan(0);
      const problems = records
        .map((r) => [r.sourcedId, ENTITY_SCHEMAS[endpoint.entity].safeParse(r)] as const)
        .filter(([, parsed]) => !parsed.success)
        .map(([id, parsed]) => `${String(id)}: ${parsed.error?.issues.map((i) => i.path.join(".")).join(", ")}`);
      expect(problems).toEqual([]);
    },
  );

  it.each(collections.map((e) => [e.path, e] as const))(
    '%s: every record passes with booleans as the strings "true"/"false" (--booleans string)',
    async (_, endpoint) => {
      const records = await everyRecord(stringProvider.baseUrl, stringToken, endpoint.path, endpoint.envelope);
      const schema = stringBooleanSchema(endpoint.entity);
      const problems = records
        .map((r) => [r.sourcedId, schema.safeParse(r)] as const)
        .filter(([, parsed]) => !parsed.success)
        .map(([id, parsed]) => `${String(id)}: ${parsed.error?.issues.map((i) => i.path.join(".")).join(", ")}`);
      expect(problems).toEqual([]);
      const booleanFields = Object.entries(ENTITIES[endpoint.entity].fields).filter(([, k]) => k.kind === "boolean");
      for (const [name] of booleanFields) {
        expect(
          records.some((r) => r[name] === "true" || r[name] === "false"),
          name,
        ).toBe(true);
      }
    },
  );

  it("filters on a boolean field the same way in both wire forms", async () => {
    const path = `/users?limit=10000&filter=${encodeURIComponent("enabledUser='false'")}`;
    const json = (await sp.api(path)).body.users.map((u: { sourcedId: string }) => u.sourcedId);
    const strings = await fetch(`${stringProvider.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${stringToken}` },
    }).then(async (r) => ((await r.json()) as { users: { sourcedId: string; enabledUser: string }[] }).users);
    expect(json.length).toBeGreaterThan(0);
    expect(strings.map((u) => u.sourcedId)).toEqual(json);
    expect(new Set(strings.map((u) => u.enabledUser))).toEqual(new Set(["false"]));
  });

  it("serves only v1p1's four enrollment roles, plus the ext: aide edge case (item 12)", async () => {
    const records = await everyRecord(sp.provider.baseUrl, sp.token, "/enrollments", "enrollments");
    const roles = new Set(records.map((r) => String(r.role)));
    const outside = [...roles].filter((r) => !EnrollmentRoleSchema.safeParse(r).success);
    expect(outside).toEqual(["ext:aide"]);
    expect(records.filter((r) => r.role === "ext:aide").length).toBeLessThanOrEqual(4);
  });

  it("serves a line item PUT without category or gradingPeriod with the defaults it chose (item 13)", async () => {
    for (const id of ["s-li-1", "s-li-2", "s-li-3"]) {
      const li = (await sp.api(`/lineItems/${id}`)).body.lineItem;
      expect(LineItemSchema.safeParse(li).success, id).toBe(true);
      expect(li.category.sourcedId).toBe(DEFAULT_CATEGORY.sourcedId);
      const gp = (await sp.api(`/academicSessions/${li.gradingPeriod.sourcedId}`)).body.academicSession;
      expect(gp.type).toBe("gradingPeriod");
      const due = String(li.dueDate).slice(0, 10);
      if (id !== "s-li-3") {
        expect(gp.startDate <= due && due <= gp.endDate, `${id} due ${due} in ${gp.startDate}..${gp.endDate}`).toBe(
          true,
        );
      }
    }
    // A due date past every grading period gets the nearest one, and the warning says so.
    const again = await sp.api("/lineItems/s-li-3", {
      method: "PUT",
      body: {
        lineItem: {
          title: "again",
          assignDate: "2026-09-16",
          dueDate: "2030-01-01",
          class: { sourcedId: (await sp.api("/lineItems/s-li-3")).body.lineItem.class.sourcedId },
          resultValueMin: 0,
          resultValueMax: 1,
        },
      },
    });
    expect(again.status).toBe(200);
    expect(readStatusInfo(again.body).map((w) => w.description)).toEqual([
      expect.stringMatching(/category was not sent/),
      expect.stringMatching(/nearest the due date/),
    ]);
  });
});

describeEachDb("GET /classes/{id}/categories (item 14)", (kind) => {
  const sp = useSeededProvider(kind);

  it("lists the district's live categories for a class that has no line items yet", async () => {
    const classes = (await sp.api("/classes?limit=10000")).body.classes as { sourcedId: string }[];
    const all = (await sp.api("/categories?limit=10000")).body.categories.map(
      (c: { sourcedId: string }) => c.sourcedId,
    );
    expect(all.length).toBeGreaterThan(0);
    let withoutLineItems = 0;
    for (const c of classes.slice(0, 60)) {
      const lineItems = (await sp.api(`/classes/${c.sourcedId}/lineItems?limit=1`)).body.lineItems;
      const listed = (await sp.api(`/classes/${c.sourcedId}/categories?limit=10000`)).body.categories.map(
        (x: { sourcedId: string }) => x.sourcedId,
      );
      expect(listed, c.sourcedId).toEqual(all);
      withoutLineItems += lineItems.length === 0 ? 1 : 0;
    }
    expect(withoutLineItems).toBeGreaterThan(0);
  });

  it("leaves a deleted category out, and answers 404 for an unknown class", async () => {
    await sp.api("/categories/s-cat-gone", { method: "PUT", body: { category: { title: "Gone" } } });
    const classId = (await sp.api("/classes?limit=1")).body.classes[0].sourcedId;
    const ids = async () =>
      (await sp.api(`/classes/${classId}/categories?limit=10000`)).body.categories.map(
        (x: { sourcedId: string }) => x.sourcedId,
      );
    expect(await ids()).toContain("s-cat-gone");
    await sp.api("/categories/s-cat-gone", { method: "DELETE" });
    expect(await ids()).not.toContain("s-cat-gone");
    expect((await sp.api("/classes/no-such-class/categories")).status).toBe(404);
  });
});

describe("the boolean wire option (item 11)", () => {
  it("is read from ROSTERLAB_BOOLEANS, JSON by default, and a bad value is named", () => {
    expect(readServerConfig({}).config?.booleans).toBe("json");
    expect(readServerConfig({ ROSTERLAB_BOOLEANS: "string" }).config?.booleans).toBe("string");
    expect(readServerConfig({ ROSTERLAB_BOOLEANS: "yes" }).problems).toEqual([
      expect.stringMatching(/^ROSTERLAB_BOOLEANS: /),
    ]);
  });
});
