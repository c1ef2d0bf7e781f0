// The wire form of a record built by Postgres: for each entity, an SQL expression giving exactly the JSON text that
// JSON.stringify(presentRecord(…)) gives for the same row (record.ts is the rule; this is its twin, and
// test/db/json-sql.test.ts holds them equal for every entity and field kind). Reads use it so that a page's body
// comes out of the database as text, without decoding, mapping and stringifying rows in Node.
import { type SQL, sql } from "drizzle-orm";
import { type AnyPgColumn, PgDialect } from "drizzle-orm/pg-core";
import { ENTITIES, type EntityName, type FieldKind, type GuidType, HREF_PATH } from "../../oneroster/index.js";
import { ENTITY_TABLES } from "../repo/tables.js";
import type { BooleanForm } from "./record.js";

type Expr = AnyPgColumn | SQL;

/** A JSON string of a text expression: to_json escapes exactly as JSON.stringify does (PostgreSQL text has no lone surrogates). */
const jsonText = (e: Expr | SQL) => sql`to_json(${e})::text`;

/** A constant of our own (field names, paths, type names) as an SQL literal, so the statement text stays the same. */
const literal = (text: string) => sql.raw(`'${text.replace(/'/g, "''")}'`);

/** Characters encodeURIComponent leaves alone. */
const URI_SAFE = sql.raw(`'^[A-Za-z0-9_.!~*''()-]*$'`);

/** encodeURIComponent in SQL: ids made of safe characters as they are (the usual case), else each UTF-8 byte as %XX. */
function uriComponent(e: SQL): SQL {
  return sql`(case when ${e} ~ ${URI_SAFE} then ${e} else (select string_agg(case when ch.c ~ ${URI_SAFE} then ch.c else upper(regexp_replace(encode(convert_to(ch.c, 'UTF8'), 'hex'), '(..)', '%\\1', 'g')) end, '' order by ch.i) from regexp_split_to_table(${e}, '') with ordinality as ch(c, i)) end)`;
}

/** A GUIDRef `{href, sourcedId, type}` of an id expression (notes §2.2). */
function refJson(base: SQL, target: GuidType, id: SQL): SQL {
  const path = `/${HREF_PATH[target]}/`;
  return sql`'{"href":' || ${jsonText(sql`${base} || ${literal(path)} || ${uriComponent(id)}`)} || ',"sourcedId":' || ${jsonText(id)} || ${literal(`,"type":"${target}"}`)}`;
}

/** Whether a jsonb value is an object whose values are strings, booleans or null (the shapes the SQL below writes). */
const flatObject = (e: SQL) =>
  sql`(jsonb_typeof(${e}) = 'object' and not exists (select 1 from jsonb_each(${e}) as fo(k, v) where jsonb_typeof(fo.v) not in ('string', 'boolean', 'null')))`;

/** Compact text of a flat object in jsonb key order (the order JSON.parse of its text gives). */
const flatObjectText = (e: SQL) =>
  sql`(select coalesce('{' || string_agg(to_json(ft.k)::text || ':' || ft.v::text, ',' order by ft.n) || '}', '{}') from jsonb_each(${e}) with ordinality as ft(k, v, n))`;

/**
 * A json field's text where SQL can write it exactly (null, a flat object, an array of flat objects or strings); any
 * other value (numbers, nesting) makes `exact` false, and the caller presents that page in Node instead.
 */
function jsonField(col: Expr): { text: SQL; exact: SQL } {
  const v = sql`${col}`;
  const element = sql`ae.v`;
  const arrayExact = sql`not exists (select 1 from jsonb_array_elements(${v}) as ae(v) where not (jsonb_typeof(${element}) = 'string' or ${flatObject(element)}))`;
  const text = sql`case when jsonb_typeof(${v}) = 'object' then ${flatObjectText(v)}
    when jsonb_typeof(${v}) = 'array' and jsonb_array_length(${v}) > 0 then (select '[' || string_agg(case when jsonb_typeof(ae.v) = 'string' then ae.v::text else ${flatObjectText(element)} end, ',' order by ae.n) || ']' from jsonb_array_elements(${v}) with ordinality as ae(v, n)) end`;
  const exact = sql`(${v} is null or jsonb_typeof(${v}) = 'null' or ${flatObject(v)} or (jsonb_typeof(${v}) = 'array' and ${arrayExact}))`;
  return { text, exact };
}

