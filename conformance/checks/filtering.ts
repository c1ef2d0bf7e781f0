// Filtering checks (notes §3.1, §3.4): each predicate on a string field and on dateLastModified, AND, OR,
// values with spaces, and 400 for unknown fields. Expected sets are computed from the collection read in full.
import {
  type Endpoint,
  type FilterExpression,
  type FilterOperator,
  formatFilter,
  parseInstant,
} from "../../oneroster/index.js";
import { type Check, type CheckOutcome, READ_PROFILES } from "../check.js";
import type { CheckContext } from "../context.js";
import {
  eachPrimaryAnswer,
  fitsReference,
  primaryCollections,
  readAll,
  referenceSet,
  topLevelCollections,
} from "../discovery.js";
import { eachOf, ensure, expectErrorPayload, expectStatus, fail } from "../expect.js";
import { mostFrequent, pickEnumField, pickStringField, stringRelation } from "../samples.js";

type Rec = Record<string, unknown>;
/** Per record: true = must be returned, false = must not, undefined = either is acceptable. */
type Expectation = (r: Rec) => boolean | undefined;

/** Runs a filter and compares the ids returned with the expectation over the whole collection. */
async function expectFiltered(
  ctx: CheckContext,
  ep: Endpoint,
  expr: FilterExpression,
  expect: Expectation,
): Promise<void> {
  const filter = formatFilter(expr);
  const all = await referenceSet(ctx, ep);
  const got = await readAll(ctx, ep.path, ep.envelope, { filter });
  const ids = new Set(got.records.map((r) => String(r.sourcedId)));
  const missing = all.filter((r) => expect(r) === true && !ids.has(String(r.sourcedId)));
  const extra = got.records.filter((r) => {
    const base = all.find((a) => a.sourcedId === r.sourcedId);
    return base ? expect(base) === false : false;
  });
  if (missing.length > 0 || extra.length > 0) {
    const example = missing[0] ?? extra[0];
    const field = expr.predicates[0]?.field ?? "";
    fail(
      `${ep.path}?filter=${filter}: ${missing.length} matching record(s) missing, ${extra.length} non-matching record(s) returned`,
      got.pages[0],
      { sourcedId: example?.sourcedId, [field]: example?.[field], status: missing[0] ? "missing" : "should not match" },
    );
  }
}

const lower = (v: unknown) => String(v).toLowerCase();

/** Expectation for `=`/`!=`/`~` on a string: exact case counts, case-insensitive matching tolerated (§3.1 [I]). */
function stringExpectation(field: string, op: FilterOperator, value: string): Expectation {
  return (r) => {
    const v = r[field];
    if (typeof v !== "string") {
      return op === "!=" ? undefined : false;
    }
    switch (op) {
      case "=":
        return v === value ? true : lower(v) === lower(value) ? undefined : false;
      case "!=":
        return v === value ? false : lower(v) === lower(value) ? undefined : true;
      case "~":
        return v.includes(value) ? true : lower(v).includes(lower(value)) ? undefined : false;
      default:
        return stringRelation(v, op, value);
    }
  };
}

/** Expectation for a comparison on dateLastModified, compared as instants (notes §8). */
function instantExpectation(op: FilterOperator, pivot: string): Expectation {
  const p = parseInstant(pivot)?.getTime() ?? 0;
  return (r) => {
    const t = parseInstant(String(r.dateLastModified))?.getTime();
    if (t === undefined) {
      return undefined;
    }
    switch (op) {
      case ">":
        return t > p;
      case ">=":
        return t >= p;
      case "<":
        return t < p;
      case "<=":
        return t <= p;
      case "=":
        return t === p;
      case "!=":
        return t !== p;
      default:
        return undefined;
    }
  };
}

/** A one-predicate filter on a string field, compared with the string expectation. */
function expectStringFilter(ctx: CheckContext, ep: Endpoint, field: string, op: FilterOperator, value: string) {
  return expectFiltered(ctx, ep, { predicates: [{ field, operator: op, value }] }, stringExpectation(field, op, value));
}

/** A primary collection with a string field to filter on. */
interface StringTarget {
  ep: Endpoint;
  field: string;
  records: Rec[];
}

/** Runs `fn` on every primary collection with a string field to filter on; skips when there is none. */
async function eachStringTarget(ctx: CheckContext, fn: (t: StringTarget) => Promise<void>): Promise<CheckOutcome> {
  const targets: StringTarget[] = [];
  for (const ep of await primaryCollections(ctx)) {
    const records = await referenceSet(ctx, ep);
    const field = pickStringField(ep.entity, records);
    if (field) {
      targets.push({ ep, field, records });
    }
  }
  if (targets.length === 0) {
    return { skip: "no string field with two distinct values" };
  }
  await eachOf(targets, fn);
  return undefined;
}

