// GET handlers for every read operation of the endpoint table: collections (paging, sort, filter, fields,
// subset and relationship scoping) and single-object reads.
import type { Context } from "hono";
import { ENTITIES, type Endpoint } from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";
import { ApiError } from "../errors.js";
import { LINK_HEADER_MAX_BYTES } from "../http/limits.js";
import { type RecordJsonSql, recordJsonSql } from "../present/json-sql.js";
import { type BooleanForm, presentRecord } from "../present/record.js";
import { linkHeader } from "../query/paginate.js";
import { parseCollectionQuery, parseSingleQuery } from "../query/parse.js";
import {
  findMissingParent,
  getRecord,
  getRecordJson,
  listRecords,
  listRecordsJson,
  type Row,
  subsetToSql,
} from "../repo/records.js";
import { type ParentCheck, RELATIONS, relationOverPlaceholders } from "../repo/relations.js";
import { ENTITY_TABLES } from "../repo/tables.js";
import {
  authorize,
  baseUrlOf,
  envelopeText,
  envelopeWith,
  originOf,
  queryReader,
  type RouteDeps,
  servePage,
} from "./context.js";

/** Record SQL by entity, base URL, fields and boolean form: built once, not per request. */
const jsonSqlMemo = new Map<string, RecordJsonSql>();
const JSON_SQL_MEMO_MAX = 1000;

function jsonSqlFor(
  entity: EndpointEntity,
  base: string,
  fields: readonly string[] | undefined,
  booleans: BooleanForm,
): RecordJsonSql {
  const key = `${entity}|${base}|${booleans}|${fields?.join(",") ?? "*"}`;
  let found = jsonSqlMemo.get(key);
  if (!found) {
    if (jsonSqlMemo.size >= JSON_SQL_MEMO_MAX) {
      jsonSqlMemo.clear();
    }
    found = recordJsonSql(entity, base, fields, booleans);
    jsonSqlMemo.set(key, found);
  }
  return found;
}

type EndpointEntity = Endpoint["entity"];

