// Sorting checks (notes §3.3, §3.4): sort/orderBy order the whole collection before paging, in both
// directions, and an unknown sort field answers 200 with an invalid_sort_field warning.
import { type Check, type CheckOutcome, READ_PROFILES } from "../check.js";
import type { CheckContext } from "../context.js";
import { eachPrimaryAnswer, primaryCollections, referenceSet } from "../discovery.js";
import { eachOf, expectWarningPayload, fail, recordsOf } from "../expect.js";
import { firstDisorder, pickSortField } from "../samples.js";

/** Reads a primary collection sorted by a field, in pages of a third, and checks order across pages. */
async function sortedAcrossPages(ctx: CheckContext, direction: "asc" | "desc"): Promise<CheckOutcome> {
  let tried = 0;
  await eachOf(await primaryCollections(ctx), async (ep) => {
    const records = await referenceSet(ctx, ep);
    const pick = pickSortField(ep.entity, records);
    if (!pick || records.length < 3) {
      return;
    }
    tried++;
    const limit = Math.max(1, Math.ceil(records.length / 3));
    const values: unknown[] = [];
    const ids = new Set<string>();
    let last = undefined as Awaited<ReturnType<typeof ctx.get>> | undefined;
    for (let offset = 0; offset < records.length; offset += limit) {
      last = await ctx.get(ep.path, { query: { sort: pick.field, orderBy: direction, limit, offset } });
      for (const r of recordsOf(last, ep)) {
        values.push(r[pick.field]);
        ids.add(String(r.sourcedId));
      }
      const bad = firstDisorder(values, pick.kind, direction);
      if (bad >= 0) {
        fail(
          `${ep.path}?sort=${pick.field}&orderBy=${direction}&limit=${limit}: ${JSON.stringify(values[bad - 1])} comes before ${JSON.stringify(values[bad])}${offset > 0 ? ` (across pages, at offset ${offset})` : ""}`,
          last,
          { [pick.field]: [values[bad - 1], values[bad]] },
        );
      }
    }
    if (ids.size !== records.length) {
      fail(
        `${ep.path} sorted by ${pick.field} ${direction} served ${ids.size} distinct records of ${records.length}`,
        last,
      );
    }
  });
  return tried === 0 ? { skip: "no collection with three records and a sortable field" } : undefined;
}

export const sortingChecks: Check[] = [
  {
    id: "SRT-001",
    title: "MUST order the whole collection ascending by sort (orderBy=asc) before paging, not page by page",
    section: "§3.3",
    area: "sorting",
    profiles: READ_PROFILES,
    run: (ctx) => sortedAcrossPages(ctx, "asc"),
  },
  {
    id: "SRT-002",
    title: "MUST order the whole collection descending with orderBy=desc before paging",
    section: "§3.3",
    area: "sorting",
    profiles: READ_PROFILES,
    run: (ctx) => sortedAcrossPages(ctx, "desc"),
  },
  {
    id: "SRT-003",
    title: "MUST answer 200 with records to a sort on an unknown field",
    section: "§3.4",
    area: "sorting",
    profiles: READ_PROFILES,
    run: (ctx) => eachPrimaryAnswer(ctx, "sort", "notAField", 200, (res, ep) => recordsOf(res, ep)),
  },
  {
    id: "SRT-004",
    title: "SHOULD add a warning with codeMinor invalid_sort_field when sort names an unknown field",
    section: "§3.4",
    area: "sorting",
    profiles: READ_PROFILES,
    run: (ctx) =>
      eachPrimaryAnswer(ctx, "sort", "notAField", 200, (res, _ep, what) =>
        expectWarningPayload(ctx, res, "invalid_sort_field", what),
      ),
  },
];