/** Pivots between distinct dateLastModified values (never equal to one), plus one before and one after all. */
function instantPivots(records: readonly Rec[]): string[] {
  const times = [
    ...new Set(
      records
        .map((r) => parseInstant(String(r.dateLastModified))?.getTime())
        .filter((t): t is number => t !== undefined),
    ),
  ].sort((a, b) => a - b);
  if (times.length === 0) {
    return [];
  }
  const pivots = [(times[0] ?? 0) - 1000, (times[times.length - 1] ?? 0) + 1000];
  const mid = Math.floor(times.length / 2);
  const a = times[mid - 1];
  const b = times[mid];
  if (a !== undefined && b !== undefined && b - a >= 2) {
    pivots.push(Math.floor((a + b) / 2));
  }
  return pivots.map((t) => new Date(t).toISOString());
}

/** Runs `ops` on dateLastModified at each pivot `pivotsOf` picks, on every primary collection. */
async function expectInstantFilters(
  ctx: CheckContext,
  pivotsOf: (records: readonly Rec[]) => string[],
  ops: readonly FilterOperator[],
): Promise<undefined> {
  await eachOf(await primaryCollections(ctx), async (ep) => {
    for (const pivot of pivotsOf(await referenceSet(ctx, ep))) {
      for (const op of ops) {
        await expectFiltered(
          ctx,
          ep,
          { predicates: [{ field: "dateLastModified", operator: op, value: pivot }] },
          instantExpectation(op, pivot),
        );
      }
    }
  });
  return undefined;
}

