// Generic reads of OneRoster records: (db, table, spec) → rows. Never imports hono. SQL comes from query/to-sql.ts.
import type DataLoader from "dataloader";
import { and, count, eq, getTableName, type SQL, sql } from "drizzle-orm";
import type { EntityName, Subset } from "../../oneroster/index.js";
import { ENTITIES } from "../../oneroster/index.js";
import { type Db, type DirectStatement, directStatement, runDirect, runDirectMany } from "../db/client.js";
import { turnBatchLoader } from "../db/turn-batch.js";
import { overTableName, type RecordJsonSql } from "../present/json-sql.js";
import type { QuerySpec } from "../query/parse.js";
import { filterPlaceholderValues, filterShape, orderToSql, placeholderBinder, whereToSql } from "../query/to-sql.js";
import type { ParentCheck } from "./relations.js";
import { ENTITY_TABLES, type EntityTable } from "./tables.js";

export type Row = Record<string, unknown>;

const TEXT_KINDS = new Set(["id", "string", "enum", "ref"]);
const textFieldCache = new Map<EntityName, ReadonlySet<string>>();

/** Fields of an entity that sort as text (by code point). */
function textFields(entity: EntityName): ReadonlySet<string> {
  let set = textFieldCache.get(entity);
  if (!set) {
    set = new Set(
      Object.entries(ENTITIES[entity].fields)
        .filter(([, k]) => TEXT_KINDS.has(k.kind))
        .map(([f]) => f),
    );
    textFieldCache.set(entity, set);
  }
  return set;
}

/** The subset rule as SQL (`/students` ⇒ role = 'student'). */
export function subsetToSql(table: EntityTable, subset: Subset | undefined): SQL[] {
  if (!subset) {
    return [];
  }
  const col = table.columns[subset.field];
  return col ? [sql`${col} = ${subset.value}`] : [];
}

export interface ListOptions {
  scope: SQL[];
  hideTombstones: boolean;
  /** `page-local-sort` quirk: fetch the page in default order, the caller sorts it. */
  pageLocalSort: boolean;
}

/** One page of a collection and the total after filtering (notes §4). */
export async function listRecords(
  db: Db,
  entity: EntityName,
  spec: QuerySpec,
  opts: ListOptions,
): Promise<{ rows: Row[]; total: number }> {
  const table = ENTITY_TABLES[entity];
  const where = whereToSql(table, opts.scope, spec.filter, { hideTombstones: opts.hideTombstones });
  const order = orderToSql(table, opts.pageLocalSort ? undefined : spec.sort, textFields(entity));
  const pageQuery = db
    .select(table.columns)
    .from(table.table)
    .where(where)
    .orderBy(...order)
    .limit(spec.limit)
    .offset(spec.offset);
  const countQuery = db.select({ n: count() }).from(table.table).where(where);
  const [rows, counted] = await Promise.all([pageQuery, countQuery]);
  return { rows: rows as Row[], total: Number(counted[0]?.n ?? 0) };
}

/** A page as JSON text: the records joined by commas (no brackets), and the total unless the caller knew it. */
export interface JsonPage {
  records: string;
  total: number | undefined;
  /** The first of `parents` that does not exist (the records and total are then empty). */
  missingParent?: ParentCheck;
}

/**
 * A list statement's shape: a read differs from the next one of its endpoint, filter shape (query/to-sql.ts
 * filterShape) and sort only in values (path ids, filter values, limit, offset), so its statement is built once with
 * placeholders for them and then only executed.
 */
export interface ListShape {
  /** Names the scope's structure (the endpoint's operationId): the same key must always give the same scope. */
  key: string;
  /** The scope and the parents with sql.placeholder(name) where a path id goes. */
  scope: SQL[];
  parents: readonly ParentCheck[];
  /** This request's value of each placeholder. */
  values: Record<string, string>;
}

interface ListJsonOptions {
  hideTombstones: boolean;
  json: RecordJsonSql;
  countTotal: boolean;
  /** The read as a shape: its scope and parents with placeholders, and their values (see ListShape). */
  shape: ListShape;
  /** The parents with this request's ids (shape.parents in the same order), to name the one that is missing. */
  parents: readonly ParentCheck[];
}

