// Delta checks (notes §8, §9 item 9): a written object shows up through a dateLastModified> filter, so does a
// replaced one (its dateLastModified moved), a deleted one comes back as a tombstone with status tobedeleted, and
// status filters on rostering data work.
import { parseInstant } from "../../oneroster/index.js";
import { type Check, ROSTERING } from "../check.js";
import type { CheckContext } from "../context.js";
import { readAll, topLevelCollections } from "../discovery.js";
import { eachOf, fail, recordOf } from "../expect.js";
import { REPLACED_KINDS, replacedFixture, withDeleted, withFixture } from "./gradebook-writes.js";

type Rec = Record<string, unknown>;

/** One second before an instant, as the filter value of a delta read. */
function justBefore(value: unknown): string | undefined {
  const t = parseInstant(String(value))?.getTime();
  return t === undefined ? undefined : new Date(t - 1000).toISOString();
}

/** Reads a collection through `dateLastModified>'since'` and returns the record with the id, if listed. */
async function deltaFind(ctx: CheckContext, path: string, envelope: string, since: string, id: string) {
  const filter = `dateLastModified>'${since}'`;
  const all = await readAll(ctx, path, envelope, { filter });
  return { found: all.records.find((r) => r.sourcedId === id), res: all.pages[0], filter };
}

export const deltaChecks: Check[] = [
  {
    id: "DLT-001",
    title: "MUST list a written object in a dateLastModified> delta read from just before the write",
    section: "§8, §9 item 9",
    area: "delta",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withFixture(ctx, (f) =>
        eachOf(
          [
            ["/lineItems", "lineItems", "lineItem", f.ids.lineItem],
            ["/results", "results", "result", f.ids.result],
          ] as const,
          async ([path, env, single, id]) => {
            const written = recordOf(await ctx.get(`${path}/${encodeURIComponent(id)}`), single, `GET ${path}/${id}`);
            const since = justBefore(written.dateLastModified);
            if (!since) {
              fail(`${path}/${id} has no readable dateLastModified (${JSON.stringify(written.dateLastModified)})`);
            }
            const { found, res, filter } = await deltaFind(ctx, path, env, since, id);
            if (!found) {
              fail(`${path}?filter=${filter} does not list ${id}, written at ${String(written.dateLastModified)}`, res);
            }
          },
        ),
      ),
  },
  {
    id: "DLT-002",
    title:
      "SHOULD send a deleted gradebook object as a tombstone (status tobedeleted) in a dateLastModified> delta read",
    section: "§8, §7.2",
    area: "delta",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withDeleted(ctx, (d) =>
        eachOf(
          [
            ["/lineItems", "lineItems", d.lineItem, d.before.lineItem],
            ["/results", "results", d.result, d.before.result],
          ] as const,
          async ([path, env, body, before]) => {
            const since = justBefore(before) ?? before;
            const { found, res, filter } = await deltaFind(ctx, path, env, since, String(body.sourcedId));
            if (!found || (found as Rec).status !== "tobedeleted") {
              fail(
                `${path}?filter=${filter} ${found ? `lists ${String(body.sourcedId)} with status ${String(found.status)}` : `does not list the deleted ${String(body.sourcedId)}`}`,
                res,
                { record: found ?? null },
              );
            }
          },
        ),
      ),
  },
  {
    id: "DLT-003",
    title: "MUST return only tombstones, each with a dateLastModified, for filter=status='tobedeleted'",
    section: "§8",
    area: "delta",
    profiles: ROSTERING,
    async run(ctx) {
      let tombstones = 0;
      await eachOf(topLevelCollections(ctx), async (ep) => {
        const all = await readAll(ctx, ep.path, ep.envelope, { filter: "status='tobedeleted'" });
        const wrong = all.records.find((r) => r.status !== "tobedeleted" || typeof r.dateLastModified !== "string");
        if (wrong) {
          fail(
            `${ep.path}?filter=status='tobedeleted' returned ${String(wrong.sourcedId)} with status ${String(wrong.status)}`,
            all.pages[0],
            { record: wrong },
          );
        }
        tombstones += all.records.length;
      });
      return { notes: [`${tombstones} tombstone(s) found in the rostering collections`] };
    },
  },
  {
    id: "DLT-004",
    title:
      "MUST move dateLastModified forward on a PUT that replaces an object, so a dateLastModified> delta read from before the update lists it",
    section: "§8, §7.1",
    area: "delta",
    profiles: ["gradebook"],
    writes: true,
    run: (ctx) =>
      withFixture(ctx, async (f) => {
        const replaced = await replacedFixture(ctx, f);
        await eachOf(REPLACED_KINDS, async ([path, single, kind, envelope]) => {
          const id = replaced.ids[kind];
          const res = await ctx.get(`${path}/${encodeURIComponent(id)}`);
          const after = recordOf(res, single, `GET ${path}/${id}`).dateLastModified;
          const before = replaced.before[kind];
          const moved = (parseInstant(String(after))?.getTime() ?? 0) > (parseInstant(before)?.getTime() ?? 0);
          if (!moved) {
            fail(
              `PUT replacing ${path}/${id} left dateLastModified at ${String(after)} (it read ${before} before the update)`,
              res,
              { dateLastModified: after },
            );
          }
          // The consumer's view: a delta read from the stamp it last saw must list the update.
          const { found, res: page, filter } = await deltaFind(ctx, path, envelope, before, id);
          if (!found) {
            fail(`${path}?filter=${filter} does not list ${id}, replaced after ${before}`, page);
          }
        });
      }),
  },
];
