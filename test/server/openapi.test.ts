// The OpenAPI 3.1 document at /openapi.json: a valid document (checked against the OpenAPI 3.1 schema) with every
// operation of the endpoint table and the admin API, and our real answers — every read, errors, gradebook writes,
// tokens and admin answers — validate against it with a JSON Schema 2020-12 validator. /docs renders it.
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { beforeAll, expect, it } from "vitest";
import { ENDPOINTS, type Endpoint, endpointById, fillPath, ONEROSTER_BASE_PATH } from "../../oneroster/index.js";
import { describePrimaryDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

const ADMIN = "admin-credential-for-tests-0123";
const pointer = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

describePrimaryDb("the OpenAPI document", (kind) => {
  const sp = useSeededProvider(kind, { config: { adminToken: ADMIN } });
  // biome-ignore lint/suspicious/noExplicitAny: the document is inspected freely
  let doc: any;
  let ajv: Ajv2020;
  const validators = new Map<string, ValidateFunction>();

  beforeAll(async () => {
    const res = await fetch(`${sp.provider.origin}/openapi.json`);
    expect(res.status).toBe(200);
    doc = await res.json();
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ ...doc, $id: "openapi.json" });
  });

  /** Validates an answer against the document's schema for that path, method, status and content type. */
  function expectMatches(path: string, method: string, status: number, body: unknown): void {
    const key = `${path} ${method} ${status}`;
    const response = doc.paths[path]?.[method]?.responses?.[String(status)];
    expect(response, `the document has no ${status} answer for ${method.toUpperCase()} ${path}`).toBeDefined();
    if (!response.content) {
      expect(body ?? "", key).toBe("");
      return;
    }
    let validate = validators.get(key);
    if (!validate) {
      const type = Object.keys(response.content)[0] as string;
      validate = ajv.compile({
        $ref: `openapi.json#/paths/${pointer(path)}/${method}/responses/${status}/content/${pointer(type)}/schema`,
      });
      validators.set(key, validate);
    }
    const ok = validate(body);
    expect(ok, `${key}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`).toBe(true);
  }

  /** A path for the endpoint that answers 200: each parameter tried with the first ids its `from` collection lists. */
  async function pathFor(endpoint: Endpoint): Promise<string | undefined> {
    const search = async (index: number, values: Record<string, string>): Promise<string | undefined> => {
      const param = endpoint.params[index];
      if (!param) {
        const path = fillPath(endpoint.path, values);
        return (await sp.api(`${path}${endpoint.kind === "collection" ? "?limit=1" : ""}`)).status === 200
          ? path
          : undefined;
      }
      const from = endpointById(param.from);
      const res = await sp.api(`${fillPath(from.path, values)}?limit=10`);
      for (const record of (res.body?.[from.envelope] ?? []) as { sourcedId: string }[]) {
        const found = await search(index + 1, { ...values, [param.name]: record.sourcedId });
        if (found) {
          return found;
        }
      }
      return undefined;
    };
    return search(0, {});
  }

  it("is a valid OpenAPI 3.1 document with every operation of the endpoint table and the admin API", async () => {
    const result = await new Validator().validate(doc);
    expect(result.valid, JSON.stringify(result.errors)).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
    for (const endpoint of ENDPOINTS) {
      const op = doc.paths[`${ONEROSTER_BASE_PATH}${endpoint.path}`]?.[endpoint.method.toLowerCase()];
      expect(op?.operationId, endpoint.operationId).toBe(endpoint.operationId);
      expect(op.security).toEqual([{ oauth2: [...endpoint.scopes] }]);
    }
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item as object).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    for (const path of ["/admin/quirks", "/admin/clients", "/admin/clients/{clientId}/faults", "/admin/requests"]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl).toBe(sp.provider.tokenUrl);
  });

  it("matches every read answer of our provider, collections and single objects", async () => {
    for (const endpoint of ENDPOINTS.filter((e) => e.method === "GET")) {
      const path = await pathFor(endpoint);
      expect(path, `no path of ${endpoint.operationId} answers 200 in the tiny district`).toBeDefined();
      const res = await sp.api(endpoint.kind === "collection" ? `${path}?limit=5` : (path as string));
      expect(res.status, `${endpoint.operationId} ${res.text.slice(0, 200)}`).toBe(200);
      expectMatches(`${ONEROSTER_BASE_PATH}${endpoint.path}`, "get", 200, res.body);
    }
  });

  it("matches error answers: 400, 401, 403 and 404 status payloads", async () => {
    const users = `${ONEROSTER_BASE_PATH}/users`;
    expectMatches(users, "get", 400, (await sp.api("/users?limit=zero")).body);
    expectMatches(users, "get", 401, (await sp.api("/users", { token: null })).body);
    const narrow = await sp.provider.token(["https://purl.imsglobal.org/spec/or/v1p1/scope/gradebook.readonly"]);
    expectMatches(users, "get", 403, (await sp.api("/users", { token: narrow })).body);
    expectMatches(`${users}/{id}`, "get", 404, (await sp.api("/users/no-such-id")).body);
  });

  it("matches gradebook writes: PUT 201 and 200 with the singular envelope, DELETE 204, and a 400", async () => {
    const classId = (await sp.api("/classes?limit=1")).body.classes[0].sourcedId;
    const path = `${ONEROSTER_BASE_PATH}/lineItems/{id}`;
    const body = {
      lineItem: {
        title: "OpenAPI walk",
        assignDate: "2026-09-01",
        dueDate: "2026-09-08T00:00:00Z",
        class: { sourcedId: classId },
        resultValueMin: 0,
        resultValueMax: 10,
      },
    };
    const created = await sp.api("/lineItems/openapi-li", { method: "PUT", body });
    expect(created.status).toBe(201);
    expectMatches(path, "put", 201, created.body);
    expectMatches(path, "put", 200, (await sp.api("/lineItems/openapi-li", { method: "PUT", body })).body);
    const bad = await sp.api("/lineItems/openapi-li", { method: "PUT", body: { lineItem: { title: "" } } });
    expectMatches(path, "put", 400, bad.body);
    const deleted = await sp.api("/lineItems/openapi-li", { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expectMatches(path, "delete", 204, deleted.body);
  });

  it("matches the token endpoint's answers", async () => {
    const basic = `Basic ${Buffer.from(`${sp.provider.clientId}:${sp.provider.clientSecret}`).toString("base64")}`;
    const ok = await fetch(sp.provider.tokenUrl, {
      method: "POST",
      headers: { authorization: basic },
      body: new URLSearchParams({ grant_type: "client_credentials" }),
    });
    expectMatches("/oauth/token", "post", 200, await ok.json());
    const bad = await fetch(sp.provider.tokenUrl, {
      method: "POST",
      headers: { authorization: basic },
      body: new URLSearchParams({ grant_type: "password" }),
    });
    expectMatches("/oauth/token", "post", 400, await bad.json());
  });

  it("matches the admin API's answers", async () => {
    const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
      sp.api(`${sp.provider.origin}${path}`, { ...init, token: ADMIN });
    expectMatches("/admin/quirks", "get", 200, (await admin("/admin/quirks")).body);
    const put = await admin("/admin/quirks", { method: "PUT", body: { quirks: ["latency:ms=1"] } });
    expectMatches("/admin/quirks", "put", 200, put.body);
    expectMatches(
      "/admin/quirks/{name}",
      "put",
      200,
      (await admin("/admin/quirks/latency", { method: "PUT", body: {} })).body,
    );
    await admin("/admin/quirks", { method: "PUT", body: { quirks: [] } });
    const made = await admin("/admin/clients", {
      method: "POST",
      body: { clientId: "openapi-lms", name: "n", faults: ["no-total-count"] },
    });
    expectMatches("/admin/clients", "post", 201, made.body);
    expectMatches("/admin/clients", "get", 200, (await admin("/admin/clients")).body);
    expectMatches("/admin/clients/{clientId}", "get", 200, (await admin("/admin/clients/openapi-lms")).body);
    const patched = await admin("/admin/clients/openapi-lms", { method: "PATCH", body: { name: "m" } });
    expectMatches("/admin/clients/{clientId}", "patch", 200, patched.body);
    const rotated = await admin("/admin/clients/openapi-lms/rotate", { method: "POST" });
    expectMatches("/admin/clients/{clientId}/rotate", "post", 200, rotated.body);
    expectMatches(
      "/admin/clients/{clientId}/faults",
      "get",
      200,
      (await admin("/admin/clients/openapi-lms/faults")).body,
    );
    expectMatches("/admin/requests", "get", 200, (await admin("/admin/requests?limit=5")).body);
    const card = await admin(`/admin/clients/${sp.provider.clientId}/scorecard`);
    expectMatches("/admin/clients/{clientId}/scorecard", "get", 200, card.body);
    expectMatches("/admin/clients/{clientId}", "get", 404, (await admin("/admin/clients/nobody")).body);
    expectMatches("/admin/requests", "get", 400, (await admin("/admin/requests?limit=0")).body);
  });

  it("renders a docs page with every operation, linked to its schemas", async () => {
    const res = await fetch(`${sp.provider.origin}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    for (const endpoint of ENDPOINTS) {
      expect(html).toContain(`id="op-${endpoint.operationId}"`);
    }
    expect(html).toContain('id="schema-UserCollection"');
    expect(html).not.toContain("<script");
    const root = await sp.api(`${sp.provider.origin}/`, { token: null });
    expect(root.body.openapiUrl).toBe(`${sp.provider.origin}/openapi.json`);
  });
});