/**
 * The page-and-total statement of a shape over `where`, with placeholders for limit and offset; the parents are
 * checked in the same statement (see findMissingParent).
 *
 * The page's rows are selected first, in a CTE named like the table: the record SQL (present/json-sql.ts) names
 * columns by the bare table name, so it reads the page's rows directly, with no second look-up of each row by id.
 * A select list is evaluated even for the rows OFFSET skips, so the records are built outside the CTE, for the
 * page only. The count and the parent checks name the schema, so they read the table itself.
 */
function listJsonQuery(db: Db, entity: EntityName, spec: QuerySpec, opts: ListJsonOptions, where: SQL | undefined) {
  const table = ENTITY_TABLES[entity];
  const order = orderToSql(table, spec.sort, textFields(entity));
  const whereClause = where ? sql` where ${where}` : sql``;
  const page = sql`select * from ${table.table}${whereClause} order by ${sql.join(order, sql`, `)} limit ${sql.placeholder("limit")}::int8 offset ${sql.placeholder("offset")}::int8`;
  // Counted only when asked (a parameter, so reads that count and reads that do not share the statement and its
  // batches), and only when the page cannot tell: a page shorter than its limit holds every row from its offset on,
  // so the total is offset + its rows (a class roster, a late delta, the last page), unless it is empty past offset 0.
  // Postgres runs the sub-select only where the CASE reaches it. count(*) is the page's: the select reads the page.
  const limit = sql`${sql.placeholder("limit")}::int8`;
  const offset = sql`${sql.placeholder("offset")}::int8`;
  const total = sql`(case when ${sql.placeholder("countTotal")}::boolean then (case when count(*) < ${limit} and (count(*) > 0 or ${offset} = 0) then ${offset} + count(*) else (select count(*) from ${table.table}${whereClause}) end) end)::int`;
  const parents = opts.shape.parents;
  // The index of the first parent that does not exist, or -1: one statement instead of one more per parent.
  const missing =
    parents.length > 0
      ? sql`(case ${sql.join(
          parents.map((p, i) => sql`when not exists (${parentQuery(db, p)}) then ${sql.raw(String(i))}`),
          sql` `,
        )} else -1 end)::int`
      : sql`-1`;
  // string_agg orders the records by the same ORDER BY (it ends in sourcedId, so the order is total), over the page.
  const pageOrder = overTableName(sql.join(order, sql`, `), table.table);
  const name = sql.identifier(getTableName(table.table));
  return sql`with ${name} as (${page}) select ${missing}, ${total}, coalesce(string_agg(${opts.json.json}, ',' order by ${pageOrder}), ''), coalesce(bool_and(${opts.json.exact}), true) from ${name}`;
}

/** List statements by database, record SQL and shape: built once, then only executed. */
let listJsonStatements = new WeakMap<Db, WeakMap<RecordJsonSql, Map<string, DirectStatement>>>();
/** At most this many built statements in all (fields and filter shapes are the client's to vary): then start over. */
const LIST_SHAPES_MAX = 2000;
let listShapesBuilt = 0;

/**
 * The prepared statement of a read's shape and the values of its placeholders. The statement, the filter's SQL
 * included, is built once per shape; later reads of the shape only collect their values (filterPlaceholderValues).
 */
function listJsonStatement(
  db: Db,
  entity: EntityName,
  spec: QuerySpec,
  opts: ListJsonOptions,
): { statement: DirectStatement; values: Record<string, unknown> } {
  const { shape } = opts;
  const values = {
    ...shape.values,
    ...filterPlaceholderValues(spec.filter),
    limit: spec.limit,
    offset: spec.offset,
    countTotal: opts.countTotal,
  };
  if (listShapesBuilt >= LIST_SHAPES_MAX) {
    listJsonStatements = new WeakMap();
    listShapesBuilt = 0;
  }
  let byJson = listJsonStatements.get(db);
  if (!byJson) {
    byJson = new WeakMap();
    listJsonStatements.set(db, byJson);
  }
  let byShape = byJson.get(opts.json);
  if (!byShape) {
    byShape = new Map();
    byJson.set(opts.json, byShape);
  }
  const key = `${entity}|${shape.key}|${filterShape(spec.filter)}|${JSON.stringify(spec.sort ?? null)}|${opts.hideTombstones}`;
  let statement = byShape.get(key);
  if (!statement) {
    listShapesBuilt += 1;
    const table = ENTITY_TABLES[entity];
    const binder = placeholderBinder();
    const where = whereToSql(table, shape.scope, spec.filter, {
      hideTombstones: opts.hideTombstones,
      bind: binder.bind,
    });
    // The values the statement was built with must be the ones later reads of its shape collect without building it.
    for (const [name, value] of Object.entries(binder.values)) {
      if (!Object.is(values[name as keyof typeof values], value)) {
        throw new Error(`list statement: placeholder ${name} differs from filterPlaceholderValues`);
      }
    }
    statement = directStatement(listJsonQuery(db, entity, spec, opts, where));
    byShape.set(key, statement);
  }
  return { statement, values };
}

