// The admin API in the OpenAPI document: one row per route, with the zod schemas the routes validate their bodies
// and queries with, and zod schemas of what they answer (the OpenAPI test checks real answers against them).
import { z } from "zod";
import { CreateClientBody, UpdateClientBody } from "../clients/admin-routes.js";
import { RequestLogQuery } from "../request-log/admin-routes.js";
import { type JsonSchema, jsonSchema, ref } from "./schemas.js";

const FaultSpecInput = z
  .union([
    z.string().describe('a preset name, or name:key=value,… such as "server-errors:every=5,burst=2"'),
    z.object({ name: z.string(), params: z.record(z.string(), z.unknown()).optional() }),
  ])
  .describe("a fault preset and its parameters (GET /admin/quirks lists every preset)");

const SwitchedFault = z.object({
  name: z.string(),
  spec: z.string(),
  params: z.record(z.string(), z.unknown()),
  source: z.enum(["start", "provider", "client"]),
  since: z.string(),
  until: z.string().nullable(),
});
const FaultState = z.object({
  active: z.array(z.string()),
  faults: z.array(SwitchedFault),
  counters: z.array(z.object({ scope: z.string(), name: z.string(), key: z.string(), n: z.number().int() })),
});
const QuirksListing = FaultState.extend({
  available: z.record(z.string(), z.string()),
  presets: z.record(
    z.string(),
    z.object({
      kind: z.enum(["quirk", "transport"]),
      description: z.string(),
      params: z.record(z.string(), z.string()),
    }),
  ),
});
const Client = z.object({
  clientId: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  tokenLeniency: z.enum(["strict", "lenient"]),
  createdAt: z.string(),
  updatedAt: z.string(),
  tokensValidAfter: z.string().nullable(),
});
const RequestRow = z.object({
  id: z.number().int(),
  at: z.string(),
  requestId: z.string(),
  clientId: z.string().nullable(),
  method: z.string(),
  path: z.string(),
  query: z.string().nullable(),
  operation: z.string().nullable(),
  status: z.number().int(),
  durationMs: z.number().int(),
  bytes: z.number().int().nullable(),
  total: z.number().int().nullable(),
  retryAfterMs: z.number().int().nullable(),
  faults: z.array(z.string()),
  findings: z.array(z.string()),
});

const Verdict = z.object({
  id: z.string(),
  title: z.string(),
  section: z.string(),
  outcome: z.enum(["pass", "fail", "not-applicable"]),
  summary: z.string(),
  evidence: z.array(
    z.object({
      id: z.number().int(),
      at: z.string(),
      method: z.string(),
      path: z.string(),
      query: z.string().nullable(),
      status: z.number().int(),
      note: z.string().optional(),
    }),
  ),
});

/** Admin answer schemas by component name (exported for the test that checks real answers against them). */
export const ADMIN_SCHEMAS = {
  FaultSpecInput,
  SwitchedFault,
  FaultState,
  QuirksListing,
  Client,
  ClientList: z.object({ clients: z.array(Client) }),
  ClientShown: FaultState.extend({ client: Client }),
  ClientCreated: FaultState.extend({ client: Client, clientSecret: z.string() }),
  ClientSecret: z.object({ client: Client, clientSecret: z.string() }),
  ClientUpdated: z.object({ client: Client }),
  CreateClientBody: CreateClientBody.extend({ faults: z.array(FaultSpecInput).optional() }),
  UpdateClientBody,
  QuirksBody: z.object({ quirks: z.array(FaultSpecInput) }),
  ClientFaultsBody: z.object({ faults: z.array(FaultSpecInput) }),
  FaultParams: z.record(z.string(), z.unknown()).describe('the preset\'s parameters, e.g. {"every": 5}'),
  RequestRow,
  RequestPage: z.object({ requests: z.array(RequestRow), cursor: z.number().int().nullable() }),
  Deleted: z.object({ deleted: z.number().int() }),
  Scorecard: z.object({
    clientId: z.string(),
    since: z.string().nullable(),
    until: z.string().nullable(),
    requests: z.number().int(),
    verdicts: z.array(Verdict),
    summary: z.object({ pass: z.number().int(), fail: z.number().int(), "not-applicable": z.number().int() }),
  }),
  ClockStatus: z.record(z.string(), z.unknown()).describe("the district clock's state (seed/clock.ts)"),
  AdvanceBody: z.object({ days: z.number().int().min(1).max(3650), churnRate: z.number().min(0).max(1).optional() }),
} as const;

