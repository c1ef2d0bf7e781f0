// Bench child: the hand-tuned ceiling of the uncached-read figures (bench/reads-bench.ts). A throwaway server on the
// provider's stack (Hono, @hono/node-server, postgres.js) that reads the provider's tables with ONE hand-written SQL
// statement per request, which builds the whole body text (and the total for X-Total-Count); Link is derived from it.
// It serves only the benched shapes, skips auth, and must answer byte for byte what the provider does (checked first).
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import postgres from "postgres";
import { LINK_HEADER_MAX_BYTES } from "../server/http/limits.js";
import { linkHeader } from "../server/query/paginate.js";
import { announceReady, readInputLine } from "./child.js";

export interface SqlCeilingJob {
  databaseUrl: string;
  /** The providers' ROSTERLAB_PUBLIC_URL: hrefs and Link headers start with it. */
  publicUrl: string;
}

export interface SqlCeilingInfo {
  origin: string;
}

/** Ids and time range the runner draws random requests from (`GET /bench/sample`). */
export interface BenchSample {
  userIds: string[];
  classIds: string[];
  /** dateLastModified range of users, ISO. */
  usersFrom: string;
  usersTo: string;
}

const job = JSON.parse(await readInputLine()) as SqlCeilingJob;
const BASE = `${job.publicUrl}/ims/oneroster/v1p1`;
// JIT off, as the provider has it: compiling these record-building statements costs more than running them.
const sql = postgres(job.databaseUrl, { max: 10, prepare: true, onnotice: () => {}, connection: { jit: "off" } });

/** A JSON string literal of a text expression (to_json escapes exactly as JSON.stringify does for valid text). */
const str = (expr: string) => `to_json(${expr})::text`;
const iso = (expr: string) => `'"' || to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'`;
// No sub-queries anywhere: Postgres sets every sub-plan up on each execution, used or not. The ceiling knows the
// seeded data: ids need no percent-encoding or JSON escaping, json fields hold strings in flat objects.
const ref = (id: string, path: string, type: string) =>
  `'{"href":"${BASE}/${path}/' || ${id} || '","sourcedId":"' || ${id} || '","type":"${type}"}'`;
/** Each id of a text[] as a GUIDRef, by rewriting the array's compact JSON text. */
const refs = (col: string, path: string, type: string) =>
  `case when cardinality(${col}) > 0 then regexp_replace(array_to_json(${col})::text, '"([^"]*)"', '{"href":"${BASE}/${path}/\\1","sourcedId":"\\1","type":"${type}"}', 'g') end`;
/** jsonb text without the spaces jsonb puts after `:` and `,` (strings are matched whole, so theirs stay). */
const compact = (expr: string) => `regexp_replace(${expr}::text, '("(?:[^"\\\\]|\\\\.)*")|([:,]) ', '\\1\\2', 'g')`;
const field = (name: string, value: string) => `'"${name}":' || ${value}`;
const text = (name: string, col: string) => field(name, str(`nullif(${col}, '')`));

const USER_JSON = `'{' || concat_ws(',',
  ${text("sourcedId", "u.sourced_id")}, ${text("status", "u.status")},
  ${field("dateLastModified", iso("u.date_last_modified"))},
  ${field("metadata", `case when jsonb_typeof(u.metadata) = 'object' then ${compact("u.metadata")} end`)},
  ${text("username", "u.username")},
  ${field("userIds", `case when jsonb_array_length(u.user_ids) > 0 then ${compact("u.user_ids")} end`)},
  ${field("enabledUser", "case when u.enabled_user then 'true' else 'false' end")},
  ${text("givenName", "u.given_name")}, ${text("familyName", "u.family_name")}, ${text("middleName", "u.middle_name")},
  ${text("role", "u.role")}, ${text("identifier", "u.identifier")}, ${text("email", "u.email")},
  ${text("sms", "u.sms")}, ${text("phone", "u.phone")},
  ${field("agents", refs("u.agent_ids", "users", "user"))}, ${field("orgs", refs("u.org_ids", "orgs", "org"))},
  ${field("grades", "case when cardinality(u.grades) > 0 then array_to_json(u.grades)::text end")},
  ${text("password", "u.password")}) || '}'`;

const ENROLLMENT_JSON = `'{' || concat_ws(',',
  ${text("sourcedId", "e.sourced_id")}, ${text("status", "e.status")},
  ${field("dateLastModified", iso("e.date_last_modified"))},
  ${field("metadata", `case when jsonb_typeof(e.metadata) = 'object' then ${compact("e.metadata")} end`)},
  ${field("user", ref("e.user_id", "users", "user"))}, ${field("class", ref("e.class_id", "classes", "class"))},
  ${field("school", ref("e.school_id", "orgs", "org"))}, ${text("role", "e.role")},
  ${field("primary", "case when e.primary then 'true' when not e.primary then 'false' end")},
  ${field("beginDate", `'"' || to_char(e.begin_date, 'YYYY-MM-DD') || '"'`)},
  ${field("endDate", `'"' || to_char(e.end_date, 'YYYY-MM-DD') || '"'`)}) || '}'`;