/** Most reads one list statement serves (a larger turn's reads of one shape are split across statements). */
const LIST_BATCH_MAX = 50;

/** List reads and the statements that served them, since start: how well list reads batch (tests). */
export const listReadBatching = { reads: 0, statements: 0 };

/** List loaders by statement (each statement is built for one database): one shape's reads of a turn share one. */
const listPageLoaders = new WeakMap<DirectStatement, DataLoader<Record<string, unknown>, unknown[][]>>();

/**
 * The list reads of one shape started in one event-loop turn (different path ids, filter values, limits, offsets) run
 * as ONE statement when the turn is over (db/turn-batch.ts), the shape's statement once per read as a LATERAL
 * subquery (db/client.ts runDirectMany), each read getting its own rows.
 */
function listPageLoader(db: Db, statement: DirectStatement): DataLoader<Record<string, unknown>, unknown[][]> {
  let loader = listPageLoaders.get(statement);
  if (!loader) {
    loader = turnBatchLoader((sets: readonly Record<string, unknown>[]) => runDirectMany(db, statement, sets), {
      maxBatch: LIST_BATCH_MAX,
      onBatch: (sets) => {
        listReadBatching.statements += 1;
        listReadBatching.reads += sets;
      },
    });
    listPageLoaders.set(statement, loader);
  }
  return loader;
}

/**
 * The page and its total in ONE statement, the records' JSON text built by Postgres (present/json-sql.ts); the count
 * is left out when the caller remembers it (`countTotal: false`). Undefined when a record on the page holds a value
 * SQL cannot present exactly: the caller then presents the page in Node (listRecords).
 */
export async function listRecordsJson(
  db: Db,
  entity: EntityName,
  spec: QuerySpec,
  opts: ListJsonOptions,
): Promise<JsonPage | undefined> {
  // Run directly on the driver, prepared per connection (postgres.js finds it again by its text): the statement is
  // long, and parsing and planning it again on every request cost more than running it; it is also built only once
  // per shape.
  const { statement, values } = listJsonStatement(db, entity, spec, opts);
  const [row] = (await listPageLoader(db, statement).load(values)) as [number, number | null, string, boolean][];
  const missingParent = row && row[0] >= 0 ? opts.parents[row[0]] : undefined;
  if (missingParent) {
    return { records: "", total: 0, missingParent };
  }
  if (!row?.[3]) {
    return undefined;
  }
  return { records: row[2], total: row[1] ?? undefined };
}

/** Most ids one single-record statement looks up (a larger turn's reads are split across statements). */
const SINGLE_BATCH_MAX = 500;

/** Single-record reads and the statements that served them, since start: how well reads batch (tests). */
export const singleRecordBatching = { reads: 0, statements: 0 };

/** What a record's read found: its JSON text and whether SQL presented it exactly; undefined when there is none. */
type FoundJson = readonly [json: string, exact: boolean] | undefined;

/**
 * The single-record statement of a scope, over a list of ids: `sourcedId = any(…)`, so the reads of one event-loop turn
 * share one statement (see singleRecordLoader). Rows come back as (sourcedId, json, exact). The ids come as a jsonb
 * array, not a text[]: Postgres estimates `= any` of an array parameter by its length in a custom plan and as 10 in a
 * generic one, so batches of fewer than ten ids kept it planning every run again (see manyStatementText in db/client.ts).
 */
function singleJsonStatement(
  db: Db,
  entity: EntityName,
  subset: Subset | undefined,
  hideTombstones: boolean,
  json: RecordJsonSql,
) {
  const table = ENTITY_TABLES[entity];
  const byIds = sql`${table.id} = any(array(select jsonb_array_elements_text(${sql.placeholder("ids")}::text::jsonb)))`;
  const where = whereToSql(table, [byIds, ...subsetToSql(table, subset)], undefined, { hideTombstones });
  return directStatement(
    db
      .select({ id: table.id, j: sql<string>`${json.json}`, x: sql<boolean>`${json.exact}` })
      .from(table.table)
      .where(where),
  );
}

