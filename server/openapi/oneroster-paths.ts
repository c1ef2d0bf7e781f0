// The v1p1 paths of the OpenAPI document, one operation per row of the endpoint table (notes §1): parameters,
// scopes, the envelope of each answer, paging headers, and the status payload of every error it can give.
import { ALL_SCOPES, ENDPOINTS, type Endpoint, ONEROSTER_BASE_PATH, QUERY_PARAMS } from "../../oneroster/index.js";
import { envelopeName, type JsonSchema, ref, schemaName } from "./schemas.js";

const json = (schema: JsonSchema) => ({ "application/json": { schema } });
const statusPayload = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: json(ref("StatusInfoSet")),
});

const QUERY_DOCS: Record<(typeof QUERY_PARAMS)[number], { description: string; schema: JsonSchema }> = {
  limit: {
    description:
      "page size (default 100); a larger value than the provider's cap shrinks the page, never an error (notes §4)",
    schema: { type: "integer", minimum: 1 },
  },
  offset: { description: "records to skip (notes §4)", schema: { type: "integer", minimum: 0 } },
  sort: { description: "field to sort by (notes §3.3)", schema: { type: "string" } },
  orderBy: { description: "sort direction (notes §3.3)", schema: { type: "string", enum: ["asc", "desc"] } },
  filter: {
    description:
      "filter expression, e.g. dateLastModified>'2026-09-01T00:00:00Z' AND status='active' (notes §3.1); one kind of AND/OR",
    schema: { type: "string" },
  },
  fields: {
    description: "comma-separated fields to return (notes §3.2); answers then carry only those properties",
    schema: { type: "string" },
  },
};

const AUTH_ERRORS = {
  "401": statusPayload("no, a malformed, an expired or a revoked bearer token (RFC 6750 §3.1)", {
    "WWW-Authenticate": { schema: { type: "string" } },
  }),
  "403": statusPayload("the token lacks the operation's scope (notes §6.2)"),
  "429": statusPayload("too many requests; honour Retry-After when present", {
    "Retry-After": { schema: { type: "string" }, description: "seconds or an HTTP date (RFC 9110 §10.2.3)" },
  }),
  "500": statusPayload("unexpected failure; the description quotes the request id"),
};

function operation(endpoint: Endpoint): Record<string, unknown> {
  const pathParams = endpoint.params.map((p) => ({
    name: p.name,
    in: "path",
    required: true,
    description: `sourcedId (values from ${p.from})`,
    schema: { type: "string", minLength: 1 },
  }));
  const queryNames: readonly (typeof QUERY_PARAMS)[number][] =
    endpoint.kind === "collection" ? QUERY_PARAMS : endpoint.kind === "single" ? ["fields"] : [];
  const query = queryNames.map((name) => ({ name, in: "query", required: false, ...QUERY_DOCS[name] }));
  const base = {
    operationId: endpoint.operationId,
    summary: `${endpoint.method} ${endpoint.path}${endpoint.subset ? ` (${endpoint.subset.field}=${endpoint.subset.value})` : ""}`,
    tags: [endpoint.service],
    security: [{ oauth2: [...endpoint.scopes] }],
    parameters: [...pathParams, ...query],
    "x-tier": endpoint.tier,
    ...(endpoint.extension ? { "x-extension": true } : {}),
  };
  const notFound =
    endpoint.params.length > 0 ? { "404": statusPayload("unknown sourcedId or parent (notes §5.1)") } : {};
  switch (endpoint.kind) {
    case "collection":
      return {
        ...base,
        responses: {
          "200": {
            description: `a page of ${endpoint.envelope}`,
            headers: {
              "X-Total-Count": {
                schema: { type: "integer", minimum: 0 },
                description: "records after filtering (notes §4)",
              },
              Link: {
                schema: { type: "string" },
                description: "first, prev, next and last pages, keeping every parameter",
              },
            },
            content: json(ref(envelopeName(endpoint.entity, "collection"))),
          },
          "400": statusPayload("a bad limit, offset, filter, sort or fields parameter (notes §3.4)"),
          ...notFound,
          ...AUTH_ERRORS,
        },
      };
    case "single":
      return {
        ...base,
        responses: {
          "200": { description: `one ${endpoint.entity}`, content: json(ref(envelopeName(endpoint.entity, "single"))) },
          "400": statusPayload("a bad fields parameter"),
          ...notFound,
          ...AUTH_ERRORS,
        },
      };
    case "put": {
      const name = schemaName(endpoint.entity);
      const body = {
        type: "object",
        properties: { [endpoint.envelope]: ref(`${name}Input`) },
        required: [endpoint.envelope],
      };
      const answer = json(ref(envelopeName(endpoint.entity, "single")));
      return {
        ...base,
        requestBody: { required: true, content: json(body) },
        responses: {
          "200": { description: "replaced (notes §7.1)", content: answer },
          "201": { description: "created (notes §7.1)", content: answer },
          "400": statusPayload("the body does not validate"),
          "413": statusPayload("the body is too large"),
          "415": statusPayload("the body is not JSON"),
          "422": statusPayload("a reference to a record that does not exist"),
          ...AUTH_ERRORS,
        },
      };
    }
    case "delete":
      return {
        ...base,
        responses: {
          "204": { description: "deleted; delta reads still see the tombstone (notes §7.2)" },
          ...notFound,
          ...AUTH_ERRORS,
        },
      };
  }
}

/** `/ims/oneroster/v1p1/...` path items for every operation of the endpoint table. */
export function oneRosterPaths(): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const endpoint of ENDPOINTS) {
    const path = `${ONEROSTER_BASE_PATH}${endpoint.path}`;
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[endpoint.method.toLowerCase()] = operation(endpoint);
  }
  return paths;
}

/** The OAuth 2 client-credentials scheme with every v1p1 scope (notes §6.2). */
export function oauthScheme(tokenUrl: string): Record<string, unknown> {
  return {
    type: "oauth2",
    description: "client credentials (RFC 6749 §4.4): HTTP Basic client authentication, form body",
    flows: {
      clientCredentials: {
        tokenUrl,
        scopes: Object.fromEntries(ALL_SCOPES.map((s) => [s, s.slice(s.lastIndexOf("/") + 1)])),
      },
    },
  };
}