/** One field's `"name":value` text, NULL when presentRecord leaves it out; `exact` false where SQL cannot match it. */
function fieldText(
  name: string,
  kind: FieldKind,
  col: Expr,
  base: SQL,
  booleans: BooleanForm,
): { text: SQL; exact?: SQL } {
  const key = literal(`"${name}":`);
  const v = sql`${col}`;
  const keyed = (value: SQL) => sql`${key} || ${value}`;
  switch (kind.kind) {
    case "id":
    case "string":
    case "enum":
      return { text: keyed(jsonText(sql`nullif(${v}, '')`)) };
    case "datetime":
      // timestamptz(3): milliseconds, as Date.toISOString writes them.
      return { text: keyed(sql`'"' || to_char(${v} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'`) };
    case "date":
      return { text: keyed(sql`'"' || to_char(${v}, 'YYYY-MM-DD') || '"'`) };
    case "number":
      // float8's shortest text is JavaScript's between 1e-4 and 1e15; outside it (exponents) the row goes to Node.
      return {
        text: keyed(sql`${v}::text`),
        exact: sql`(${v} is null or ${v} = 0 or (abs(${v}) >= 1e-4 and abs(${v}) < 1e15))`,
      };
    case "boolean": {
      const [t, f] = booleans === "string" ? ['"true"', '"false"'] : ["true", "false"];
      return { text: keyed(sql`(case when ${v} then ${literal(t)} when not ${v} then ${literal(f)} end)`) };
    }
    case "strings":
      return { text: keyed(sql`(case when cardinality(${v}) > 0 then array_to_json(${v})::text end)`) };
    case "ref":
      return { text: keyed(sql`(case when ${v} <> '' then ${refJson(base, kind.target, v)} end)`) };
    case "refs":
      return {
        text: keyed(
          sql`(select '[' || string_agg(${refJson(base, kind.target, sql`rf.v`)}, ',' order by rf.n) || ']' from unnest(${v}) with ordinality as rf(v, n))`,
        ),
      };
    case "json": {
      const { text, exact } = jsonField(col);
      return { text: keyed(text), exact };
    }
  }
}

export interface RecordJsonSql {
  /** The record's JSON text. */
  json: SQL;
  /** True when `json` is exactly what presentRecord gives; false rows must be presented in Node. */
  exact: SQL;
}

/** Renders the expressions once; the db's own casing (snake_case), so the column names are the ones it writes. */
const dialect = new PgDialect({ casing: "snake_case" });

/** One drizzle SQL rendered to a single raw chunk: a large expression then costs nothing to build per request. */
function frozen(expr: SQL): SQL {
  const { sql: text, params } = dialect.sqlToQuery(expr);
  if (params.length > 0) {
    throw new Error("a frozen record expression must carry no parameters");
  }
  return sql.raw(text);
}

/**
 * The SQL of one entity's record text over its table, for `base` (the absolute base URL of hrefs), the requested
 * `fields` (in their order, as presentRecord takes them) and the boolean form. Built once per combination by the
 * caller: the result is raw SQL text with `base` as a literal, so a statement using it stays the same text (and
 * prepared) from request to request.
 */
export function recordJsonSql(
  entity: EntityName,
  base: string,
  fields: readonly string[] | undefined,
  booleans: BooleanForm,
): RecordJsonSql {
  const descriptor = ENTITIES[entity].fields;
  const columns = ENTITY_TABLES[entity].columns;
  const baseSql = literal(base);
  const names = [...new Set(fields ?? Object.keys(descriptor))];
  const parts: SQL[] = [];
  const exact: SQL[] = [];
  for (const name of names) {
    const kind = descriptor[name];
    const col = columns[name];
    if (!kind || !col) {
      continue;
    }
    const f = fieldText(name, kind, col, baseSql, booleans);
    parts.push(f.text);
    if (f.exact) {
      exact.push(f.exact);
    }
  }
  return {
    json: frozen(sql`'{' || concat_ws(',', ${sql.join(parts, sql`, `)}) || '}'`),
    exact: frozen(exact.length > 0 ? sql`(${sql.join(exact, sql` and `)})` : sql`true`),
  };
}