interface AdminRoute {
  method: "get" | "put" | "post" | "patch" | "delete";
  path: string;
  operationId: string;
  summary: string;
  body?: keyof typeof ADMIN_SCHEMAS;
  /** Query parameters from a zod object. */
  query?: z.ZodObject;
  ok: { status: string; schema?: keyof typeof ADMIN_SCHEMAS; description: string };
}

const id = { name: "clientId", in: "path", required: true, schema: { type: "string" } };
const name = { name: "name", in: "path", required: true, schema: { type: "string" }, description: "a preset name" };

const ROUTES: AdminRoute[] = [
  {
    method: "get",
    path: "/admin/clients/{clientId}/scorecard",
    operationId: "adminScorecard",
    summary: "the consumer scorecard of a client over a window, each verdict with its evidence",
    query: z.object({
      since: z.iso.datetime({ offset: true }).optional(),
      until: z.iso.datetime({ offset: true }).optional(),
    }),
    ok: { status: "200", schema: "Scorecard", description: "the scorecard" },
  },
  {
    method: "get",
    path: "/admin/quirks",
    operationId: "adminListFaults",
    summary: "fault presets on provider-wide, every preset and its parameters, counters",
    ok: { status: "200", schema: "QuirksListing", description: "the provider-wide faults" },
  },
  {
    method: "put",
    path: "/admin/quirks",
    operationId: "adminReplaceFaults",
    summary: "replace the provider-wide fault presets",
    body: "QuirksBody",
    ok: { status: "200", schema: "FaultState", description: "what is on now" },
  },
  {
    method: "put",
    path: "/admin/quirks/{name}",
    operationId: "adminSwitchFaultOn",
    summary: "switch one preset on provider-wide (counting afresh)",
    body: "FaultParams",
    ok: { status: "200", schema: "SwitchedFault", description: "the preset as switched on" },
  },
  {
    method: "delete",
    path: "/admin/quirks/{name}",
    operationId: "adminSwitchFaultOff",
    summary: "switch one provider-wide preset off",
    ok: { status: "204", description: "switched off" },
  },
  {
    method: "get",
    path: "/admin/clock",
    operationId: "adminClock",
    summary: "the district clock",
    ok: { status: "200", schema: "ClockStatus", description: "the clock" },
  },
  {
    method: "post",
    path: "/admin/clock/advance",
    operationId: "adminAdvance",
    summary: "move the district forward N school days",
    body: "AdvanceBody",
    ok: { status: "200", schema: "ClockStatus", description: "what changed" },
  },
  {
    method: "get",
    path: "/admin/clients",
    operationId: "adminListClients",
    summary: "list clients",
    ok: { status: "200", schema: "ClientList", description: "every client" },
  },
  {
    method: "post",
    path: "/admin/clients",
    operationId: "adminCreateClient",
    summary: "register a client; its secret is in the answer, once",
    body: "CreateClientBody",
    ok: { status: "201", schema: "ClientCreated", description: "the client and its secret" },
  },
  {
    method: "get",
    path: "/admin/clients/{clientId}",
    operationId: "adminShowClient",
    summary: "a client and its fault presets",
    ok: { status: "200", schema: "ClientShown", description: "the client" },
  },
  {
    method: "patch",
    path: "/admin/clients/{clientId}",
    operationId: "adminUpdateClient",
    summary: "change name, scopes or token leniency",
    body: "UpdateClientBody",
    ok: { status: "200", schema: "ClientUpdated", description: "the client" },
  },
  {
    method: "post",
    path: "/admin/clients/{clientId}/rotate",
    operationId: "adminRotateClient",
    summary: "a new secret; the old one and tokens issued before stop working",
    ok: { status: "200", schema: "ClientSecret", description: "the client and its new secret" },
  },
  {
    method: "delete",
    path: "/admin/clients/{clientId}",
    operationId: "adminDeleteClient",
    summary: "delete a client (its request log stays)",
    ok: { status: "204", description: "deleted" },
  },
  {
    method: "get",
    path: "/admin/clients/{clientId}/faults",
    operationId: "adminClientFaults",
    summary: "a client's own fault presets",
    ok: { status: "200", schema: "FaultState", description: "its faults" },
  },
  {
    method: "put",
    path: "/admin/clients/{clientId}/faults",
    operationId: "adminReplaceClientFaults",
    summary: "replace a client's fault presets",
    body: "ClientFaultsBody",
    ok: { status: "200", schema: "FaultState", description: "its faults now" },
  },
  {
    method: "put",
    path: "/admin/clients/{clientId}/faults/{name}",
    operationId: "adminSwitchClientFaultOn",
    summary: "switch one preset on for a client",
    body: "FaultParams",
    ok: { status: "200", schema: "SwitchedFault", description: "the preset as switched on" },
  },
  {
    method: "delete",
    path: "/admin/clients/{clientId}/faults/{name}",
    operationId: "adminSwitchClientFaultOff",
    summary: "switch one of a client's presets off",
    ok: { status: "204", description: "switched off" },
  },
  {
    method: "get",
    path: "/admin/requests",
    operationId: "adminRequestLog",
    summary: "the request log, newest first, paged with cursor",
    query: RequestLogQuery,
    ok: { status: "200", schema: "RequestPage", description: "a page of the log" },
  },
  {
    method: "delete",
    path: "/admin/requests",
    operationId: "adminClearRequestLog",
    summary: "clear the request log (for one client, before a time)",
    query: RequestLogQuery.pick({ client: true, until: true }),
    ok: { status: "200", schema: "Deleted", description: "rows deleted" },
  },
];

