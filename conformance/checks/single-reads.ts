// Single-read checks (notes §1.3 notes, §9 item 3): ids from collections round-trip, unknown ids and unknown
// parents answer 404 with a status payload, subset endpoints refuse ids of the wrong kind, references resolve.
import { findRecord, refsOf } from "../../oneroster/client/index.js";
import { type Endpoint, endpointById, fillPath, type GuidType, HREF_PATH } from "../../oneroster/index.js";
import { type Check, type CheckOutcome, READ_PROFILES, ROSTERING } from "../check.js";
import type { CheckContext, HttpResult } from "../context.js";
import { listIds, looseRecords, resolveParams, topLevelCollections, unknownId } from "../discovery.js";
import { eachOf, expectErrorPayload, expectStatus, fail, recordOf } from "../expect.js";
import { readableEntityPaths } from "./endpoints.js";

type Rec = Record<string, unknown>;
const SAMPLE = 3;

/** Single-read endpoints of the profiles with up to SAMPLE ids from the collection each names. */
async function sampledSingles(
  ctx: CheckContext,
): Promise<{ endpoint: Endpoint; ids: string[]; collection: Endpoint }[]> {
  const out: { endpoint: Endpoint; ids: string[]; collection: Endpoint }[] = [];
  for (const endpoint of ctx.endpoints(["single"])) {
    const from = endpoint.params[0]?.from;
    if (!from) {
      continue;
    }
    const collection = endpointById(from);
    out.push({ endpoint, collection, ids: (await listIds(ctx, collection, {})).slice(0, SAMPLE) });
  }
  return out;
}

/** Key-order-independent JSON, for comparing a record read two ways. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(",")}]`;
  }
  if (value && typeof value === "object") {
    const obj = value as Rec;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The 404 answers to unknown ids on every single-read endpoint (cached per run). */
function unknownIdReads(ctx: CheckContext): Promise<{ endpoint: Endpoint; res: HttpResult }[]> {
  return ctx.once("unknown-id-reads", async () => {
    const out: { endpoint: Endpoint; res: HttpResult }[] = [];
    for (const endpoint of ctx.endpoints(["single"])) {
      out.push({ endpoint, res: await ctx.get(fillPath(endpoint.path, { id: unknownId(ctx) })) });
    }
    return out;
  });
}

/** The answers of nested collections called with an unknown first parent (cached per run). */
function unknownParentReads(ctx: CheckContext): Promise<{ endpoint: Endpoint; path: string; res: HttpResult }[]> {
  return ctx.once("unknown-parent-reads", async () => {
    const out: { endpoint: Endpoint; path: string; res: HttpResult }[] = [];
    for (const endpoint of ctx.endpoints(["collection"]).filter((e) => e.params.length > 0)) {
      const values: Record<string, string> = {};
      for (const p of endpoint.params) {
        values[p.name] = unknownId(ctx);
      }
      const path = fillPath(endpoint.path, values);
      out.push({ endpoint, path, res: await ctx.get(path) });
    }
    return out;
  });
}