/**
 * One statement: the page's body text and the exact total, over the same WHERE. As the provider does, a page shorter
 * than its limit gives the total itself (offset + its rows; not an empty page past offset 0), so only the others count.
 */
function listStatement(table: string, alias: string, rowJson: string, key: string, where: string): string {
  return `with page as (select * from provider.${table} ${alias} where ${where} order by ${alias}.sourced_id limit $1 offset $2)
select (case when count(*) < $1 and (count(*) > 0 or $2 = 0) then $2 + count(*)
    else (select count(*) from provider.${table} ${alias} where ${where}) end)::int as total,
  '{"${key}":[' || coalesce(string_agg(${rowJson}, ',' order by ${alias}.sourced_id), '') || ']}' as body
from page ${alias}`;
}

const USERS_ALL = listStatement("users", "u", USER_JSON, "users", "true");
const USERS_SINCE = listStatement("users", "u", USER_JSON, "users", "u.date_last_modified > $3::timestamptz");
const ENROLLMENTS_OF_CLASS = listStatement("enrollments", "e", ENROLLMENT_JSON, "enrollments", "e.class_id = $3");
const USER_BY_ID = `select '{"user":' || ${USER_JSON} || '}' as body from provider.users u where u.sourced_id = $1`;

const app = new Hono();
const headersFor = (extra: Record<string, string>) => ({
  "Content-Type": "application/json",
  "X-Request-Id": randomUUID(),
  ...extra,
});

async function list(url: URL, statement: string, filterParam: string | undefined) {
  const limit = Math.min(Number(url.searchParams.get("limit") ?? 100), 10_000);
  const offset = Number(url.searchParams.get("offset") ?? 0);
  const params: (string | number)[] = [limit, offset];
  if (filterParam !== undefined) {
    params.push(filterParam);
  }
  const [row] = await sql.unsafe<{ total: number; body: string }[]>(statement, params, { prepare: true });
  if (!row) {
    throw new Error("no row");
  }
  const headers: Record<string, string> = { "X-Total-Count": String(row.total) };
  const link = linkHeader({
    url: `${job.publicUrl}${url.pathname}`,
    params: [...url.searchParams.entries()],
    offset,
    limit,
    total: row.total,
    maxBytes: LINK_HEADER_MAX_BYTES,
  });
  if (link) {
    headers.Link = link;
  }
  return { body: row.body, headers: headersFor(headers) };
}

const quoted = (filter: string, re: RegExp) => re.exec(filter)?.[1];

app.get("/ims/oneroster/v1p1/users", async (c) => {
  const url = new URL(c.req.url);
  const filter = url.searchParams.get("filter");
  const since = filter === null ? undefined : quoted(filter, /^dateLastModified>'([^']+)'$/);
  if (filter !== null && since === undefined) {
    return c.text("the ceiling serves no such filter", 400);
  }
  const page = await list(url, since === undefined ? USERS_ALL : USERS_SINCE, since);
  return c.body(page.body, 200, page.headers);
});

app.get("/ims/oneroster/v1p1/users/:id", async (c) => {
  const [row] = await sql.unsafe<{ body: string }[]>(USER_BY_ID, [c.req.param("id")], { prepare: true });
  return row ? c.body(row.body, 200, headersFor({})) : c.text("not found", 404);
});

app.get("/ims/oneroster/v1p1/enrollments", async (c) => {
  const url = new URL(c.req.url);
  const classId = quoted(url.searchParams.get("filter") ?? "", /^class\.sourcedId='([^']+)'$/);
  if (classId === undefined) {
    return c.text("the ceiling serves no such filter", 400);
  }
  const page = await list(url, ENROLLMENTS_OF_CLASS, classId);
  return c.body(page.body, 200, page.headers);
});

app.get("/bench/sample", async (c) => {
  const users = await sql<{ id: string }[]>`select sourced_id as id from provider.users order by sourced_id`;
  const classes = await sql<{ id: string }[]>`select sourced_id as id from provider.classes order by sourced_id`;
  const [range] = await sql<{ from: Date; to: Date }[]>`
    select min(date_last_modified) as from, max(date_last_modified) as to from provider.users`;
  const sample: BenchSample = {
    userIds: users.map((r) => r.id),
    classIds: classes.map((r) => r.id),
    usersFrom: range?.from.toISOString() ?? "",
    usersTo: range?.to.toISOString() ?? "",
  };
  return c.json(sample);
});

const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve, reject) => {
  const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (a: AddressInfo) =>
    resolve({ server: s, port: a.port }),
  );
  s.once("error", reject);
});
const info: SqlCeilingInfo = { origin: `http://127.0.0.1:${port}` };
announceReady(
  info,
  () =>
    new Promise<void>((resolve) => {
      server.close(() => {
        sql.end({ timeout: 2 }).then(() => resolve(), resolve);
      });
      if ("closeAllConnections" in server && typeof server.closeAllConnections === "function") {
        server.closeAllConnections();
      }
    }),
);
