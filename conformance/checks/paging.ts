// Paging checks (notes §4): limit honoured, offsets tile a collection with no gap or duplicate, X-Total-Count
// present and consistent (also after filtering), Link well-formed, followable and keeping the query, caps shrink pages.
import { linkFor, parseLinkHeader, totalCount } from "../../oneroster/client/index.js";
import { type Endpoint, fillPath, formatFilter } from "../../oneroster/index.js";
import { type Check, type CheckOutcome, READ_PROFILES } from "../check.js";
import type { CheckContext, HttpResult } from "../context.js";
import {
  fitsReference,
  nestedCollections,
  prerequisiteRead,
  primaryCollections,
  referenceSet,
  resolveParams,
  topLevelCollections,
} from "../discovery.js";
import { eachOf, ensure, expectStatus, fail, recordsOf } from "../expect.js";
import { pickEnumField, pickSortField } from "../samples.js";

type Rec = Record<string, unknown>;

/** A collection to page through: its path (parent values filled) and its full record set. */
interface Pageable {
  endpoint: Endpoint;
  path: string;
  records: Rec[];
}

/** Top-level collections plus, with the rostering profile, one nested collection (paging applies to both, §4). */
function pageables(ctx: CheckContext): Promise<Pageable[]> {
  return ctx.once("pageables", async () => {
    const out: Pageable[] = [];
    for (const endpoint of topLevelCollections(ctx)) {
      if (await fitsReference(ctx, endpoint)) {
        out.push({ endpoint, path: endpoint.path, records: await referenceSet(ctx, endpoint) });
      }
    }
    const nested = nestedCollections(ctx).find(
      (e) => e.operationId === "getStudentsForSchool" || e.operationId === "getResultsForClass",
    );
    if (nested) {
      const values = await resolveParams(ctx, nested);
      if (values) {
        const path = fillPath(nested.path, values);
        const read = await prerequisiteRead(ctx, path, nested.envelope);
        if (read.complete) {
          out.push({ endpoint: nested, path, records: read.records });
        }
      }
    }
    return out;
  });
}

/** Page size that gives at least three pages when the collection allows it. */
function pageSizeFor(n: number): number {
  return Math.max(1, Math.ceil(n / 3));
}

/** One walk over a collection with offsets stepping by the requested limit (cached per collection). */
function tile(ctx: CheckContext, p: Pageable): Promise<{ limit: number; pages: HttpResult[]; ids: string[] }> {
  return ctx.once(`tile:${p.path}`, async () => {
    const limit = pageSizeFor(p.records.length);
    const pages: HttpResult[] = [];
    const ids: string[] = [];
    for (let offset = 0; offset < Math.max(p.records.length, 1); offset += limit) {
      const res = await ctx.get(p.path, { query: { limit, offset } });
      pages.push(res);
      ids.push(...recordsOf(res, p.endpoint).map((r) => String(r.sourcedId)));
    }
    return { limit, pages, ids };
  });
}

/** Compares a walk's ids with the collection: reports gaps and duplicates. */
function tilingProblems(expected: readonly Rec[], got: readonly string[]): string | undefined {
  const want = new Set(expected.map((r) => String(r.sourcedId)));
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const id of got) {
    if (seen.has(id)) {
      dup.push(id);
    }
    seen.add(id);
  }
  const missing = [...want].filter((id) => !seen.has(id));
  if (dup.length === 0 && missing.length === 0) {
    return undefined;
  }
  return `${missing.length} record(s) never served${missing.length ? ` (e.g. ${missing.slice(0, 3).join(", ")})` : ""}, ${dup.length} served twice${dup.length ? ` (e.g. ${dup.slice(0, 3).join(", ")})` : ""}`;
}

/** The primary collection used for limit and Link checks, with at least `min` records. */
async function largest(ctx: CheckContext, min: number): Promise<Pageable | undefined> {
  const all = await pageables(ctx);
  const primary = new Set((await primaryCollections(ctx)).map((e) => e.operationId));
  const sorted = [...all].sort(
    (a, b) =>
      Number(primary.has(b.endpoint.operationId)) - Number(primary.has(a.endpoint.operationId)) ||
      b.records.length - a.records.length,
  );
  return sorted.find((p) => p.records.length >= min);
}

