// Validated query parameters → QuerySpec (notes §3, §3.4). Pure: no SQL, no hono. Unknown filter fields and
// malformed filters throw ApiError; unknown sort/selection fields become warnings, as v1p1 asks.
import {
  calendarProblem,
  DATE_RE,
  type EntityDescriptor,
  type FieldKind,
  type FilterOperator,
  FilterSyntaxError,
  parseFilter,
  parseInstant,
  type StatusInfo,
} from "../../oneroster/index.js";
import { ApiError, warning } from "../errors.js";
import type { QuirkName } from "../faults/presets.js";
import { SILENT_LIMIT_CAP } from "../faults/presets.js";

/** One filter predicate, checked against the entity's field kinds, with its value already typed. */
export interface ResolvedPredicate {
  /** Top-level wire field. */
  field: string;
  /** Sub-field of a dotted name: `sourcedId` on references, `type`/`identifier` on userIds. */
  sub?: string;
  kind: FieldKind;
  operator: FilterOperator;
  /** The raw string value. */
  value: string;
  /** Typed value for comparisons: a Date for date-times, a number, a boolean, or a YYYY-MM-DD string. */
  typed: string | number | boolean | Date;
  /** The `dlm-string-compare` quirk: compare the stored date-time as text with the value as written. */
  asText?: boolean;
}

export interface ResolvedFilter {
  logical: "AND" | "OR";
  predicates: ResolvedPredicate[];
  /** True when a predicate names status or dateLastModified: a delta read, which also sees gradebook tombstones. */
  touchesDelta: boolean;
}

export interface QuerySpec {
  /** Rows to fetch for this page (after the cap). */
  limit: number;
  /** The limit Link headers step by: the cap applied, or the request as sent under `silent-limit-cap`. */
  pageStep: number;
  offset: number;
  sort?: { field: string; direction: "asc" | "desc" };
  filter?: ResolvedFilter;
  /** Selected wire fields; undefined means every field. */
  fields?: string[];
  warnings: StatusInfo[];
}

export interface ParseOptions {
  limitCap: number;
  quirks: ReadonlySet<QuirkName>;
}

/** A query string reader: the first value of a parameter, or undefined. */
export type QueryReader = (name: string) => string | undefined;

export const DEFAULT_LIMIT = 100;
const NON_NEGATIVE_INT = /^\d+$/;
const SORTABLE: ReadonlySet<FieldKind["kind"]> = new Set([
  "id",
  "string",
  "enum",
  "date",
  "datetime",
  "number",
  "boolean",
  "ref",
]);

function parseCount(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) {
    return fallback;
  }
  const trimmed = raw.trim();
  if (!NON_NEGATIVE_INT.test(trimmed)) {
    throw new ApiError("invalid_data", `${name} must be a whole number of at least ${min}, got '${raw}'`);
  }
  const n = Number(trimmed);
  if (!Number.isSafeInteger(n)) {
    throw new ApiError("invalid_data", `${name} is too large: '${raw}'`);
  }
  if (n < min) {
    throw new ApiError("invalid_data", `${name} must be at least ${min}, got ${n}`);
  }
  return n;
}

/** `fields=` (notes §3.2): blank → 400; unknown names → warning and full records (notes §3.4). */
export function parseFields(
  raw: string | undefined,
  entity: EntityDescriptor,
  opts: ParseOptions,
  warnings: StatusInfo[],
): string[] | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const names = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (names.length === 0) {
    throw new ApiError("invalid_blank_selection", "fields is present but blank; list field names or leave it out");
  }
  const unknown = names.filter((n) => !Object.hasOwn(entity.fields, n));
  if (unknown.length > 0) {
    const message = `unknown selection field${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}; returning every field`;
    if (opts.quirks.has("unknown-field-400")) {
      throw new ApiError("invalid_data", message);
    }
    warnings.push(warning("invalid_selection_field", message));
    return undefined;
  }
  return [...new Set(names)];
}

