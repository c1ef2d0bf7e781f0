// The v1p1 query-string vocabulary (notes §3): parameter names and the pure filter parser.
// No knowledge of entities or SQL here; the server validates field names against its descriptors.

export const QUERY_PARAMS = ["limit", "offset", "sort", "orderBy", "filter", "fields"] as const;

/** The seven predicates of notes §3.1. Order matters for tokenising: two-character operators first. */
export const FILTER_OPERATORS = ["!=", ">=", "<=", "=", ">", "<", "~"] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export interface FilterPredicate {
  /** Field name as written, possibly dotted (`orgs.sourcedId`). */
  field: string;
  operator: FilterOperator;
  /** Unquoted value; `''` inside a value stands for one quote. */
  value: string;
}

export interface FilterExpression {
  /** Logical operator joining the predicates; undefined with a single predicate. */
  logical?: "AND" | "OR";
  predicates: FilterPredicate[];
}

/** A filter that cannot be parsed; `message` says what is wrong and where. */
export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = "FilterSyntaxError";
  }
}

const FIELD_RE = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?/;
const SLOPPY_JOIN_RE = /' +(and|or) +[A-Za-z][A-Za-z0-9_.]*(!=|>=|<=|=|>|<|~)'/i;
const JOIN_RE = / (AND|OR) (?=[A-Za-z][A-Za-z0-9_.]*(!=|>=|<=|=|>|<|~)')/y;

/**
 * Parses `field<op>'value'` optionally joined by ` AND ` / ` OR ` (notes §3.1).
 * Values are single-quoted and may hold spaces and quotes: a quote closes the value only when it is
 * followed by the end of the filter or by ` AND `/` OR ` and another predicate, so `familyName='O'Brien'`
 * works as a human would expect; `''` is also accepted as an escaped quote. One kind of logical operator
 * per filter: `a AND b AND c` is fine, mixing AND with OR is rejected because v1p1 defines no precedence.
 */
export function parseFilter(input: string): FilterExpression {
  const predicates: FilterPredicate[] = [];
  let logical: "AND" | "OR" | undefined;
  let pos = 0;
  if (input.trim() === "") {
    throw new FilterSyntaxError("filter is empty", 0);
  }
  for (;;) {
    const fieldMatch = FIELD_RE.exec(input.slice(pos));
    if (!fieldMatch) {
      throw new FilterSyntaxError(`expected a field name at position ${pos}`, pos);
    }
    const field = fieldMatch[0];
    pos += field.length;
    const operator = FILTER_OPERATORS.find((op) => input.startsWith(op, pos));
    if (!operator) {
      throw new FilterSyntaxError(
        `expected one of ${FILTER_OPERATORS.join(" ")} after '${field}' at position ${pos}`,
        pos,
      );
    }
    pos += operator.length;
    if (input[pos] !== "'") {
      throw new FilterSyntaxError(`the value for '${field}' must be in single quotes (position ${pos})`, pos);
    }
    const valueStart = pos + 1;
    // Find the closing quote: the first quote followed by end-of-input or a logical join.
    let close = -1;
    for (let i = valueStart; i < input.length; i++) {
      if (input[i] !== "'") {
        continue;
      }
      if (input[i + 1] === "'" && i + 1 < input.length - 1) {
        i++; // escaped quote ('') inside the value
        continue;
      }
      if (i === input.length - 1) {
        close = i;
        break;
      }
      JOIN_RE.lastIndex = i + 1;
      if (JOIN_RE.test(input)) {
        close = i;
        break;
      }
    }
    if (close < 0) {
      throw new FilterSyntaxError(`the value for '${field}' has no closing quote`, pos);
    }
    const raw = input.slice(valueStart, close);
    // A join in the wrong case or spacing would otherwise vanish into the value; say so instead.
    if (SLOPPY_JOIN_RE.test(raw)) {
      throw new FilterSyntaxError(
        "logical operators are ' AND ' or ' OR ': upper case, one space on each side",
        valueStart,
      );
    }
    predicates.push({ field, operator, value: raw.replace(/''/g, "'") });
    pos = close + 1;
    if (pos === input.length) {
      break;
    }
    JOIN_RE.lastIndex = pos;
    const join = JOIN_RE.exec(input);
    if (!join) {
      throw new FilterSyntaxError(`expected ' AND ' or ' OR ' at position ${pos}`, pos);
    }
    const word = join[1] as "AND" | "OR";
    if (logical && logical !== word) {
      throw new FilterSyntaxError("AND and OR cannot be mixed in one filter (v1p1 defines no precedence)", pos);
    }
    logical = word;
    pos += word.length + 2;
  }
  return logical ? { logical, predicates } : { predicates };
}

/** Renders a filter back to its wire form (the inverse of parseFilter for values without quotes). */
export function formatFilter(expr: FilterExpression): string {
  const parts = expr.predicates.map((p) => `${p.field}${p.operator}'${p.value.replace(/'/g, "''")}'`);
  return parts.join(` ${expr.logical ?? "AND"} `);
}