/** `ms` as a wall-clock time at a UTC offset of `minutes`, e.g. `2026-09-15T14:00:00+02:00`. */
function atOffset(ms: number, minutes: number): string {
  const local = new Date(ms + minutes * 60_000).toISOString().slice(0, 23);
  const abs = Math.abs(minutes);
  const zone = `${minutes < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  return `${ms % 1000 === 0 ? local.slice(0, 19) : local}${zone}`;
}

/**
 * One instant in the notations a filter value may legally use besides the usual `.sssZ` (notes §8: Z or an offset,
 * fractional seconds optional): without fractional seconds (when it has none), `+00:00`, and two other offsets.
 * A provider comparing strings instead of instants answers at least one of them wrongly.
 */
function notations(ms: number): string[] {
  const iso = new Date(ms).toISOString();
  return [
    ...(ms % 1000 === 0 ? [iso.replace(".000Z", "Z")] : []),
    iso.replace("Z", "+00:00"),
    atOffset(ms, 120),
    atOffset(ms, -300),
  ];
}

function stringOperatorCheck(id: string, ops: readonly FilterOperator[], title: string): Check {
  return {
    id,
    title,
    section: "§3.1",
    area: "filtering",
    profiles: READ_PROFILES,
    run: (ctx) =>
      eachStringTarget(ctx, async ({ ep, field, records }) => {
        const value = mostFrequent(records, field) ?? "";
        for (const op of ops) {
          // `~` takes a middle slice of the value; comparisons pivot on the value itself.
          const v =
            op === "~"
              ? value.slice(
                  Math.floor(value.length / 4),
                  Math.floor(value.length / 4) + Math.max(2, Math.ceil(value.length / 2)),
                )
              : value;
          await expectStringFilter(ctx, ep, field, op, v);
        }
      }),
  };
}

export const filteringChecks: Check[] = [
  stringOperatorCheck("FLT-001", ["="], "MUST return exactly the matching records for = on a string field"),
  stringOperatorCheck("FLT-002", ["!="], "MUST return exactly the non-matching records for != on a string field"),
  stringOperatorCheck("FLT-003", ["~"], "MUST return the records containing the value for ~ on a string field"),
  stringOperatorCheck("FLT-004", [">", ">=", "<", "<="], "MUST compare strings for >, >=, < and <= filters"),
  {
    id: "FLT-005",
    title: "MUST compare dateLastModified as instants for >, >=, < and <= filters",
    section: "§3.1, §8",
    area: "filtering",
    profiles: READ_PROFILES,
    run: (ctx) => expectInstantFilters(ctx, instantPivots, [">", ">=", "<", "<="]),
  },
  {
    id: "FLT-006",
    title: "SHOULD match dateLastModified exactly for = and != filters",
    section: "§3.1",
    area: "filtering",
    profiles: READ_PROFILES,
    run: (ctx) =>
      expectInstantFilters(
        ctx,
        (records) => {
          const pivot = records[Math.floor(records.length / 2)]?.dateLastModified;
          return typeof pivot === "string" ? [pivot] : [];
        },
        ["=", "!="],
      ),
  },
  {
    id: "FLT-007",
    title: "MUST return the intersection for two predicates joined by AND",
    section: "§3.1",
    area: "filtering",
    profiles: READ_PROFILES,
    run: (ctx) =>
      eachStringTarget(ctx, async ({ ep, field, records }) => {
        const en = pickEnumField(ep.entity, records) ?? { field: "status", value: "active" };
        const value =
          mostFrequent(
            records.filter((r) => r[en.field] === en.value),
            field,
          ) ??
          mostFrequent(records, field) ??
          "";
        const a = stringExpectation(field, "=", value);
        await expectFiltered(
          ctx,
          ep,
          {
            logical: "AND",
            predicates: [
              { field: en.field, operator: "=", value: en.value },
              { field, operator: "=", value },
            ],
          },
          (r) => (r[en.field] !== en.value ? false : a(r)),
        );
      }),
  },
  {
    id: "FLT-008",
    title: "MUST return the union for two predicates joined by OR",
    section: "§3.1",
    area: "filtering",
    profiles: READ_PROFILES,
    run: (ctx) =>
      eachStringTarget(ctx, async ({ ep, field, records }) => {
        const first = mostFrequent(records, field) ?? "";
        const second =
          mostFrequent(
            records.filter((r) => r[field] !== first),
            field,
          ) ?? first;
        const a = stringExpectation(field, "=", first);
        const b = stringExpectation(field, "=", second);
        await expectFiltered(
          ctx,
          ep,
          {
            logical: "OR",
            predicates: [
              { field, operator: "=", value: first },
              { field, operator: "=", value: second },
            ],
          },
          (r) => {
            const x = a(r);
            const y = b(r);
            return x === true || y === true ? true : x === false && y === false ? false : undefined;
          },
        );
      }),
  },
  {
    id: "FLT-009",
    title: "MUST match values that contain spaces (URL-encoded as %20)",
    section: "§3.1",
    area: "filtering",
    profiles: READ_PROFILES,
    async run(ctx) {
      for (const ep of [...(await primaryCollections(ctx)), ...topLevelCollections(ctx)]) {
        if (!(await fitsReference(ctx, ep))) {
          continue;
        }
        const records = await referenceSet(ctx, ep);
        for (const field of [pickStringField(ep.entity, records), "title", "name", "givenName", "familyName"]) {
          const value =
            field &&
            records
              .map((r) => r[field])
              .find((v): v is string => typeof v === "string" && / \S/.test(v) && !v.includes("'"));
          if (field && value) {
            await expectStringFilter(ctx, ep, field, "=", value);
            return undefined;
          }
        }
      }
      return { skip: "no record has a string value with a space" };
    },
  },
  {
    id: "FLT-010",
    title: "MUST answer 400 to a filter on a field the entity does not have",
    section: "§3.4",
    area: "filtering",
    profiles: READ_PROFILES,
    run: (ctx) => eachPrimaryAnswer(ctx, "filter", "notAField='x'", 400),
  },
  {
    id: "FLT-011",
    title: "SHOULD carry codeMinor invalid_filter_field in the 400 answer to an unknown filter field",
    section: "§3.4",
    area: "filtering",
    profiles: READ_PROFILES,
    run: (ctx) =>
      eachPrimaryAnswer(ctx, "filter", "notAField='x'", 400, (res) =>
        expectErrorPayload(ctx, res, "invalid_filter_field", "400 body"),
      ),
  },
  {
    id: "FLT-012",
    title: "SHOULD answer 400 to a malformed filter (missing quotes, unknown operator, unparsable date)",
    section: "§3.4",
    area: "filtering",
    profiles: READ_PROFILES,
    async run(ctx) {
      const bad = ["status=active", "status=='active'", "status='active' AND", "dateLastModified>'not-a-date'"];
      await eachOf(await primaryCollections(ctx), async (ep) => {
        await eachOf(bad, async (filter) => {
          const res = await ctx.get(ep.path, { query: { filter } });
          expectStatus(res, 400, `GET ${ep.path}?filter=${filter}`);
          ensure(
            res.json && typeof res.json === "object",
            `GET ${ep.path}?filter=${filter}: 400 without a JSON status payload`,
            res,
          );
        });
      });
      return undefined;
    },
  },
  {
    id: "FLT-013",
    title:
      "MUST compare dateLastModified as an instant whatever valid notation the filter value uses (Z or an offset, with or without fractional seconds)",
    section: "§8, §3.1",
    area: "filtering",
    profiles: READ_PROFILES,
    async run(ctx) {
      await eachOf(await primaryCollections(ctx), async (ep) => {
        const times = [
          ...new Set(
            (await referenceSet(ctx, ep))
              .map((r) => parseInstant(String(r.dateLastModified))?.getTime())
              .filter((t): t is number => t !== undefined),
          ),
        ].sort((a, b) => a - b);
        const lo = times[0];
        const hi = times[times.length - 1];
        if (lo === undefined || hi === undefined) {
          return;
        }
        // >= the newest and <= the oldest stamp: small answers, and each includes the records stamped exactly there.
        for (const [op, t] of [
          [">=", hi],
          ["<=", lo],
        ] as const) {
          for (const value of notations(t)) {
            await expectFiltered(
              ctx,
              ep,
              { predicates: [{ field: "dateLastModified", operator: op, value }] },
              instantExpectation(op, value),
            );
          }
        }
      });
      return undefined;
    },
  },
];
