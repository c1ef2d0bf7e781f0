// Endpoint checks (notes §1, §2, §9 item 2): every read operation of the selected profiles answers 200 with
// JSON, the right envelope key, an array or an object, records valid against the oneroster/ schemas, subsets kept.
import { recordProblems, refsOf } from "../../oneroster/client/index.js";
import { ENTITIES, type Endpoint, endpointById, fillPath, type GuidType, HREF_PATH } from "../../oneroster/index.js";
import { type Check, type CheckOutcome, READ_PROFILES, ROSTERING } from "../check.js";
import type { CheckContext, HttpResult } from "../context.js";
import {
  fitsReference,
  looseRecords,
  MAX_REFERENCE_RECORDS,
  readOperations,
  referenceSet,
  resolveParams,
} from "../discovery.js";
import {
  eachOf,
  expectCollection,
  expectJsonObject,
  expectSingle,
  expectStatus,
  fail,
  recordOf,
  recordsOf,
} from "../expect.js";

type Rec = Record<string, unknown>;

/** The default answer of one read operation, with the path values used. */
interface OperationRead {
  endpoint: Endpoint;
  path: string;
  res: HttpResult;
}

/**
 * Runs `fn` on the default answer of every read operation of the profiles. Operations with no parent record to call
 * them with make the check pass only in part (`partial`), never silently; with none callable it is skipped.
 */
async function everyOperation(
  ctx: CheckContext,
  fn: (read: OperationRead) => void | Promise<void>,
  filter: (e: Endpoint) => boolean = () => true,
): Promise<CheckOutcome> {
  const { calls, uncalled } = await readOperations(ctx, filter);
  if (calls.length === 0) {
    return { skip: uncalled.length > 0 ? uncalled.join("; ") : "no operation in the selected profiles" };
  }
  await eachOf(calls, async (c) => fn({ ...c, res: await ctx.cachedGet(c.path) }));
  return uncalled.length > 0 ? { partial: uncalled } : undefined;
}

/** everyOperation over the reads that answered 200; any other status is END-001's finding. */
function everyAnswered(
  ctx: CheckContext,
  fn: (read: OperationRead) => void,
  filter?: (e: Endpoint) => boolean,
): Promise<CheckOutcome> {
  return everyOperation(
    ctx,
    (r) => {
      if (r.res.status === 200) {
        fn(r);
      }
    },
    filter,
  );
}

/** The envelope as END-003 demands it: an array of objects or one object under the operation's own key. */
function strictRecordsOfRead(read: OperationRead): Rec[] {
  const what = `${read.endpoint.operationId} GET ${read.path}`;
  return read.endpoint.kind === "collection"
    ? expectCollection(read.res, read.endpoint.envelope, what)
    : [expectSingle(read.res, read.endpoint.envelope, what)];
}

/** Records of an answer wherever the provider put them (the key is END-003's concern, not the other checks'). */
function recordsOfRead(read: OperationRead): Rec[] {
  const what = `${read.endpoint.operationId} GET ${read.path}`;
  return read.endpoint.kind === "collection"
    ? recordsOf(read.res, read.endpoint, what)
    : [recordOf(read.res, read.endpoint.envelope, what)];
}