/** First page of a multi-page read with a filter and a sort, with the records the read must walk. */
interface LinkedFirstPage {
  p: Pageable;
  res: HttpResult;
  query: Record<string, string | number>;
  expected: Rec[];
}

/** The first page for the Link checks (cached). */
function linkedFirstPage(ctx: CheckContext): Promise<LinkedFirstPage | undefined> {
  return ctx.once("linked-first-page", async () => {
    const p = await largest(ctx, 3);
    if (!p) {
      return undefined;
    }
    const en = pickEnumField(p.endpoint.entity, p.records) ?? { field: "status", value: "active" };
    const sort = pickSortField(p.endpoint.entity, p.records)?.field ?? "sourcedId";
    const matching = p.records.filter((r) => r[en.field] === en.value).length;
    const query = {
      filter: formatFilter({ predicates: [{ field: en.field, operator: "=", value: en.value }] }),
      sort,
      orderBy: "desc",
      limit: Math.max(1, Math.ceil(matching / 3)),
      offset: 0,
    };
    const expected = p.records.filter((r) => r[en.field] === en.value);
    return { p, res: await ctx.get(p.path, { query }), query, expected };
  });
}

/** Runs a Link check on the linked first page, or skips when no collection has three records. */
async function withLinkedFirstPage(
  ctx: CheckContext,
  fn: (first: LinkedFirstPage) => Promise<CheckOutcome>,
): Promise<CheckOutcome> {
  const first = await linkedFirstPage(ctx);
  if (!first) {
    return { skip: "no collection with three records" };
  }
  return fn(first);
}

/**
 * Follows Link next from `res` and collects the sourcedIds of every page; `visit` sees each page before its next link
 * is looked up. Stops at the page without a next link, after 1000 pages, or (`overrun`) when `cap` ids are in and
 * a next link is still offered. `last` is the last page fetched.
 */
async function followNext(
  ctx: CheckContext,
  res: HttpResult,
  endpoint: Endpoint,
  cap: number,
  visit: (page: HttpResult, index: number) => void = () => {},
): Promise<{ ids: string[]; last: HttpResult; overrun: boolean }> {
  const ids: string[] = [];
  let last = res;
  for (let index = 0; index < 1000; index++) {
    ids.push(...recordsOf(last, endpoint).map((r) => String(r.sourcedId)));
    visit(last, index);
    const next = linkFor(parseLinkHeader(last.headers.get("link") ?? "") ?? [], "next");
    if (!next) {
      break;
    }
    if (ids.length >= cap) {
      return { ids, last, overrun: true };
    }
    last = await ctx.get(next);
  }
  return { ids, last, overrun: false };
}

