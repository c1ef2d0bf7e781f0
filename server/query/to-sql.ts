// QuerySpec → SQL: the only place a OneRoster filter or sort becomes SQL (notes §3.1, §3.3, §8).
// Strings compare and sort by code point (COLLATE "C") so every backend and every client agree on order.
import { and, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { EntityTable } from "../repo/tables.js";
import type { ResolvedFilter, ResolvedPredicate } from "./parse.js";

type Expr = AnyPgColumn | SQL;

/**
 * How a filter value enters the SQL: as itself (a bind parameter of this statement), or as a named placeholder whose
 * value is kept aside, so statements of the same filter shape share one text (see placeholderBinder).
 */
export type Bind = (value: unknown) => unknown;
const asParam: Bind = (value) => value;

/** A Bind that names each value f0, f1, … in the order the filter is turned into SQL, and keeps the values. */
export function placeholderBinder(): { bind: Bind; values: Record<string, unknown> } {
  const values: Record<string, unknown> = {};
  let next = 0;
  return {
    values,
    bind: (value) => {
      const name = `f${next++}`;
      values[name] = value;
      return sql.placeholder(name);
    },
  };
}

/**
 * The values placeholderBinder collects while a filter is turned into SQL (f0, f1, … in predicate order, one each),
 * without turning it into SQL: for a read whose statement of this filter shape is already built.
 */
export function filterPlaceholderValues(filter: ResolvedFilter | undefined): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  if (filter) {
    for (let i = 0; i < filter.predicates.length; i++) {
      values[`f${i}`] = predicateValue(filter.predicates[i] as ResolvedPredicate);
    }
  }
  return values;
}

/**
 * What the SQL of a filter depends on besides its values: its fields, operators, value kinds and logical operator.
 * Two filters of one shape give the same statement text under placeholderBinder.
 */
export function filterShape(filter: ResolvedFilter | undefined): string {
  if (!filter) {
    return "-";
  }
  return JSON.stringify([
    filter.logical,
    filter.touchesDelta,
    filter.predicates.map((p) => [p.field, p.operator, p.kind.kind, p.sub ?? null, p.asText ?? null]),
  ]);
}