/** Orders already-fetched rows: only for the `page-local-sort` quirk, which sorts each page on its own. */
function sortPage(rows: Row[], field: string, direction: "asc" | "desc"): Row[] {
  const key = (r: Row) => {
    const v = r[field];
    return v instanceof Date ? v.toISOString() : v === null || v === undefined ? "" : String(v);
  };
  const sorted = [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return direction === "desc" ? sorted.reverse() : sorted;
}

export function collectionHandler(deps: RouteDeps, endpoint: Endpoint) {
  const entity = ENTITIES[endpoint.entity];
  const table = ENTITY_TABLES[endpoint.entity];
  const relation = RELATIONS[endpoint.operationId];
  const subsetScope = subsetToSql(table, endpoint.subset);
  // This endpoint's scope with placeholders for its path ids, for a statement built once per shape (see ListShape).
  const shapeRel = relationOverPlaceholders(endpoint.operationId);
  const shapeScope = [...subsetScope, ...(shapeRel?.scope ?? [])];
  return async (c: Context<AppEnv>) => {
    const quirks = await authorize(c, deps, endpoint);
    return servePage(c, deps, quirks, async () => {
      const spec = parseCollectionQuery(queryReader(c), entity, { limitCap: deps.config.limitCap, quirks });
      const params = c.req.param() as Record<string, string>;
      const rel = relation?.(params);
      // Unknown parent on a relationship endpoint → 404 unknownobject (notes §1.3 notes).
      const noParent = (missing: ParentCheck) =>
        new ApiError("not_found", `no ${missing.label} with sourcedId '${missing.id}'`);
      const pageLocalSort = quirks.has("page-local-sort") && spec.sort !== undefined;
      const hidden = quirks.has("hide-schools") && endpoint.operationId === "getAllSchools";
      const base = baseUrlOf(c, deps);
      const url = new URL(c.req.url);
      const scope = [...subsetScope, ...(rel?.scope ?? [])];
      const hideTombstones = quirks.has("no-tombstones");
      // The usual path: records as JSON text from Postgres, page and total in one statement, and the total
      // remembered per data generation and query (everything that shapes the WHERE: path, filter, tombstones).
      let fast: { records: string; total: number } | undefined;
      if (!hidden && !pageLocalSort) {
        const countKey = `${url.pathname}|${hideTombstones}|${JSON.stringify(spec.filter ?? null)}`;
        const generation = deps.pageCache.generation();
        const known = deps.pageCache.count(countKey);
        const page = await listRecordsJson(deps.db, endpoint.entity, spec, {
          hideTombstones,
          json: jsonSqlFor(endpoint.entity, base, spec.fields, deps.config.booleans),
          countTotal: known === undefined,
          // The parents are checked in the page's own statement.
          parents: rel?.parents ?? [],
          shape: {
            key: endpoint.operationId,
            scope: shapeScope,
            parents: shapeRel?.parents ?? [],
            values: params,
          },
        });
        if (page?.missingParent) {
          throw noParent(page.missingParent);
        }
        const total = known ?? page?.total;
        if (page && total !== undefined) {
          if (known === undefined) {
            deps.pageCache.setCount(countKey, generation, total);
          }
          fast = { records: page.records, total };
        }
      }
      let records: unknown[] = [];
      let total = fast?.total ?? 0;
      if (!fast && rel) {
        const missing = await findMissingParent(deps.db, rel.parents);
        if (missing) {
          throw noParent(missing);
        }
      }
      if (!fast && !hidden) {
        const listed = await listRecords(deps.db, endpoint.entity, spec, { scope, hideTombstones, pageLocalSort });
        const ordered =
          pageLocalSort && spec.sort ? sortPage(listed.rows, spec.sort.field, spec.sort.direction) : listed.rows;
        records = ordered.map((r) => presentRecord(endpoint.entity, r, base, spec.fields, deps.config.booleans));
        total = listed.total;
      }
      // The total is counted even under `no-total-count`: the Link header still needs it.
      const headers: Record<string, string> = quirks.has("no-total-count") ? {} : { "X-Total-Count": String(total) };
      const link = linkHeader({
        url: `${originOf(c, deps)}${url.pathname}`,
        params: [...url.searchParams.entries()],
        offset: spec.offset,
        limit: spec.pageStep,
        total,
        maxBytes: LINK_HEADER_MAX_BYTES,
        ...(quirks.has("link-drops-filter") ? { drop: ["filter", "sort", "orderBy"] } : {}),
      });
      if (link) {
        headers.Link = link;
      }
      const key = quirks.has("wrong-envelope") ? "data" : endpoint.envelope;
      if (fast) {
        return { text: envelopeText(key, `[${fast.records}]`, spec.warnings), headers };
      }
      return { body: envelopeWith(key, records, spec.warnings), headers };
    });
  };
}

export function singleHandler(deps: RouteDeps, endpoint: Endpoint) {
  const entity = ENTITIES[endpoint.entity];
  return async (c: Context<AppEnv>) => {
    const quirks = await authorize(c, deps, endpoint);
    return servePage(c, deps, quirks, async () => {
      const { fields, warnings } = parseSingleQuery(queryReader(c), entity, {
        limitCap: deps.config.limitCap,
        quirks,
      });
      const id = c.req.param("id") ?? "";
      const hideTombstones = quirks.has("no-tombstones");
      const base = baseUrlOf(c, deps);
      const missing = () => {
        const what = endpoint.subset ? endpoint.subset.value : entity.name;
        return new ApiError("not_found", `no ${what} with sourcedId '${id}'`);
      };
      const json = jsonSqlFor(endpoint.entity, base, fields, deps.config.booleans);
      const text = await getRecordJson(deps.db, endpoint.entity, id, endpoint.subset, hideTombstones, json);
      if (text === null) {
        throw missing();
      }
      if (text !== undefined) {
        return { text: envelopeText(endpoint.envelope, text, warnings) };
      }
      const row = await getRecord(deps.db, endpoint.entity, id, endpoint.subset, hideTombstones);
      if (!row) {
        throw missing();
      }
      const record = presentRecord(endpoint.entity, row, base, fields, deps.config.booleans);
      return { body: envelopeWith(endpoint.envelope, record, warnings) };
    });
  };
}
