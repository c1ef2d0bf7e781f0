// The wire form of a record built by Postgres: for each entity, an SQL expression giving exactly the JSON text that
// JSON.stringify(presentRecord(…)) gives for the same row (record.ts is the rule; this is its twin, and
// test/server/json-sql.test.ts holds them equal for every entity and field kind). Reads use it so that a page's body
// comes out of the database as text, without decoding, mapping and stringifying rows in Node.
import { getTableName, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { ENTITIES, type EntityName, type FieldKind, type GuidType, HREF_PATH } from "../../oneroster/index.js";
import { renderSql } from "../db/client.js";
import { ENTITY_TABLES, type EntityTable } from "../repo/tables.js";
import type { BooleanForm } from "./record.js";

type Expr = AnyPgColumn | SQL;

/** A JSON string of a text expression: to_json escapes exactly as JSON.stringify does (PostgreSQL text has no lone surrogates). */
const jsonText = (e: Expr | SQL) => sql`to_json(${e})::text`;

/** A constant of our own (field names, paths, type names) as an SQL literal, so the statement text stays the same. */
const literal = (text: string) => sql.raw(`'${text.replace(/'/g, "''")}'`);

/**
 * Ids made only of characters encodeURIComponent leaves alone (the usual case). Such an id is its own percent-encoding
 * and its own JSON string content, so its GUIDRef is plain concatenation. A row with any other id in a reference is
 * not exact: Node presents it (present/record.ts encodes it). No SQL here has a subquery: every subquery in a
 * statement's expressions is a sub-plan that Postgres sets up on each execution, used or not, and on single-record
 * reads that set-up was a quarter of the statement's cost.
 */
const URI_SAFE = sql.raw(`'^[A-Za-z0-9_.!~*''()-]*$'`);

/** The JSON string content of `text` (JSON.stringify without the quotes), as an SQL literal. */
const jsonContent = (text: string) => literal(JSON.stringify(text).slice(1, -1));

/** A GUIDRef `{href, sourcedId, type}` (notes §2.2) of a URI-safe, non-empty id expression. */
function refJson(base: string, target: GuidType, id: SQL): SQL {
  const href = jsonContent(`${base}/${HREF_PATH[target]}/`);
  return sql`'{"href":"' || ${href} || ${id} || '","sourcedId":"' || ${id} || ${literal(`","type":"${target}"}`)}`;
}

/**
 * The GUIDRefs of an array of URI-safe ids: each string of the array's compact JSON text becomes a GUIDRef. The ids
 * hold no quote or backslash, so `"([^"]*)"` finds exactly them; the replacement is escaped for regexp_replace.
 */
function refsJson(base: string, target: GuidType, ids: SQL): SQL {
  // A backslash in the replacement must be doubled; `\1` is the id.
  const href = JSON.stringify(`${base}/${HREF_PATH[target]}/`).slice(1, -1).replace(/\\/g, "\\\\");
  const replacement = `{"href":"${href}\\1","sourcedId":"\\1","type":"${target}"}`;
  return sql`regexp_replace(array_to_json(${ids})::text, '"([^"]*)"', ${literal(replacement)}, 'g')`;
}

/**
 * Compact JSON text of a jsonb value, as JSON.stringify(JSON.parse(text)) writes it: jsonb's own text puts a space
 * after each `:` and `,` between tokens, and the pattern drops exactly those. Strings are matched whole from their
 * opening quote (a string is always a match, so the scan never starts inside one), and written back unchanged.
 */
const compactJson = (e: SQL) => sql`regexp_replace(${e}::text, '("(?:[^"\\\\]|\\\\.)*")|([:,]) ', '\\1\\2', 'g')`;

/**
 * jsonpath matching a json field's value SQL cannot write exactly: anything but null, an object of strings, booleans
 * and nulls, or an array of strings and such objects (numbers print differently, nesting is left to Node).
 */
const INEXACT_JSON = literal(
  [
    "strict $ ? (",
    '(@.type() == "object" && exists(@.* ? (@.type() != "string" && @.type() != "boolean" && @.type() != "null")))',
    ' || (@.type() == "array" && exists(@[*] ? (@.type() != "string" && (@.type() != "object"',
    ' || exists(@.* ? (@.type() != "string" && @.type() != "boolean" && @.type() != "null"))))))',
    ' || (@.type() != "object" && @.type() != "array" && @.type() != "null"))',
  ].join(""),
);

/**
 * A json field's text where SQL can write it exactly (null, a flat object, an array of flat objects or strings); any
 * other value (numbers, nesting) makes `exact` false, and the caller presents that page in Node instead.
 */
function jsonField(col: Expr): { text: SQL; exact: SQL } {
  const v = sql`${col}`;
  const text = sql`(case when jsonb_typeof(${v}) = 'object' or (jsonb_typeof(${v}) = 'array' and jsonb_array_length(${v}) > 0) then ${compactJson(v)} end)`;
  const exact = sql`(${v} is null or not jsonb_path_exists(${v}, ${INEXACT_JSON}::jsonpath))`;
  return { text, exact };
}

interface FieldSql {
  text: SQL;
  /** False where SQL cannot write the value exactly. */
  exact?: SQL;
  /** The ids the field puts in hrefs, as one text: they must all be URI-safe for `text` to be exact. */
  ids?: SQL;
}

/** One field's `"name":value` text, NULL when presentRecord leaves it out; `exact` false where SQL cannot match it. */
function fieldText(name: string, kind: FieldKind, col: Expr, base: string, booleans: BooleanForm): FieldSql {
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
    // The text assumes URI-safe ids; the record's `exact` checks them all at once (recordJsonSql).
    case "ref":
      return { text: keyed(sql`(case when ${v} <> '' then ${refJson(base, kind.target, v)} end)`), ids: v };
    case "refs":
      return {
        text: keyed(sql`(case when cardinality(${v}) > 0 then ${refsJson(base, kind.target, v)} end)`),
        ids: sql`array_to_string(${v}, '')`,
        exact: sql`array_position(${v}, null) is null`,
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

/**
 * One drizzle SQL rendered to a single raw chunk, its columns qualified by the bare table name instead of
 * `"schema"."table"`: the statements that use it read the table, or the page of its rows, under that name (see
 * repo/records.ts listJsonQuery). A raw chunk costs nothing to build per request, and a shorter statement text costs
 * less on every execution (postgres.js hashes the whole text to find its prepared statement). The schema qualifier
 * cannot occur in a literal here: every literal is JSON-escaped or our own constant.
 */
export function overTableName(expr: SQL, table: EntityTable["table"]): SQL {
  // Rendered as the drivers render SQL (snake_case), so the column names are the ones the db has.
  const { sql: text, params } = renderSql(expr);
  if (params.length > 0) {
    throw new Error("an expression over the table name must carry no parameters");
  }
  const qualified = `${renderSql(sql`${table}`).sql}.`;
  const bare = `${renderSql(sql`${sql.identifier(getTableName(table))}`).sql}.`;
  return sql.raw(text.split(qualified).join(bare));
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
  const { columns, table } = ENTITY_TABLES[entity];
  const names = [...new Set(fields ?? Object.keys(descriptor))];
  const parts: SQL[] = [];
  const exact: SQL[] = [];
  const ids: SQL[] = [];
  for (const name of names) {
    const kind = descriptor[name];
    const col = columns[name];
    if (!kind || !col) {
      continue;
    }
    const f = fieldText(name, kind, col, base, booleans);
    parts.push(f.text);
    if (f.exact) {
      exact.push(f.exact);
    }
    if (f.ids) {
      ids.push(f.ids);
    }
  }
  // One pattern match per record over all its referenced ids (concat skips nulls): a match per field was most of the
  // cost of `exact` on list pages.
  if (ids.length > 0) {
    exact.push(sql`concat(${sql.join(ids, sql`, `)}) ~ ${URI_SAFE}`);
  }
  return {
    json: overTableName(sql`'{' || concat_ws(',', ${sql.join(parts, sql`, `)}) || '}'`, table),
    exact: overTableName(exact.length > 0 ? sql`(${sql.join(exact, sql` and `)})` : sql`true`, table),
  };
}
