// Discovery over HTTP: ids from collection reads, path parameters that lead to non-empty answers, whole
// collections read page by page, and the representative collection each profile's query checks run against (with
// the shared probe of each by one odd query parameter).
import { findRecords, OneRosterClientError, totalCount, walkPages } from "../oneroster/client/index.js";
import { ENDPOINTS, type Endpoint, endpointById, fillPath } from "../oneroster/index.js";
import { Blocked, CheckFailure, type Problem } from "./check.js";
import type { CheckContext, HttpResult } from "./context.js";
import { eachOf, expectStatus } from "./expect.js";

type Rec = Record<string, unknown>;

/**
 * Records of a collection answer under whatever key the provider used (a wrong envelope key is END-003's finding,
 * not a reason to find no data), or [] when the answer is not a readable collection.
 */
export function looseRecords(res: HttpResult, envelope: string): Rec[] {
  if (res.status !== 200) {
    return [];
  }
  const list = findRecords(res.json, envelope)?.records ?? [];
  return list.filter((r): r is Rec => !!r && typeof r === "object" && !Array.isArray(r));
}

/**
 * sourcedIds on the first (default) page of a collection endpoint with the given path values. A collection that
 * answers but not with records gives [] (END-001/END-003 report it); a provider that does not answer throws.
 */
export async function listIds(
  ctx: CheckContext,
  endpoint: Endpoint,
  values: Record<string, string>,
): Promise<string[]> {
  const res = await ctx.cachedGet(fillPath(endpoint.path, values));
  return looseRecords(res, endpoint.envelope)
    .map((r) => r.sourcedId)
    .filter((id): id is string => typeof id === "string");
}

/** Parent ids tried per level: many for the outer parent (a class without line items is common), few below. */
const OUTER_CANDIDATES = 25;
const INNER_CANDIDATES = 5;

/**
 * Path values for an endpoint, found by walking each parameter's `from` collection. For collections it
 * prefers values whose answer is non-empty, so checks exercise real records; undefined when no value exists.
 */
export function resolveParams(ctx: CheckContext, endpoint: Endpoint): Promise<Record<string, string> | undefined> {
  return ctx.once(`params:${endpoint.operationId}`, async () => {
    if (endpoint.params.length === 0) {
      return {};
    }
    let fallback: Record<string, string> | undefined;
    const search = async (i: number, values: Record<string, string>): Promise<Record<string, string> | undefined> => {
      const param = endpoint.params[i];
      if (!param) {
        if (endpoint.kind !== "collection") {
          return values;
        }
        fallback ??= values;
        const ids = await listIds(ctx, endpoint, values);
        return ids.length > 0 ? values : undefined;
      }
      const from = endpointById(param.from);
      const ids = await listIds(ctx, from, values);
      for (const id of ids.slice(0, i === 0 && endpoint.params.length > 1 ? OUTER_CANDIDATES : INNER_CANDIDATES)) {
        const found = await search(i + 1, { ...values, [param.name]: id });
        if (found) {
          return found;
        }
      }
      return undefined;
    };
    const found = (await search(0, {})) ?? fallback;
    if (!found) {
      ctx.notCallable.set(endpoint.operationId, "no parent record to call it with");
    }
    return found;
  });
}

/** A whole collection read page by page (offset += records received), with every page's answer. */
export interface FullRead {
  records: Rec[];
  pages: HttpResult[];
  /** False when the read stopped at maxRecords before the end. */
  complete: boolean;
  /** What the pager noticed on the way (records under another key, a Link that skips…), once each. */
  warnings: string[];
}

/** Collections larger than this are not read in full: checks that need a whole collection pick smaller ones. */
export const MAX_REFERENCE_RECORDS = 5000;
const MAX_PAGES = 200;

/** A full read that broke: which page (0 = the first) and the kit's error code. */
class ReadFailure extends CheckFailure {
  constructor(
    problems: Problem[] | Problem,
    readonly pageIndex: number,
    readonly code: OneRosterClientError["code"],
  ) {
    super(problems);
  }
}

/**
 * Reads a collection to the end with the client kit's pager (ends by X-Total-Count and Link, never by a short page),
 * fetching through the recording context. A page that fails or holds no records array throws CheckFailure carrying
 * that page's exchange.
 */
