// Walks every row of the endpoint table against a running provider seeded with `tiny`: status, content type,
// envelope key, array vs object, every record valid against the oneroster/ schemas, subset rules, 401 without a
// token, 403 without the scope, 404 for unknown ids and unknown parents (notes §1, §2, §5, §6.2).
import { expect, it } from "vitest";
import {
  ALL_SCOPES,
  ENDPOINTS,
  ENTITY_SCHEMAS,
  type Endpoint,
  endpointById,
  fillPath,
  readStatusInfo,
} from "../../oneroster/index.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

const reads = ENDPOINTS.filter((e) => e.method === "GET");

describeEachDb("every operation of the endpoint table", (kind) => {
  const sp = useSeededProvider(kind);

  /** Ids of the first `limit` records of an operation, given its own path values. */
  async function idsOf(operationId: string, values: Record<string, string>, limit = 25): Promise<string[]> {
    const op = endpointById(operationId);
    const res = await sp.api(
      `${fillPath(op.path, values)}?limit=${limit}&filter=${encodeURIComponent("status='active'")}`,
    );
    expect(res.status, `${operationId} ${res.text.slice(0, 200)}`).toBe(200);
    return (res.body[op.envelope] as { sourcedId: string }[]).map((r) => r.sourcedId);
  }

  /** Path values for an endpoint, preferring ones under which its collection is not empty. */
  async function resolveParams(endpoint: Endpoint): Promise<Record<string, string>> {
    const search = async (
      index: number,
      values: Record<string, string>,
    ): Promise<Record<string, string> | undefined> => {
      const param = endpoint.params[index];
      if (!param) {
        if (endpoint.kind !== "collection") {
          return values;
        }
        const res = await sp.api(`${fillPath(endpoint.path, values)}?limit=1`);
        return res.status === 200 && res.body[endpoint.envelope]?.length > 0 ? values : undefined;
      }
      for (const id of (await idsOf(param.from, values)).slice(0, 8)) {
        const found = await search(index + 1, { ...values, [param.name]: id });
        if (found) {
          return found;
        }
      }
      return undefined;
    };
    const found = await search(0, {});
    if (found) {
      return found;
    }
    // Nothing non-empty: any valid parent will do (the collection is then legitimately empty).
    const values: Record<string, string> = {};
    for (const param of endpoint.params) {
      const [first] = await idsOf(param.from, values);
      values[param.name] = first ?? "missing";
    }
    return values;
  }

  it("has 61 operations plus one marked extension", () => {
    expect(ENDPOINTS.filter((e) => !e.extension)).toHaveLength(61);
    expect(ENDPOINTS.filter((e) => e.extension).map((e) => e.path)).toEqual(["/classes/{classId}/categories"]);
    expect(ENDPOINTS.filter((e) => e.service === "rostering")).toHaveLength(41);
    expect(ENDPOINTS.filter((e) => e.service === "resources")).toHaveLength(4);
    expect(ENDPOINTS.filter((e) => e.service === "gradebook" && !e.extension)).toHaveLength(16);
  });

  it.each(reads.map((e) => [e.operationId, e] as const))(
    "%s answers with its envelope and valid records",
    async (_, endpoint) => {
      const values = await resolveParams(endpoint);
      const path = fillPath(endpoint.path, values);
      const res = await sp.api(endpoint.kind === "collection" ? `${path}?limit=20` : path);
      expect(res.status, res.text.slice(0, 300)).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(Object.keys(res.body)).toEqual([endpoint.envelope]);
      const schema = ENTITY_SCHEMAS[endpoint.entity];
      const records: Record<string, unknown>[] =
        endpoint.kind === "collection" ? res.body[endpoint.envelope] : [res.body[endpoint.envelope]];
      if (endpoint.kind === "collection") {
        expect(Array.isArray(res.body[endpoint.envelope])).toBe(true);
        expect(Number(res.headers.get("x-total-count"))).toBeGreaterThanOrEqual(records.length);
        if (endpoint.params.length === 0) {
          expect(records.length, `${endpoint.operationId} should not be empty in tiny`).toBeGreaterThan(0);
        }
      } else {
        expect(records[0]?.sourcedId).toBe(values.id);
      }
      for (const record of records) {
        const parsed = schema.safeParse(record);
        expect(
          parsed.success,
          `${endpoint.operationId} ${JSON.stringify(record).slice(0, 300)} ${parsed.error?.message ?? ""}`,
        ).toBe(true);
        if (endpoint.subset) {
          expect(record[endpoint.subset.field]).toBe(endpoint.subset.value);
        }
      }
    },
  );

  it.each(reads.map((e) => [e.operationId, e] as const))(
    "%s needs a token (401) and its scope (403)",
    async (_, endpoint) => {
      const path = fillPath(endpoint.path, Object.fromEntries(endpoint.params.map((p) => [p.name, "x"])));
      const anonymous = await sp.api(path, { token: null });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(readStatusInfo(anonymous.body)[0]).toMatchObject({
        codeMajor: "failure",
        severity: "error",
        codeMinor: "unauthorisedrequest",
      });
      const other = ALL_SCOPES.find((s) => !endpoint.scopes.includes(s)) ?? "";
      const narrow = await sp.provider.token([other]);
      const forbidden = await sp.api(path, { token: narrow });
      expect(forbidden.status).toBe(403);
      expect(readStatusInfo(forbidden.body)[0]?.codeMinor).toBe("forbidden");
    },
  );

  it.each(reads.filter((e) => e.params.length > 0).map((e) => [e.operationId, e] as const))(
    "%s answers 404 unknownobject for an unknown id or parent",
    async (_, endpoint) => {
      const values = await resolveParams(endpoint);
      const first = endpoint.params[0]?.name ?? "id";
      const res = await sp.api(fillPath(endpoint.path, { ...values, [first]: "no-such-id" }));
      expect(res.status).toBe(404);
      expect(readStatusInfo(res.body)[0]).toMatchObject({ codeMajor: "failure", codeMinor: "unknownobject" });
      expect(readStatusInfo(res.body)[0]?.description).toMatch(/no-such-id/);
    },
  );

  it.each(reads.filter((e) => e.params.length > 1).map((e) => [e.operationId, e] as const))(
    "%s answers 404 naming the parent when only its last parent is unknown",
    async (_, endpoint) => {
      const values = await resolveParams(endpoint);
      const last = endpoint.params.at(-1)?.name ?? "id";
      const res = await sp.api(fillPath(endpoint.path, { ...values, [last]: "no-such-last" }));
      expect(res.status).toBe(404);
      expect(readStatusInfo(res.body)[0]).toMatchObject({ codeMajor: "failure", codeMinor: "unknownobject" });
      expect(readStatusInfo(res.body)[0]?.description).toMatch(/no-such-last/);
    },
  );

  it("walks the gradebook writes: PUT 201 then 200, DELETE 204 then 404", async () => {
    const classId = (await idsOf("getAllClasses", {}, 1))[0] ?? "";
    const studentId = (await idsOf("getStudentsForClass", { classId }))[0];
    expect(studentId).toBeDefined();
    const bodies: Record<string, unknown> = {
      putCategory: { category: { title: "Walk category" } },
      putLineItem: {
        lineItem: {
          title: "Walk",
          assignDate: "2026-09-01T00:00:00Z",
          dueDate: "2026-09-08T00:00:00Z",
          class: { sourcedId: classId },
          category: { sourcedId: "walk-cat" },
          resultValueMin: 0,
          resultValueMax: 10,
        },
      },
      putResult: {
        result: {
          lineItem: { sourcedId: "walk-li" },
          student: { sourcedId: studentId },
          scoreStatus: "fully graded",
          score: 9,
          scoreDate: "2026-09-09",
        },
      },
    };
    const ids: Record<string, string> = { putCategory: "walk-cat", putLineItem: "walk-li", putResult: "walk-res" };
    for (const op of ["putCategory", "putLineItem", "putResult"]) {
      const endpoint = endpointById(op);
      const path = fillPath(endpoint.path, { id: ids[op] ?? "" });
      const created = await sp.api(path, { method: "PUT", body: bodies[op] });
      expect(created.status, created.text).toBe(201);
      expect(created.body[endpoint.envelope].sourcedId).toBe(ids[op]);
      const replaced = await sp.api(path, { method: "PUT", body: bodies[op] });
      expect(replaced.status).toBe(200);
    }
    for (const op of ["deleteResult", "deleteLineItem", "deleteCategory"]) {
      const endpoint = endpointById(op);
      const id = { deleteResult: "walk-res", deleteLineItem: "walk-li", deleteCategory: "walk-cat" }[op] ?? "";
      const path = fillPath(endpoint.path, { id });
      const deleted = await sp.api(path, { method: "DELETE" });
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe("");
      expect((await sp.api(path)).status).toBe(404);
      expect((await sp.api(path, { method: "DELETE" })).status).toBe(404);
    }
  });
});