export const endpointChecks: Check[] = [
  {
    id: "END-001",
    title: "MUST answer 200 to an authorised GET on every read operation of the profile",
    section: "§1.3, §1.4, §1.5",
    area: "endpoints",
    profiles: READ_PROFILES,
    run: (ctx) => everyOperation(ctx, (r) => expectStatus(r.res, 200, `${r.endpoint.operationId} GET ${r.path}`)),
  },
  {
    id: "END-002",
    title: "MUST answer reads with Content-Type application/json and a JSON object body",
    section: "§2.12",
    area: "endpoints",
    profiles: READ_PROFILES,
    run: (ctx) =>
      everyAnswered(ctx, (r) => {
        expectJsonObject(r.res, `${r.endpoint.operationId} GET ${r.path}`);
      }),
  },
  {
    id: "END-003",
    title: "MUST wrap collections in an array and single reads in an object under the operation's envelope key",
    section: "§2.12",
    area: "endpoints",
    profiles: READ_PROFILES,
    run: (ctx) =>
      everyAnswered(ctx, (r) => {
        strictRecordsOfRead(r);
      }),
  },
  {
    id: "END-004",
    title: "MUST send records that validate against the v1p1 data model (required fields, enums, dates, GUIDRefs)",
    section: "§2.1-§2.11",
    area: "endpoints",
    profiles: READ_PROFILES,
    run: (ctx) =>
      everyAnswered(ctx, (r) => {
        const problems: string[] = [];
        let firstBad: Rec | undefined;
        for (const record of recordsOfRead(r)) {
          const found = recordProblems(r.endpoint.entity, record, ctx.recordOptions);
          if (found.length > 0) {
            firstBad ??= record;
            problems.push(`${String(record.sourcedId)}: ${found.join(", ")}`);
          }
        }
        if (problems.length > 0) {
          fail(
            `${r.endpoint.operationId} GET ${r.path}: ${problems.length} invalid record(s): ${problems.slice(0, 5).join(" | ")}`,
            r.res,
            { record: firstBad },
          );
        }
      }),
  },
  {
    id: "END-005",
    title:
      "MUST serve only the subset a subset endpoint names (/students only students, /schools only schools, /terms only terms)",
    section: "§1.3 notes",
    area: "endpoints",
    profiles: READ_PROFILES,
    run: (ctx) =>
      everyAnswered(
        ctx,
        (r) => {
          const subset = r.endpoint.subset;
          if (!subset) {
            return;
          }
          const wrong = recordsOfRead(r).filter((rec) => rec[subset.field] !== subset.value);
          if (wrong.length > 0) {
            fail(
              `${r.endpoint.operationId} GET ${r.path}: ${wrong.length} record(s) with ${subset.field} other than "${subset.value}"`,
              r.res,
              {
                record: { sourcedId: wrong[0]?.sourcedId, [subset.field]: wrong[0]?.[subset.field] },
              },
            );
          }
        },
        (e) => e.subset !== undefined,
      ),
  },
  {
    id: "END-006",
    title: "SHOULD give every GUIDRef an absolute href ending in the referenced object's path",
    section: "§2.3",
    area: "endpoints",
    profiles: READ_PROFILES,
    run: (ctx) =>
      everyAnswered(
        ctx,
        (r) => {
          for (const record of recordsOfRead(r)) {
            for (const ref of refsOf(r.endpoint.entity, record)) {
              const segment = HREF_PATH[ref.type as GuidType] ?? HREF_PATH[ref.target];
              const tail = `/${segment}/${encodeURIComponent(ref.sourcedId)}`;
              if (
                !ref.href ||
                !/^https?:\/\//.test(ref.href) ||
                !(ref.href.endsWith(tail) || ref.href.endsWith(`/${segment}/${ref.sourcedId}`))
              ) {
                fail(
                  `${r.endpoint.operationId} GET ${r.path}: ${String(record.sourcedId)}.${ref.field} href ${JSON.stringify(ref.href)} is not an absolute URL ending in ${tail}`,
                  r.res,
                  { [ref.field]: record[ref.field] },
                );
              }
            }
          }
        },
        (e) => e.kind === "collection" && e.params.length === 0,
      ),
  },
  {
    id: "END-007",
    title: "MAY offer GET /classes/{id}/categories, the de-facto extension real consumers call",
    section: "§1.3 notes, §10.1",
    area: "endpoints",
    profiles: ["gradebook"],
    async run(ctx) {
      const ep = endpointById("getCategoriesForClass");
      const values = await resolveParams(ctx, ep);
      if (!values) {
        return { skip: "no class to call it with" };
      }
      const path = fillPath(ep.path, values);
      const res = await ctx.cachedGet(path);
      const records = recordsOf(res, ep, `GET ${path}`);
      const bad = records.map((rec) => recordProblems("category", rec, ctx.recordOptions)).find((p) => p.length > 0);
      if (bad) {
        fail(`GET ${path}: invalid category: ${bad.join(", ")}`, res);
      }
      return undefined;
    },
  },
  {
    id: "END-008",
    title:
      "MUST list in each subset collection the records of its kind the parent collection holds (/schools: the orgs of type school…)",
    section: "§1.3 notes",
    area: "endpoints",
    profiles: ROSTERING,
    async run(ctx): Promise<CheckOutcome> {
      const partial: string[] = [];
      let tried = 0;
      await eachOf(
        ctx.endpoints(["collection"]).filter((e) => e.subset && e.params.length === 0),
        async (subsetEp) => {
          const subset = subsetEp.subset as { field: string; value: string };
          const parent = SUBSET_PARENTS[subsetEp.operationId];
          if (!parent) {
            return;
          }
          const parentEp = endpointById(parent);
          const sample = looseRecords(await ctx.cachedGet(parentEp.path), parentEp.envelope).filter(
            (r) => r[subset.field] === subset.value && typeof r.sourcedId === "string",
          );
          if (sample.length === 0) {
            partial.push(`${subsetEp.operationId}: the first page of ${parentEp.path} holds no ${subset.value}`);
            return;
          }
          tried++;
          if (!(await fitsReference(ctx, subsetEp))) {
            partial.push(`${subsetEp.operationId}: more than ${MAX_REFERENCE_RECORDS} records, not read in full`);
            return;
          }
          const listed = new Set((await referenceSet(ctx, subsetEp)).map((r) => r.sourcedId));
          const missing = sample.filter((r) => !listed.has(r.sourcedId));
          if (missing.length > 0) {
            fail(
              `${subsetEp.path} leaves out ${missing.length} of the ${sample.length} ${subset.value} record(s) on the first page of ${parentEp.path} (e.g. ${String(missing[0]?.sourcedId)})`,
              await ctx.cachedGet(subsetEp.path),
              { missing: missing.slice(0, 3).map((r) => r.sourcedId) },
            );
          }
        },
      );
      if (tried === 0) {
        return { skip: partial.join("; ") || "no subset collection in the selected profiles" };
      }
      return partial.length > 0 ? { partial } : undefined;
    },
  },
];

/** The parent collection of each top-level subset collection (notes §1.3 notes: `/schools` ≡ orgs of type school). */
const SUBSET_PARENTS: Record<string, string> = {
  getAllSchools: "getAllOrgs",
  getAllStudents: "getAllUsers",
  getAllTeachers: "getAllUsers",
  getAllTerms: "getAllAcademicSessions",
  getAllGradingPeriods: "getAllAcademicSessions",
};

/** Entities whose records the default token may read, used when sampling references (single-reads.ts). */
export function readableEntityPaths(ctx: CheckContext): Set<string> {
  const paths = new Set(ctx.endpoints(["single"]).map((e) => e.path.split("/")[1] ?? ""));
  if (ctx.profiles.has("gradebook") || ctx.profiles.has("resources")) {
    for (const e of Object.values(ENTITIES)) {
      if (!e.gradebook && e.name !== "resource" && e.name !== "demographics") {
        paths.add(e.path);
      }
    }
  }
  return paths;
}