/**
 * The single-record reads of one statement (database, record SQL and scope) started in one event-loop turn, as one
 * `sourcedId = any(…)` when the turn is over (db/turn-batch.ts), each read getting its own row or none.
 */
function singleRecordLoader(db: Db, statement: DirectStatement): DataLoader<string, FoundJson> {
  return turnBatchLoader(
    async (ids: readonly string[]) => {
      const rows = (await runDirect(db, statement, { ids: JSON.stringify(ids) })) as [string, string, boolean][];
      const found = new Map<string, FoundJson>();
      for (const [id, json, exact] of rows) {
        found.set(id, [json, exact]);
      }
      return ids.map((id) => found.get(id));
    },
    {
      maxBatch: SINGLE_BATCH_MAX,
      onBatch: (size) => {
        singleRecordBatching.statements += 1;
        singleRecordBatching.reads += size;
      },
    },
  );
}

/** Single-record loaders by database, record SQL and scope: each statement built once, then only executed. */
const singleJsonLoaders = new WeakMap<Db, WeakMap<RecordJsonSql, Map<string, DataLoader<string, FoundJson>>>>();

function singleJsonLoader(
  db: Db,
  entity: EntityName,
  subset: Subset | undefined,
  hideTombstones: boolean,
  json: RecordJsonSql,
): DataLoader<string, FoundJson> {
  let byJson = singleJsonLoaders.get(db);
  if (!byJson) {
    byJson = new WeakMap();
    singleJsonLoaders.set(db, byJson);
  }
  let byScope = byJson.get(json);
  if (!byScope) {
    byScope = new Map();
    byJson.set(json, byScope);
  }
  const key = `${entity}|${subset ? `${subset.field}=${subset.value}` : ""}|${hideTombstones}`;
  let loader = byScope.get(key);
  if (!loader) {
    loader = singleRecordLoader(db, singleJsonStatement(db, entity, subset, hideTombstones, json));
    byScope.set(key, loader);
  }
  return loader;
}

/**
 * One record's JSON text by sourcedId within a subset (as getRecord finds it), null when there is none, undefined
 * when SQL cannot present it exactly (the caller then uses getRecord and presentRecord). Reads of the same scope in
 * one event-loop turn share one statement (singleRecordLoader).
 */
export async function getRecordJson(
  db: Db,
  entity: EntityName,
  id: string,
  subset: Subset | undefined,
  hideTombstones: boolean,
  json: RecordJsonSql,
): Promise<string | null | undefined> {
  const found = await singleJsonLoader(db, entity, subset, hideTombstones, json).load(id);
  if (found === undefined) {
    return null;
  }
  return found[1] ? found[0] : undefined;
}

/** One record by sourcedId within a subset, or undefined; gradebook tombstones read as absent (notes §7.2). */
export async function getRecord(
  db: Db,
  entity: EntityName,
  id: string,
  subset: Subset | undefined,
  hideTombstones: boolean,
): Promise<Row | undefined> {
  const table = ENTITY_TABLES[entity];
  const where = whereToSql(table, [eq(table.id, id), ...subsetToSql(table, subset)], undefined, { hideTombstones });
  const rows = await db.select(table.columns).from(table.table).where(where).limit(1);
  return rows[0] as Row | undefined;
}

/** The query that finds a relationship's parent: by id, within its subset, not a tombstone, and its extra rule. */
function parentQuery(db: Db, parent: ParentCheck) {
  const table = ENTITY_TABLES[parent.entity];
  const conditions = [eq(table.id, parent.id), ...subsetToSql(table, parent.subset)];
  if (parent.extra) {
    conditions.push(parent.extra);
  }
  if (table.deleted) {
    conditions.push(sql`${table.deleted} = false`);
  }
  // No LIMIT: the id is the primary key, and a LIMIT's parameter could not be read back from text (runDirectMany).
  return db
    .select({ one: sql`1` })
    .from(table.table)
    .where(and(...conditions));
}

/** The first parent that does not exist, or undefined when all do. */
export async function findMissingParent(db: Db, parents: readonly ParentCheck[]): Promise<ParentCheck | undefined> {
  for (const parent of parents) {
    if ((await parentQuery(db, parent)).length === 0) {
      return parent;
    }
  }
  return undefined;
}
