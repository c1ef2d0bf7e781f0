// Field-selection checks (notes §3.2, §3.4): `fields` trims collections and single reads to the listed
// top-level properties, an unknown field is a 200 with a warning, a blank selection is a 400.
import { type Endpoint, fillPath } from "../../oneroster/index.js";
import { type Check, READ_PROFILES } from "../check.js";
import type { CheckContext } from "../context.js";
import { eachPrimaryAnswer, primaryCollections, referenceSet, singleFor } from "../discovery.js";
import { eachOf, ensure, expectErrorPayload, expectWarningPayload, fail, recordOf, recordsOf } from "../expect.js";
import { pickStringField } from "../samples.js";

type Rec = Record<string, unknown>;

/** The two fields a selection asks for on an entity: sourcedId and a string field the records carry. */
async function selection(ctx: CheckContext, ep: Endpoint): Promise<string[]> {
  const records = await referenceSet(ctx, ep);
  return ["sourcedId", pickStringField(ep.entity, records) ?? "dateLastModified"];
}

/** Asserts a record holds only the selected fields, and each of them it has in full form. */
function onlySelected(record: Rec, full: Rec | undefined, wanted: readonly string[]): string | undefined {
  const extra = Object.keys(record).filter((k) => !wanted.includes(k));
  if (extra.length > 0) {
    return `unselected field(s) ${extra.join(", ")} present`;
  }
  const lost = wanted.filter((k) => full && full[k] !== undefined && record[k] === undefined);
  return lost.length > 0 ? `selected field(s) ${lost.join(", ")} missing` : undefined;
}

export const fieldChecks: Check[] = [
  {
    id: "FLD-001",
    title: "MUST return only the selected fields on collection reads",
    section: "§3.2",
    area: "fields",
    profiles: READ_PROFILES,
    async run(ctx) {
      await eachOf(await primaryCollections(ctx), async (ep) => {
        const wanted = await selection(ctx, ep);
        const all = await referenceSet(ctx, ep);
        const res = await ctx.get(ep.path, { query: { fields: wanted.join(",") } });
        for (const record of recordsOf(res, ep)) {
          const problem = onlySelected(
            record,
            all.find((r) => r.sourcedId === record.sourcedId),
            wanted,
          );
          if (problem) {
            fail(`GET ${ep.path}?fields=${wanted.join(",")}: ${problem}`, res, { record });
          }
        }
      });
      return undefined;
    },
  },
  {
    id: "FLD-002",
    title: "MUST return only the selected fields on single-object reads",
    section: "§3.2",
    area: "fields",
    profiles: READ_PROFILES,
    async run(ctx) {
      let tried = 0;
      await eachOf(await primaryCollections(ctx), async (ep) => {
        const single = singleFor(ep);
        const all = await referenceSet(ctx, ep);
        const full = all[0];
        if (!single || !full) {
          return;
        }
        tried++;
        const wanted = await selection(ctx, ep);
        const path = fillPath(single.path, { id: String(full.sourcedId) });
        const res = await ctx.get(path, { query: { fields: wanted.join(",") } });
        const record = recordOf(res, single.envelope, `GET ${path}?fields=${wanted.join(",")}`);
        const problem = onlySelected(record, full, wanted);
        if (problem) {
          fail(`GET ${path}?fields=${wanted.join(",")}: ${problem}`, res, { record });
        }
      });
      return tried === 0 ? { skip: "no record to read" } : undefined;
    },
  },
  {
    id: "FLD-003",
    title: "MUST answer 200 with records when fields names an unknown field",
    section: "§3.4",
    area: "fields",
    profiles: READ_PROFILES,
    run: (ctx) =>
      eachPrimaryAnswer(ctx, "fields", "sourcedId,notAField", 200, (res, ep) => {
        const records = recordsOf(res, ep);
        ensure(
          records.every((r) => r.sourcedId !== undefined),
          "records lost their valid selected field sourcedId",
          res,
          { record: records[0] },
        );
      }),
  },
  {
    id: "FLD-004",
    title: "SHOULD add a warning with codeMinor invalid_selection_field when fields names an unknown field",
    section: "§3.4",
    area: "fields",
    profiles: READ_PROFILES,
    run: (ctx) =>
      eachPrimaryAnswer(ctx, "fields", "sourcedId,notAField", 200, (res, _ep, what) =>
        expectWarningPayload(ctx, res, "invalid_selection_field", what),
      ),
  },
  {
    id: "FLD-005",
    title: "MUST answer 400 to a blank fields parameter",
    section: "§3.4",
    area: "fields",
    profiles: READ_PROFILES,
    run: (ctx) => eachPrimaryAnswer(ctx, "fields", "", 400),
  },
  {
    id: "FLD-006",
    title: "SHOULD carry codeMinor invalid_blank_selection_field in the 400 answer to a blank fields parameter",
    section: "§3.4",
    area: "fields",
    profiles: READ_PROFILES,
    run: (ctx) =>
      eachPrimaryAnswer(ctx, "fields", "", 400, (res) =>
        expectErrorPayload(ctx, res, "invalid_blank_selection_field", "400 body"),
      ),
  },
];