export const singleReadChecks: Check[] = [
  {
    id: "SGL-001",
    title: "MUST return, for an id a collection listed, the record with that sourcedId from the single-read endpoint",
    section: "§9 item 3",
    area: "single-reads",
    profiles: READ_PROFILES,
    async run(ctx): Promise<CheckOutcome> {
      const singles = await sampledSingles(ctx);
      const partial = singles
        .filter((s) => s.ids.length === 0)
        .map((s) => `${s.endpoint.operationId}: ${s.collection.operationId} listed no record`);
      if (singles.every((s) => s.ids.length === 0)) {
        return { skip: partial.join("; ") || "no single-read endpoint in the selected profiles" };
      }
      await eachOf(
        singles.flatMap((s) => s.ids.map((id) => ({ ...s, id }))),
        async ({ endpoint, id }) => {
          const path = fillPath(endpoint.path, { id });
          const res = await ctx.cachedGet(path);
          const record = recordOf(res, endpoint.envelope, `${endpoint.operationId} GET ${path}`);
          if (record.sourcedId !== id) {
            fail(`${endpoint.operationId} GET ${path} returned sourcedId ${JSON.stringify(record.sourcedId)}`, res, {
              sourcedId: record.sourcedId,
            });
          }
        },
      );
      return partial.length > 0 ? { partial } : undefined;
    },
  },
  {
    id: "SGL-002",
    title: "SHOULD return the same record from a single read as from the collection that listed it",
    section: "§2.12",
    area: "single-reads",
    profiles: READ_PROFILES,
    async run(ctx) {
      const singles = await sampledSingles(ctx);
      if (singles.every((s) => s.ids.length === 0)) {
        return { skip: "no collection listed a record" };
      }
      await eachOf(singles, async ({ endpoint, collection, ids }) => {
        const listed = looseRecords(await ctx.cachedGet(collection.path), collection.envelope);
        for (const id of ids) {
          const path = fillPath(endpoint.path, { id });
          const res = await ctx.cachedGet(path);
          if (res.status !== 200) {
            continue; // SGL-001 reports it
          }
          const single = findRecord(res.json, endpoint.envelope)?.record;
          const fromList = listed.find((r) => r.sourcedId === id);
          if (fromList && canonical(single) !== canonical(fromList)) {
            const differing = Object.keys({ ...fromList, ...(single as Rec) }).filter(
              (k) => canonical((single as Rec)?.[k]) !== canonical(fromList[k]),
            );
            fail(
              `${endpoint.operationId} GET ${path} differs from ${collection.path} in: ${differing.join(", ")}`,
              res,
              { single, listed: fromList },
            );
          }
        }
      });
      return undefined;
    },
  },
  {
    id: "SGL-003",
    title: "MUST answer 404 to a single read of an unknown sourcedId",
    section: "§5.1",
    area: "single-reads",
    profiles: READ_PROFILES,
    async run(ctx) {
      await eachOf(await unknownIdReads(ctx), async ({ endpoint, res }) =>
        expectStatus(res, 404, `${endpoint.operationId} with an unknown id`),
      );
      return undefined;
    },
  },
  {
    id: "SGL-004",
    title: "MUST carry a status payload with codeMinor unknownobject in a 404 answer",
    section: "§5.1, §5.2",
    area: "single-reads",
    profiles: READ_PROFILES,
    async run(ctx) {
      await eachOf(await unknownIdReads(ctx), async ({ endpoint, res }) => {
        if (res.status === 404) {
          expectErrorPayload(ctx, res, "unknownobject", `${endpoint.operationId} 404 body`);
        }
      });
      return undefined;
    },
  },
  {
    id: "SGL-005",
    title: "MUST answer 404 with a status payload to a relationship read whose parent does not exist",
    section: "§1.3 notes, §5.1",
    area: "single-reads",
    profiles: READ_PROFILES,
    async run(ctx) {
      const reads = await unknownParentReads(ctx);
      if (reads.length === 0) {
        return { skip: "no relationship endpoint in the selected profiles" };
      }
      await eachOf(reads, async ({ endpoint, path, res }) => {
        expectStatus(res, 404, `${endpoint.operationId} GET ${path}`);
        expectErrorPayload(ctx, res, "unknownobject", `${endpoint.operationId} 404 body`);
      });
      return undefined;
    },
  },
  {
    id: "SGL-006",
    title:
      "SHOULD answer 404 when a subset endpoint is asked for an id of the wrong kind (/schools/{districtId}, /students/{teacherId})",
    section: "§1.3 notes",
    area: "single-reads",
    profiles: ROSTERING,
    async run(ctx) {
      const pairs: { single: string; base: string; field: string; value: string }[] = [
        { single: "getSchool", base: "getAllOrgs", field: "type", value: "school" },
        { single: "getStudent", base: "getAllUsers", field: "role", value: "student" },
        { single: "getTeacher", base: "getAllUsers", field: "role", value: "teacher" },
        { single: "getTerm", base: "getAllAcademicSessions", field: "type", value: "term" },
        { single: "getGradingPeriod", base: "getAllAcademicSessions", field: "type", value: "gradingPeriod" },
      ];
      let tried = 0;
      await eachOf(pairs, async ({ single, base, field, value }) => {
        const baseEp = endpointById(base);
        const other = looseRecords(await ctx.cachedGet(baseEp.path), baseEp.envelope).find(
          (r) => typeof r.sourcedId === "string" && r[field] !== value,
        );
        if (!other) {
          return;
        }
        tried++;
        const ep = endpointById(single);
        const path = fillPath(ep.path, { id: String(other.sourcedId) });
        const res = await ctx.get(path);
        expectStatus(res, 404, `${single} GET ${path} (a record with ${field}=${String(other[field])})`);
      });
      return tried === 0 ? { skip: "no record of another kind found" } : undefined;
    },
  },
  {
    id: "SGL-007",
    title: "MUST resolve a sample of the references records carry (GET of the referenced sourcedId answers 200)",
    section: "§2.3",
    area: "single-reads",
    profiles: READ_PROFILES,
    async run(ctx) {
      const readable = readableEntityPaths(ctx);
      const seen = new Set<string>();
      const targets: { from: string; path: string; ref: Rec }[] = [];
      for (const ep of topLevelCollections(ctx)) {
        const res = await ctx.cachedGet(ep.path);
        for (const record of looseRecords(res, ep.envelope).slice(0, 5)) {
          for (const ref of refsOf(ep.entity, record)) {
            const segment = HREF_PATH[ref.type as GuidType] ?? HREF_PATH[ref.target];
            const key = `${segment}/${ref.sourcedId}`;
            if (!readable.has(segment) || seen.has(key) || targets.length >= 60) {
              continue;
            }
            seen.add(key);
            targets.push({
              from: `${ep.operationId} ${String(record.sourcedId)}.${ref.field}`,
              path: `/${segment}/${encodeURIComponent(ref.sourcedId)}`,
              ref: record[ref.field] as Rec,
            });
          }
        }
      }
      if (targets.length === 0) {
        return { skip: "no references found on the first pages" };
      }
      await eachOf(targets, async (t) => {
        const res = await ctx.cachedGet(t.path);
        if (res.status !== 200) {
          fail(`reference ${t.from} does not resolve: GET ${t.path} answered ${res.status}`, res, { ref: t.ref });
        }
      });
      return { notes: [`resolved ${targets.length} references`] };
    },
  },
  {
    id: "SGL-008",
    title:
      "MUST return from a relationship read only records tied to its parent (classes of a school have that school…)",
    section: "§1.3 notes, §1.5",
    area: "single-reads",
    profiles: READ_PROFILES,
    async run(ctx) {
      const refId = (r: Rec, field: string) => ((r[field] ?? {}) as { sourcedId?: unknown }).sourcedId;
      const refIds = (r: Rec, field: string) =>
        Array.isArray(r[field]) ? (r[field] as { sourcedId?: unknown }[]).map((x) => x?.sourcedId) : [];
      /** Per operation: whether a record belongs to the parent values. Only relationships the table leaves no doubt about. */
      const RULES: Record<string, (r: Rec, v: Record<string, string>) => boolean> = {
        getClassesForSchool: (r, v) => refId(r, "school") === v.schoolId,
        getClassesForCourse: (r, v) => refId(r, "course") === v.courseId,
        getClassesForTerm: (r, v) => refIds(r, "terms").includes(v.termId),
        getEnrollmentsForSchool: (r, v) => refId(r, "school") === v.schoolId,
        getEnrollmentsForClassInSchool: (r, v) => refId(r, "class") === v.classId && refId(r, "school") === v.schoolId,
        getLineItemsForClass: (r, v) => refId(r, "class") === v.classId,
        getResultsForLineItemForClass: (r, v) => refId(r, "lineItem") === v.lineItemId,
        getResultsForStudentForClass: (r, v) => refId(r, "student") === v.studentId,
      };
      const endpoints = ctx.endpoints(["collection"]).filter((e) => RULES[e.operationId]);
      let tried = 0;
      await eachOf(endpoints, async (ep) => {
        const values = await resolveParams(ctx, ep);
        const rule = RULES[ep.operationId];
        if (!values || !rule) {
          return;
        }
        const path = fillPath(ep.path, values);
        const res = await ctx.cachedGet(path);
        if (res.status !== 200) {
          return; // END-001 reports it
        }
        tried++;
        const stray = looseRecords(res, ep.envelope).find((r) => !rule(r, values));
        if (stray) {
          fail(
            `${ep.operationId} GET ${path} returned ${String(stray.sourcedId)}, which is not tied to ${JSON.stringify(values)}`,
            res,
            { record: stray },
          );
        }
      });
      return tried === 0 ? { skip: "no relationship endpoint with data" } : undefined;
    },
  },
];