/** Escapes LIKE metacharacters so `~` is a plain substring match. */
function likePattern(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** to_char format of a date-time as presented on the wire (`2026-09-15T12:00:00.000Z`). */
const WIRE_DATETIME = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';

const SQL_OPS = { "=": "=", "!=": "<>", ">": ">", ">=": ">=", "<": "<", "<=": "<=" } as const;

/** A scalar comparison; `!=` keeps rows where the field is absent (IS DISTINCT FROM). */
function compare(left: SQL, operator: ResolvedPredicate["operator"], right: SQL): SQL {
  if (operator === "~") {
    throw new Error("compare() does not handle ~");
  }
  if (operator === "!=") {
    return sql`${left} is distinct from ${right}`;
  }
  return sql`${left} ${sql.raw(SQL_OPS[operator])} ${right}`;
}

/**
 * The one value a predicate binds: what predicateToSql compares the field with. Kept apart so that a read whose
 * statement is already built gets its values without building the SQL again (filterPlaceholderValues).
 */
function predicateValue(p: ResolvedPredicate): unknown {
  switch (p.kind.kind) {
    case "id":
    case "string":
    case "enum":
    case "ref":
    case "strings":
    case "refs":
    case "json":
      return p.operator === "~" ? likePattern(p.value) : p.value;
    case "date":
      return p.typed as string;
    case "datetime":
      // Real timestamps, not strings (notes §8): a date-only value is midnight UTC. The `dlm-string-compare` quirk
      // compares the text as sent.
      return p.asText ? p.value : (p.typed as Date).toISOString();
    case "number":
      return p.typed as number;
    case "boolean":
      // Passed as a JS boolean: PGlite's serializer rejects the string 'true' for a boolean parameter.
      return p.typed as boolean;
  }
}

/** One predicate → SQL boolean. The parser has already checked that the operator applies to the field's kind. */
export function predicateToSql(p: ResolvedPredicate, col: Expr, bind: Bind = asParam): SQL {
  const { operator } = p;
  const value = sql`${bind(predicateValue(p))}`;
  switch (p.kind.kind) {
    case "id":
    case "string":
    case "enum":
    case "ref": {
      const text = sql`${col}`;
      if (operator === "~") {
        return sql`${text} ilike ${value}`;
      }
      if (operator === "=" || operator === "!=") {
        return compare(text, operator, value);
      }
      return compare(sql`${text} collate "C"`, operator, value);
    }
    case "strings":
    case "refs": {
      // "array contains" semantics for = (notes §3.1 mock extras).
      if (operator === "=") {
        return sql`${value} = any(${col})`;
      }
      if (operator === "!=") {
        return sql`not (${value} = any(coalesce(${col}, '{}')))`;
      }
      return sql`exists (select 1 from unnest(${col}) as el(v) where el.v ilike ${value})`;
    }
    case "json": {
      // userIds.type / userIds.identifier
      const key = p.sub === "type" ? "type" : "identifier";
      const match = operator === "~" ? sql`e->>${key} ilike ${value}` : sql`e->>${key} = ${value}`;
      const exists = sql`exists (select 1 from jsonb_array_elements(coalesce(${col}, '[]'::jsonb)) as e where ${match})`;
      return operator === "!=" ? sql`not ${exists}` : exists;
    }
    case "date":
      return compare(sql`${col}`, operator, sql`${value}::date`);
    case "datetime":
      if (p.asText) {
        // The `dlm-string-compare` quirk: the defect notes §8 warns about, on purpose.
        const text = sql`to_char(${col} at time zone 'UTC', ${WIRE_DATETIME}) collate "C"`;
        return compare(text, operator, value);
      }
      return compare(sql`${col}`, operator, sql`${value}::timestamptz`);
    case "number":
      return compare(sql`${col}`, operator, sql`${value}::float8`);
    case "boolean":
      return compare(sql`${col}`, operator, sql`${value}::boolean`);
  }
}

/** The whole filter: predicates joined by its one logical operator. */
export function filterToSql(filter: ResolvedFilter, table: EntityTable, bind: Bind = asParam): SQL {
  const parts = filter.predicates.map((p) => {
    const col = table.columns[p.field];
    if (!col) {
      throw new Error(`no column for field ${p.field}`);
    }
    return sql`(${predicateToSql(p, col, bind)})`;
  });
  return sql.join(parts, sql.raw(filter.logical === "OR" ? " or " : " and "));
}

/** Conditions every read of this table shares, plus the request's filter. */
export function whereToSql(
  table: EntityTable,
  scope: SQL[],
  filter: ResolvedFilter | undefined,
  opts: { hideTombstones: boolean; bind?: Bind },
): SQL | undefined {
  const parts: SQL[] = [...scope];
  // A gradebook DELETE hides the tombstone from ordinary reads; a delta read (filter on status or
  // dateLastModified) still sees it (notes §7.2, §8).
  if (table.deleted && !filter?.touchesDelta) {
    parts.push(sql`${table.deleted} = false`);
  }
  if (opts.hideTombstones) {
    parts.push(sql`${table.status} <> 'tobedeleted'`);
  }
  if (filter) {
    parts.push(sql`(${filterToSql(filter, table, opts.bind)})`);
  }
  return parts.length > 0 ? and(...parts) : undefined;
}

/**
 * ORDER BY for a sort field, always ending in sourcedId so paging never skips or repeats (notes §3.3).
 * Descending is the exact reverse of ascending (nulls last ascending, first descending).
 */
export function orderToSql(
  table: EntityTable,
  sort: { field: string; direction: "asc" | "desc" } | undefined,
  textFields: ReadonlySet<string>,
): SQL[] {
  const idOrder = sort?.direction === "desc" ? sql`${table.id} desc` : sql`${table.id} asc`;
  if (!sort || sort.field === "sourcedId") {
    return [idOrder];
  }
  const col = table.columns[sort.field];
  if (!col) {
    return [idOrder];
  }
  const expr = textFields.has(sort.field) ? sql`${col} collate "C"` : sql`${col}`;
  return [sort.direction === "desc" ? sql`${expr} desc nulls first` : sql`${expr} asc nulls last`, idOrder];
}