export const pagingChecks: Check[] = [
  {
    id: "PAG-001",
    title: "MUST honour limit: a page holds exactly min(limit, records left) records",
    section: "§4",
    area: "paging",
    profiles: READ_PROFILES,
    async run(ctx): Promise<CheckOutcome> {
      const p = await largest(ctx, 2);
      if (!p) {
        return { skip: "no collection with two records" };
      }
      const n = p.records.length;
      const limits = [...new Set([1, 2, Math.min(n - 1, 50)].filter((l) => l >= 1))];
      await eachOf(limits, async (limit) => {
        const res = await ctx.get(p.path, { query: { limit } });
        const got = recordsOf(res, p.endpoint).length;
        ensure(
          got === Math.min(limit, n),
          `GET ${p.path}?limit=${limit} returned ${got} records; the collection holds ${n}`,
          res,
          { records: got },
        );
      });
      return undefined;
    },
  },
  {
    id: "PAG-002",
    title: "MUST let offsets tile the whole collection with no gap and no duplicate",
    section: "§4, §3.3",
    area: "paging",
    profiles: READ_PROFILES,
    async run(ctx) {
      await eachOf(await pageables(ctx), async (p) => {
        const t = await tile(ctx, p);
        const problem = tilingProblems(p.records, t.ids);
        if (problem) {
          fail(`${p.path} paged with limit=${t.limit}: ${problem}`, t.pages[t.pages.length - 1]);
        }
      });
      return undefined;
    },
  },
  {
    id: "PAG-003",
    title: "MUST send an X-Total-Count header with every collection answer",
    section: "§4",
    area: "paging",
    profiles: READ_PROFILES,
    async run(ctx) {
      const partial: string[] = [];
      await eachOf(ctx.endpoints(["collection"]), async (ep) => {
        const values = await resolveParams(ctx, ep);
        if (!values) {
          partial.push(`${ep.operationId}: no parent record to call it with`);
          return;
        }
        const path = fillPath(ep.path, values);
        const res = await ctx.cachedGet(path);
        if (res.status !== 200) {
          return; // END-001 reports it
        }
        const raw = res.headers.get("x-total-count");
        ensure(
          totalCount(res) !== undefined,
          `${ep.operationId} GET ${path}: X-Total-Count ${raw === null ? "missing" : `is not a count: "${raw}"`}`,
          res,
          { "x-total-count": raw },
        );
      });
      return partial.length > 0 ? { partial } : undefined;
    },
  },
  {
    id: "PAG-004",
    title: "MUST keep X-Total-Count equal to the number of records in the collection on every page",
    section: "§4",
    area: "paging",
    profiles: READ_PROFILES,
    async run(ctx) {
      await eachOf(await pageables(ctx), async (p) => {
        const t = await tile(ctx, p);
        for (const res of t.pages) {
          const total = totalCount(res);
          if (total !== undefined && total !== p.records.length) {
            fail(`${res.url}: X-Total-Count ${total}, but the collection holds ${p.records.length}`, res, {
              "x-total-count": total,
            });
          }
        }
      });
      return undefined;
    },
  },
  {
    id: "PAG-005",
    title: "MUST count only matching records in X-Total-Count when a filter is applied",
    section: "§4",
    area: "paging",
    profiles: READ_PROFILES,
    async run(ctx) {
      const p = await largest(ctx, 2);
      const en = p && pickEnumField(p.endpoint.entity, p.records);
      if (!p || !en) {
        return { skip: "no collection with an enum field to filter on" };
      }
      const expected = p.records.filter((r) => r[en.field] === en.value).length;
      const filter = `${en.field}='${en.value}'`;
      const res = await ctx.get(p.path, { query: { filter, limit: 1 } });
      expectStatus(res, 200, `GET ${p.path} filter=${filter}`);
      const total = totalCount(res);
      ensure(
        total === expected,
        `GET ${p.path}?filter=${filter}: X-Total-Count ${String(total)}, but ${expected} records match`,
        res,
        { "x-total-count": res.headers.get("x-total-count") },
      );
      return undefined;
    },
  },
  {
    id: "PAG-006",
    title: "SHOULD send a Link header (next, prev, first, last) on paged collection answers",
    section: "§4",
    area: "paging",
    profiles: READ_PROFILES,
    run: (ctx) =>
      withLinkedFirstPage(ctx, async (first) => {
        ensure(first.res.headers.get("link"), `GET ${first.res.url}: no Link header`, first.res);
        return undefined;
      }),
  },
  {
    id: "PAG-007",
    title:
      "MUST make a Link header, when one is sent, well-formed and followable from first page to last with no gap or duplicate",
    section: "§4, RFC 8288",
    area: "paging",
    profiles: READ_PROFILES,
    async run(ctx) {
      const p = await largest(ctx, 3);
      if (!p) {
        return { skip: "no collection with three records" };
      }
      const limit = pageSizeFor(p.records.length);
      const res = await ctx.get(p.path, { query: { limit } });
      if (!res.headers.get("link")) {
        return { skip: "the provider sends no Link header" };
      }
      const walk = await followNext(ctx, res, p.endpoint, p.records.length + limit, (page, index) => {
        const header = page.headers.get("link") ?? "";
        const links = parseLinkHeader(header);
        ensure(links, `Link header is not RFC 8288 syntax: ${header}`, page, { link: header });
        const bad = links.find((l) => !/^https?:\/\//.test(l.url) || l.rels.length === 0);
        ensure(!bad, `Link entry ${JSON.stringify(bad)} needs an absolute URL and a rel`, page, { link: header });
        if (index === 0) {
          ensure(!linkFor(links, "prev"), "the first page's Link header has a prev link", page, { link: header });
        }
      });
      if (walk.overrun) {
        fail(`following Link next goes past the end of ${p.path} (${walk.ids.length} records so far)`, walk.last, {
          link: walk.last.headers.get("link") ?? "",
        });
      }
      const problem = tilingProblems(p.records, walk.ids);
      if (problem) {
        fail(`following Link next through ${p.path} (limit=${limit}): ${problem}`, walk.last, {
          link: walk.last.headers.get("link"),
        });
      }
      return undefined;
    },
  },
  {
    id: "PAG-008",
    title: "MUST keep the request's filter, sort and orderBy in every Link header URL, when Link is sent",
    section: "§4",
    area: "paging",
    profiles: READ_PROFILES,
    run: (ctx) =>
      withLinkedFirstPage(ctx, async (first) => {
        const header = first.res.headers.get("link");
        if (!header) {
          return { skip: "the provider sends no Link header" };
        }
        const links = parseLinkHeader(header) ?? [];
        await eachOf(links, async (link) => {
          let params: URLSearchParams;
          try {
            params = new URL(link.url).searchParams;
          } catch {
            fail(`Link ${link.rels.join(" ")} URL is not a URL: ${link.url}`, first.res, { link: header });
          }
          for (const key of ["filter", "sort", "orderBy"] as const) {
            const want = String(first.query[key]);
            if (params.get(key) !== want) {
              fail(
                `Link rel="${link.rels.join(" ")}" has ${key}=${JSON.stringify(params.get(key))}, the request had ${JSON.stringify(want)}`,
                first.res,
                { link: header },
              );
            }
          }
        });
        // Followed blindly, the links must walk exactly the filtered collection (given up over 1000 records past its end).
        const walk = await followNext(ctx, first.res, first.p.endpoint, first.expected.length + 1001);
        const problem = tilingProblems(first.expected, walk.ids);
        if (problem) {
          fail(`following Link next from ${first.res.url}: ${problem}`, walk.last, {
            link: walk.last.headers.get("link"),
          });
        }
        return undefined;
      }),
  },
  {
    id: "PAG-009",
    title: "MUST answer an over-large limit with a (possibly shortened) page, never an error",
    section: "§4, §10.1",
    area: "paging",
    profiles: READ_PROFILES,
    async run(ctx) {
      const p = await largest(ctx, 1);
      if (!p) {
        return { skip: "no collection with records" };
      }
      const res = await ctx.get(p.path, { query: { limit: 100000000 } });
      const got = recordsOf(res, p.endpoint).length;
      ensure(
        got >= 1 && got <= p.records.length,
        `GET ${p.path}?limit=100000000 returned ${got} records of ${p.records.length}`,
        res,
      );
      return undefined;
    },
  },
  {
    id: "PAG-010",
    title: "MUST serve at most 100 records when no limit is given (the v1p1 default)",
    section: "§3, §4",
    area: "paging",
    profiles: READ_PROFILES,
    async run(ctx) {
      await eachOf(topLevelCollections(ctx), async (ep) => {
        const res = await ctx.cachedGet(ep.path);
        const got = recordsOf(res, ep).length;
        ensure(got <= 100, `GET ${ep.path} without limit returned ${got} records`, res, { records: got });
      });
      return undefined;
    },
  },
  {
    id: "PAG-011",
    title: "SHOULD answer an offset past the end with 200 and an empty page",
    section: "§3.4",
    area: "paging",
    profiles: READ_PROFILES,
    async run(ctx) {
      const p = await largest(ctx, 0);
      if (!p) {
        return { skip: "no collection" };
      }
      const res = await ctx.get(p.path, { query: { offset: p.records.length + 1000 } });
      const got = recordsOf(res, p.endpoint, `GET ${p.path} past the end`);
      ensure(got.length === 0, `GET ${p.path} with an offset past the end returned ${got.length} records`, res);
      return undefined;
    },
  },
];