export async function readAll(
  ctx: CheckContext,
  path: string,
  envelope: string,
  query: Record<string, string | number> = {},
  pageSize = 100,
  maxRecords = pageSize * MAX_PAGES,
): Promise<FullRead> {
  const records: Rec[] = [];
  const pages: HttpResult[] = [];
  const warnings: string[] = [];
  let last: HttpResult | undefined;
  const fetchPage = async (p: string, q: Record<string, string | number | undefined>) => {
    last = await ctx.get(p, { query: q });
    return last;
  };
  try {
    for await (const page of walkPages(fetchPage, { path, envelope, pageSize, query })) {
      pages.push(page.answer);
      warnings.push(...page.warnings);
      records.push(...page.records.filter((r): r is Rec => !!r && typeof r === "object" && !Array.isArray(r)));
      if (page.next && records.length >= maxRecords) {
        return { records, pages, complete: false, warnings };
      }
    }
  } catch (err) {
    if (err instanceof OneRosterClientError) {
      throw new ReadFailure(
        {
          message: `reading ${path}${query.filter ? `?filter=${query.filter}` : ""}: ${err.message}`,
          ...(last ? { exchange: last.exchange } : {}),
        },
        pages.length,
        err.code,
      );
    }
    throw err;
  }
  return { records, pages, complete: true, warnings };
}

/**
 * The owner of a broken prerequisite read: a first page that fails is END-001's finding (the plain read), one with no
 * records array END-003's, a later page PAG-002's (offsets must walk the whole collection).
 */
function readBlocker(err: ReadFailure): string {
  if (err.pageIndex > 0) {
    return "PAG-002";
  }
  return err.code === "HTTP_STATUS" ? "END-001" : err.code === "BAD_RESPONSE" ? "END-003" : "PAG-002";
}

/** A full read other checks build on: a broken read blocks them on the check that owns the problem (readBlocker). */
export async function prerequisiteRead(
  ctx: CheckContext,
  path: string,
  envelope: string,
  maxRecords = MAX_REFERENCE_RECORDS + 1,
): Promise<FullRead> {
  try {
    return await readAll(ctx, path, envelope, {}, 100, maxRecords);
  } catch (err) {
    if (err instanceof ReadFailure) {
      throw new Blocked(readBlocker(err), err.problems);
    }
    throw err;
  }
}

/** A parameterless collection read in full once per run, or marked incomplete when over MAX_REFERENCE_RECORDS. */
function cappedRead(ctx: CheckContext, endpoint: Endpoint): Promise<FullRead> {
  return ctx.once(`all:${endpoint.operationId}`, () => prerequisiteRead(ctx, endpoint.path, endpoint.envelope));
}

/** True when the collection is small enough to be read in full (X-Total-Count first, else by reading it). */
export async function fitsReference(ctx: CheckContext, endpoint: Endpoint): Promise<boolean> {
  const first = await ctx.cachedGet(endpoint.path, { limit: 1 });
  const total = first.status === 200 ? totalCount(first) : undefined;
  if (total !== undefined && total > MAX_REFERENCE_RECORDS) {
    return false;
  }
  return (await cappedRead(ctx, endpoint)).complete;
}

/** The whole collection of a parameterless endpoint; callers first pick collections that fit (fitsReference). */
export async function referenceSet(ctx: CheckContext, endpoint: Endpoint): Promise<Rec[]> {
  const read = await cappedRead(ctx, endpoint);
  if (!read.complete) {
    throw new Error(
      `referenceSet: ${endpoint.path} holds more than ${MAX_REFERENCE_RECORDS} records; check fitsReference first`,
    );
  }
  return read.records;
}

/** Candidates for each profile's query checks, most telling first (notes §3: every collection supports them). */
const PRIMARY_CANDIDATES: Record<string, readonly string[]> = {
  rostering: [
    "getAllUsers",
    "getAllClasses",
    "getAllCourses",
    "getAllEnrollments",
    "getAllOrgs",
    "getAllAcademicSessions",
  ],
  resources: ["getAllResources"],
  gradebook: ["getAllResults", "getAllLineItems", "getAllCategories"],
};

/**
 * The collection each selected profile's query checks (paging, sorting, filtering, fields) run against: the first
 * candidate that holds at least three records and fits in a full read; failing that, the first that fits.
 */