const statusPayload = (description: string) => ({
  description,
  content: { "application/json": { schema: ref("StatusInfoSet") } },
});

/** The admin paths and their component schemas. */
export function adminPaths(): { paths: Record<string, Record<string, unknown>>; schemas: Record<string, JsonSchema> } {
  const schemas: Record<string, JsonSchema> = {};
  for (const [key, schema] of Object.entries(ADMIN_SCHEMAS)) {
    schemas[`Admin${key}`] = jsonSchema(schema, key.endsWith("Body") || key === "FaultParams" ? "input" : "output");
  }
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const params: unknown[] = [];
    if (route.path.includes("{clientId}")) {
      params.push(id);
    }
    if (route.path.includes("{name}")) {
      params.push(name);
    }
    if (route.query) {
      const q = jsonSchema(route.query, "input") as { properties?: Record<string, JsonSchema> };
      for (const [key, schema] of Object.entries(q.properties ?? {})) {
        params.push({ name: key, in: "query", required: false, schema });
      }
    }
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: ["admin"],
      security: [{ adminToken: [] }],
      parameters: params,
      ...(route.body
        ? { requestBody: { required: true, content: { "application/json": { schema: ref(`Admin${route.body}`) } } } }
        : {}),
      responses: {
        [route.ok.status]: {
          description: route.ok.description,
          ...(route.ok.schema ? { content: { "application/json": { schema: ref(`Admin${route.ok.schema}`) } } } : {}),
        },
        "400": statusPayload("a bad body or query; the description says what to change"),
        "401": statusPayload("admin credential missing or wrong"),
        "403": statusPayload("the admin API is disabled (no admin credential configured)"),
        "404": statusPayload("no such client or preset"),
        "409": statusPayload("the client exists, or the district is not seeded"),
      },
    };
  }
  return { paths, schemas };
}
