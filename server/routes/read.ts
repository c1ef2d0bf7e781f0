// GET handlers for every read operation of the endpoint table: collections (paging, sort, filter, fields,
// subset and relationship scoping) and single-object reads.
import type { Context } from "hono";
import { ENTITIES, type Endpoint } from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";
import { ApiError } from "../errors.js";
import { LINK_HEADER_MAX_BYTES } from "../http/limits.js";
import { presentRecord } from "../present/record.js";
import { linkHeader } from "../query/paginate.js";
import { parseCollectionQuery, parseSingleQuery } from "../query/parse.js";
import { findMissingParent, getRecord, listRecords, type Row, subsetToSql } from "../repo/records.js";
import { RELATIONS } from "../repo/relations.js";
import { ENTITY_TABLES } from "../repo/tables.js";
import { authorize, baseUrlOf, envelopeWith, originOf, type RouteDeps, servePage } from "./context.js";

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
  return async (c: Context<AppEnv>) => {
    const quirks = await authorize(c, deps, endpoint);
    return servePage(c, deps, quirks, async () => {
      const spec = parseCollectionQuery((n) => c.req.query(n), entity, { limitCap: deps.config.limitCap, quirks });
      const rel = relation?.(c.req.param() as Record<string, string>);
      if (rel) {
        const missing = await findMissingParent(deps.db, rel.parents);
        if (missing) {
          // Unknown parent on a relationship endpoint → 404 unknownobject (notes §1.3 notes).
          throw new ApiError("not_found", `no ${missing.label} with sourcedId '${missing.id}'`);
        }
      }
      const pageLocalSort = quirks.has("page-local-sort") && spec.sort !== undefined;
      const hidden = quirks.has("hide-schools") && endpoint.operationId === "getAllSchools";
      const { rows, total } = hidden
        ? { rows: [], total: 0 }
        : await listRecords(deps.db, endpoint.entity, spec, {
            scope: [...subsetToSql(table, endpoint.subset), ...(rel?.scope ?? [])],
            hideTombstones: quirks.has("no-tombstones"),
            pageLocalSort,
          });
      const ordered = pageLocalSort && spec.sort ? sortPage(rows, spec.sort.field, spec.sort.direction) : rows;
      const base = baseUrlOf(c, deps);
      const records = ordered.map((r) => presentRecord(endpoint.entity, r, base, spec.fields, deps.config.booleans));
      // The total is counted even under `no-total-count`: the Link header still needs it.
      const headers: Record<string, string> = quirks.has("no-total-count") ? {} : { "X-Total-Count": String(total) };
      const url = new URL(c.req.url);
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
      return { body: envelopeWith(key, records, spec.warnings), headers };
    });
  };
}

export function singleHandler(deps: RouteDeps, endpoint: Endpoint) {
  const entity = ENTITIES[endpoint.entity];
  return async (c: Context<AppEnv>) => {
    const quirks = await authorize(c, deps, endpoint);
    return servePage(c, deps, quirks, async () => {
      const { fields, warnings } = parseSingleQuery((n) => c.req.query(n), entity, {
        limitCap: deps.config.limitCap,
        quirks,
      });
      const id = c.req.param("id") ?? "";
      const row = await getRecord(deps.db, endpoint.entity, id, endpoint.subset, quirks.has("no-tombstones"));
      if (!row) {
        const what = endpoint.subset ? endpoint.subset.value : entity.name;
        throw new ApiError("not_found", `no ${what} with sourcedId '${id}'`);
      }
      const record = presentRecord(endpoint.entity, row, baseUrlOf(c, deps), fields, deps.config.booleans);
      return { body: envelopeWith(endpoint.envelope, record, warnings) };
    });
  };
}