export function primaryCollections(ctx: CheckContext): Promise<Endpoint[]> {
  return ctx.once("primary-collections", async () => {
    const groups: string[] = [];
    if (ctx.profiles.has("rostering-core") || ctx.profiles.has("rostering")) {
      groups.push("rostering");
    }
    if (ctx.profiles.has("resources")) {
      groups.push("resources");
    }
    if (ctx.profiles.has("gradebook")) {
      groups.push("gradebook");
    }
    const out: Endpoint[] = [];
    for (const group of groups) {
      let fallback: Endpoint | undefined;
      let chosen: Endpoint | undefined;
      for (const op of PRIMARY_CANDIDATES[group] ?? []) {
        const ep = endpointById(op);
        const first = await ctx.cachedGet(ep.path, { limit: 1 });
        if (first.status !== 200) {
          continue;
        }
        let fits: boolean;
        try {
          fits = await fitsReference(ctx, ep);
        } catch (err) {
          if (!(err instanceof CheckFailure || err instanceof Blocked)) {
            throw err;
          }
          // Answers 200 but cannot be read in full: keep it, so each check that needs it reports why.
          fallback ??= ep;
          continue;
        }
        if (!fits) {
          continue;
        }
        fallback ??= ep;
        if ((await referenceSet(ctx, ep)).length >= 3) {
          chosen = ep;
          break;
        }
      }
      const pick = chosen ?? fallback;
      if (pick) {
        out.push(pick);
      }
    }
    return out;
  });
}

/**
 * For every primary collection: the answer to a GET with one odd query parameter, asserted to have `status`;
 * `then` checks it further. Cached, so a MUST check and its SHOULD companion share the one request.
 */
export async function eachPrimaryAnswer(
  ctx: CheckContext,
  param: string,
  value: string,
  status: number,
  then?: (res: HttpResult, ep: Endpoint, what: string) => void,
): Promise<undefined> {
  await eachOf(await primaryCollections(ctx), async (ep) => {
    const res = await ctx.cachedGet(ep.path, { [param]: value });
    const what = `GET ${ep.path}?${param}=${value}`;
    expectStatus(res, status, what);
    then?.(res, ep, what);
  });
  return undefined;
}

/** A read operation with path values filled in, ready to call. */
export interface OperationCall {
  endpoint: Endpoint;
  path: string;
}

/**
 * The read operations (collections and single reads) of the profiles with path values found over HTTP; those with
 * no parent record to call them with are listed in `uncalled` with the reason, so checks report them as not
 * exercised instead of passing over them in silence.
 */
export async function readOperations(
  ctx: CheckContext,
  filter: (e: Endpoint) => boolean = () => true,
): Promise<{ calls: OperationCall[]; uncalled: string[] }> {
  const all = await ctx.once("read-operations", async () => {
    const out: { endpoint: Endpoint; path?: string }[] = [];
    for (const endpoint of ctx.endpoints(["collection", "single"])) {
      const values = await resolveParams(ctx, endpoint);
      out.push(values ? { endpoint, path: fillPath(endpoint.path, values) } : { endpoint });
    }
    return out;
  });
  const chosen = all.filter((o) => filter(o.endpoint));
  return {
    calls: chosen.flatMap((o) => (o.path !== undefined ? [{ endpoint: o.endpoint, path: o.path }] : [])),
    uncalled: chosen
      .filter((o) => o.path === undefined)
      .map((o) => `${o.endpoint.operationId}: ${ctx.notCallable.get(o.endpoint.operationId) ?? "no parent record"}`),
  };
}

/** Top-level (parameterless) collection endpoints of the selected profiles. */
export function topLevelCollections(ctx: CheckContext): Endpoint[] {
  return ctx.endpoints(["collection"]).filter((e) => e.params.length === 0);
}

/** Nested collection endpoints of the selected profiles. */
export function nestedCollections(ctx: CheckContext): Endpoint[] {
  return ctx.endpoints(["collection"]).filter((e) => e.params.length > 0);
}

/** The single-read endpoint for a collection endpoint's entity path (`/users` → getUser). */
export function singleFor(collection: Endpoint): Endpoint | undefined {
  return ENDPOINTS.find((e) => e.kind === "single" && e.path === `${collection.path}/{id}`);
}

/** A sourcedId that no provider will hold. */
export function unknownId(ctx: CheckContext): string {
  return `${ctx.runId}-does-not-exist`;
}
