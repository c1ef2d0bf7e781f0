// Picks fields and values out of real records for the query checks (sorting, filtering, fields), and the
// comparisons a check may hold a provider to when collations legitimately differ (code point vs locale).
import { ENTITIES, type EntityName, type FieldKind, parseInstant } from "../oneroster/index.js";

type Rec = Record<string, unknown>;

const SORTABLE: readonly FieldKind["kind"][] = ["string", "enum", "date", "datetime", "number"];

/** Distinct values of a scalar field over the records that carry it. */
export function distinctValues(records: readonly Rec[], field: string): unknown[] {
  return [
    ...new Set(records.map((r) => r[field]).filter((v) => v !== undefined && v !== null && typeof v !== "object")),
  ];
}

/**
 * The field a sort check uses: a scalar field every record carries (sourcedId excluded, since it is the
 * usual default order and would hide a page-local sort), with the most distinct values; strings first.
 */
export function pickSortField(
  entity: EntityName,
  records: readonly Rec[],
): { field: string; kind: FieldKind["kind"] } | undefined {
  let best: { field: string; kind: FieldKind["kind"]; score: number } | undefined;
  for (const [field, kind] of Object.entries(ENTITIES[entity].fields)) {
    if (
      field === "sourcedId" ||
      !SORTABLE.includes(kind.kind) ||
      !records.every((r) => r[field] !== undefined && r[field] !== null)
    ) {
      continue;
    }
    const score = distinctValues(records, field).length * (kind.kind === "string" ? 2 : 1);
    if (score > 1 && (!best || score > best.score)) {
      best = { field, kind: kind.kind, score };
    }
  }
  return best ? { field: best.field, kind: best.kind } : undefined;
}

/** A string field for filter checks: carried by most records, with the most distinct values. */
export function pickStringField(
  entity: EntityName,
  records: readonly Rec[],
  exclude: readonly string[] = [],
): string | undefined {
  let best: { field: string; score: number } | undefined;
  for (const [field, kind] of Object.entries(ENTITIES[entity].fields)) {
    if (kind.kind !== "string" || exclude.includes(field)) {
      continue;
    }
    const carried = records.filter((r) => typeof r[field] === "string" && r[field] !== "").length;
    if (carried < records.length / 2) {
      continue;
    }
    const score = distinctValues(records, field).length;
    if (score > 1 && (!best || score > best.score)) {
      best = { field, score };
    }
  }
  return best?.field;
}

/** An enum field whose values split the records most evenly (for counts after filtering). */
export function pickEnumField(
  entity: EntityName,
  records: readonly Rec[],
): { field: string; value: string } | undefined {
  let best: { field: string; value: string; score: number } | undefined;
  for (const [field, kind] of Object.entries(ENTITIES[entity].fields)) {
    if (kind.kind !== "enum") {
      continue;
    }
    for (const value of distinctValues(records, field)) {
      if (typeof value !== "string") {
        continue;
      }
      const n = records.filter((r) => r[field] === value).length;
      const score = Math.min(n, records.length - n);
      if (!best || score > best.score) {
        best = { field, value, score };
      }
    }
  }
  return best ? { field: best.field, value: best.value } : undefined;
}

/** The most frequent value of a string field. */
export function mostFrequent(records: readonly Rec[], field: string): string | undefined {
  const counts = new Map<string, number>();
  for (const r of records) {
    const v = r[field];
    if (typeof v === "string") {
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
}

export type Comparator = (a: unknown, b: unknown) => number;

const codePoint: Comparator = (a, b) => {
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
};
const locale = new Intl.Collator("en");
const localeBase = new Intl.Collator("en", { sensitivity: "base" });

/** Orders a provider may legitimately use for a field kind: code point or locale collation for strings. */
export function comparatorsFor(kind: FieldKind["kind"]): Comparator[] {
  switch (kind) {
    case "number":
      return [(a, b) => Number(a) - Number(b)];
    case "date":
    case "datetime":
      return [(a, b) => (parseInstant(String(a))?.getTime() ?? 0) - (parseInstant(String(b))?.getTime() ?? 0)];
    default:
      return [
        codePoint,
        (a, b) => locale.compare(String(a), String(b)),
        (a, b) => localeBase.compare(String(a), String(b)),
      ];
  }
}

/** Index of the first out-of-order pair under every comparator, or -1 when some comparator accepts the order. */
export function firstDisorder(values: readonly unknown[], kind: FieldKind["kind"], direction: "asc" | "desc"): number {
  let worst = -1;
  for (const cmp of comparatorsFor(kind)) {
    const bad = values.findIndex(
      (v, i) => i > 0 && (direction === "asc" ? cmp(values[i - 1], v) > 0 : cmp(values[i - 1], v) < 0),
    );
    if (bad < 0) {
      return -1;
    }
    worst = Math.max(worst, bad);
  }
  return worst;
}

/**
 * Whether `value op pivot` holds for a string, as: true (every accepted collation agrees), false (all agree
 * it does not) or undefined (collations disagree, so the record proves nothing either way).
 */
export function stringRelation(value: string, op: ">" | ">=" | "<" | "<=", pivot: string): boolean | undefined {
  const verdicts = new Set(
    comparatorsFor("string").map((cmp) => {
      const c = cmp(value, pivot);
      return op === ">" ? c > 0 : op === ">=" ? c >= 0 : op === "<" ? c < 0 : c <= 0;
    }),
  );
  return verdicts.size === 1 ? [...verdicts][0] : undefined;
}