/** Resolves one predicate against the entity's fields, typing its value; throws 400 invalid_filter_field. */
function resolvePredicate(
  entity: EntityDescriptor,
  field: string,
  operator: FilterOperator,
  value: string,
): ResolvedPredicate | undefined {
  const [top, sub, extra] = field.split(".");
  const kind = top !== undefined ? entity.fields[top] : undefined;
  if (!top || !kind || extra !== undefined) {
    return undefined;
  }
  const bad = (why: string): never => {
    throw new ApiError("invalid_filter", `filter on '${field}': ${why}`);
  };
  if (sub !== undefined) {
    const subOk =
      ((kind.kind === "ref" || kind.kind === "refs") && sub === "sourcedId") ||
      (top === "userIds" && (sub === "type" || sub === "identifier"));
    if (!subOk) {
      return undefined;
    }
  }
  const base = { field: top, ...(sub !== undefined ? { sub } : {}), kind, operator, value };
  switch (kind.kind) {
    case "id":
    case "string":
    case "enum":
      return { ...base, typed: value };
    case "ref":
    case "refs":
    case "strings":
      if (!["=", "!=", "~"].includes(operator) && kind.kind !== "ref") {
        bad(`operator ${operator} does not apply to a list; use =, != or ~`);
      }
      return { ...base, typed: value };
    case "json":
      if (top === "userIds" && sub !== undefined && ["=", "!=", "~"].includes(operator)) {
        return { ...base, typed: value };
      }
      return bad(
        sub === undefined
          ? "this field holds objects; filter on userIds.type or userIds.identifier"
          : `operator ${operator} does not apply here`,
      );
    case "date": {
      if (operator === "~") {
        bad("operator ~ does not apply to a date");
      }
      const instant = parseInstant(value);
      if (!instant) {
        bad(`'${value}' is not a date (YYYY-MM-DD): ${calendarProblem(value) ?? "not a calendar date"}`);
      }
      return { ...base, typed: DATE_RE.test(value) ? value : (instant as Date).toISOString().slice(0, 10) };
    }
    case "datetime": {
      if (operator === "~") {
        bad("operator ~ does not apply to a date-time");
      }
      const instant = parseInstant(value);
      if (!instant) {
        bad(
          `'${value}' is not an ISO 8601 date or date-time with a zone, e.g. 2026-01-31T00:00:00Z: ${calendarProblem(value) ?? "not a calendar date"}`,
        );
      }
      return { ...base, typed: instant as Date };
    }
    case "number": {
      const n = Number(value);
      if (value.trim() === "" || !Number.isFinite(n)) {
        bad(`'${value}' is not a number`);
      }
      if (operator === "~") {
        bad("operator ~ does not apply to a number");
      }
      return { ...base, typed: n };
    }
    case "boolean":
      if (value !== "true" && value !== "false") {
        bad(`'${value}' is not 'true' or 'false'`);
      }
      if (operator !== "=" && operator !== "!=") {
        bad(`operator ${operator} does not apply to a boolean; use = or !=`);
      }
      return { ...base, typed: value === "true" };
  }
}

/** `filter=` (notes §3.1) → resolved predicates; unknown field or malformed → 400 invalid_filter_field. */
export function parseFilterParam(
  raw: string | undefined,
  entity: EntityDescriptor,
  opts: ParseOptions,
): ResolvedFilter | undefined {
  if (raw === undefined) {
    return undefined;
  }
  let expr: ReturnType<typeof parseFilter>;
  try {
    expr = parseFilter(raw);
  } catch (e) {
    if (e instanceof FilterSyntaxError) {
      throw new ApiError(
        "invalid_filter",
        `malformed filter: ${e.message}. Form: field<op>'value' with op one of = != > >= < <= ~, joined by ' AND ' or ' OR '`,
      );
    }
    throw e;
  }
  const predicates: ResolvedPredicate[] = [];
  for (const p of expr.predicates) {
    const resolved = resolvePredicate(entity, p.field, p.operator, p.value);
    if (!resolved) {
      if (opts.quirks.has("ignore-unknown-filter-field")) {
        continue;
      }
      throw new ApiError("invalid_filter", `unknown filter field '${p.field}' for ${entity.collectionKey}`);
    }
    predicates.push(
      opts.quirks.has("dlm-string-compare") && resolved.field === "dateLastModified"
        ? { ...resolved, asText: true }
        : resolved,
    );
  }
  if (predicates.length === 0) {
    return undefined;
  }
  return {
    logical: expr.logical ?? "AND",
    predicates,
    touchesDelta: predicates.some((p) => p.field === "status" || p.field === "dateLastModified"),
  };
}

/** Parses every collection parameter (notes §3, §4). */
export function parseCollectionQuery(read: QueryReader, entity: EntityDescriptor, opts: ParseOptions): QuerySpec {
  const warnings: StatusInfo[] = [];
  const requested = parseCount("limit", read("limit"), DEFAULT_LIMIT, 1);
  const offset = parseCount("offset", read("offset"), 0, 0);
  const capped = Math.min(requested, opts.limitCap);
  const silentCap = opts.quirks.has("silent-limit-cap");
  const limit = silentCap ? Math.min(capped, SILENT_LIMIT_CAP) : capped;

  let sort: QuerySpec["sort"];
  const orderBy = read("orderBy");
  if (orderBy !== undefined && orderBy !== "asc" && orderBy !== "desc") {
    throw new ApiError("invalid_data", `orderBy must be 'asc' or 'desc', got '${orderBy}'`);
  }
  const sortField = read("sort");
  if (sortField !== undefined) {
    const kind = entity.fields[sortField];
    if (kind && SORTABLE.has(kind.kind)) {
      sort = { field: sortField, direction: orderBy ?? "asc" };
    } else {
      const message = kind
        ? `cannot sort by '${sortField}' (not a single value); using the default order, sourcedId ascending`
        : `unknown sort field '${sortField}'; using the default order, sourcedId ascending`;
      if (opts.quirks.has("unknown-field-400")) {
        throw new ApiError("invalid_data", message);
      }
      warnings.push(warning("invalid_sort_field", message));
    }
  }
  const filter = parseFilterParam(read("filter"), entity, opts);
  const fields = parseFields(read("fields"), entity, opts, warnings);
  return {
    limit,
    pageStep: silentCap ? capped : limit,
    offset,
    ...(sort ? { sort } : {}),
    ...(filter ? { filter } : {}),
    ...(fields ? { fields } : {}),
    warnings,
  };
}

/** Single-object reads take only `fields` (notes §4). */
export function parseSingleQuery(
  read: QueryReader,
  entity: EntityDescriptor,
  opts: ParseOptions,
): { fields?: string[]; warnings: StatusInfo[] } {
  const warnings: StatusInfo[] = [];
  const fields = parseFields(read("fields"), entity, opts, warnings);
  return fields ? { fields, warnings } : { warnings };
}
