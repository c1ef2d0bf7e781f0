// openDb(url): the only file that names a database driver or knows its internals. postgres:// URLs use postgres.js;
// anything else (nothing, `memory:`, or a directory path) opens an embedded PGlite. Both give the same drizzle API,
// plus what drizzle does not model: raw statements, LISTEN, COPY FROM STDIN inside a transaction, PGlite clones.

import { AsyncLocalStorage } from "node:async_hooks";
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PGlite, type Transaction as PgliteTransaction } from "@electric-sql/pglite";
import { is, Param, Placeholder, SQL, sql } from "drizzle-orm";
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema.js";

export type Schema = typeof schema;
/** The drizzle database both drivers satisfy. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Driver = "pglite" | "postgres";

/** COPY input in PostgreSQL text format: one string, chunks (strings or bytes, sync or async), or a Blob. */
export type CopySource =
  | string
  | Uint8Array
  | Blob
  | Iterable<string | Uint8Array>
  | AsyncIterable<string | Uint8Array>;

export interface DbHandle {
  db: Db;
  driver: Driver;
  /** A printable description without credentials. */
  label: string;
  /** Raw SQL text execution, for statements drizzle does not model (TRUNCATE lists, CREATE DATABASE). */
  exec(sqlText: string): Promise<void>;
  /**
   * Runs `statement` (a `COPY … FROM STDIN`) with `data`. Called inside `db.transaction(…)` of this handle, it joins
   * that transaction (same connection, same commit or rollback); elsewhere it runs on its own. Postgres streams the
   * data; PGlite reads it as one in-memory blob.
   */
  copyFrom(statement: string, data: CopySource): Promise<void>;
  /**
   * LISTEN on a channel: `onNotify` runs for every notification, and also each time the listening connection is
   * (re)established, since notifications sent while it was down are lost. Returns the function that stops it.
   */
  listen?(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /** PGlite only: an independent copy of the whole database (tests clone one migrated template). */
  clone?(): Promise<DbHandle>;
  /** PGlite only: the whole data directory as an uncompressed tarball, which `openDb(…, { loadDataDir })` restores. */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

/**
 * A statement drizzle built once and the driver then runs directly: drizzle's prepared execute fills placeholders by
 * inspecting every parameter, opens tracing spans and maps rows to objects on each call, which on a one-row read cost
 * as much as the rest of the request's own code (npm run bench -- --only reads --profile DIR). For the hot reads only.
 */
export interface DirectStatement {
  readonly text: string;
  /** Per parameter: a constant, or the name of a placeholder (with the column's encoder, if drizzle gave one). */
  readonly slots: readonly ({ value: unknown } | { name: string; encode?: (value: unknown) => unknown })[];
}

type DirectRunner = (text: string, params: unknown[]) => Promise<unknown[][]>;
/** How each open database runs a direct statement, set by openDb for both drivers. */
const directRunners = new WeakMap<Db, DirectRunner>();

/** Renders raw SQL as both drivers' drizzle instances do (snake_case column names). */
const directDialect = new PgDialect({ casing: "snake_case" });

/** The text and parameters of raw SQL, rendered as both drivers' drizzle instances render it. */
export function renderSql(query: SQL): { sql: string; params: unknown[] } {
  return directDialect.sqlToQuery(query);
}

/** A text as an element of a Postgres array literal: double-quoted, with `"` and `\` escaped where it has any. */
export function arrayLiteralElement(value: string): string {
  return value.includes('"') || value.includes("\\") ? `"${value.replace(/["\\]/g, "\\$&")}"` : `"${value}"`;
}

/**
 * Items as one Postgres array literal, each written by `element` (which quotes or escapes it as the literal needs):
 * one parameter whatever the count, sent the same way by both drivers (each serializes JavaScript arrays its own way).
 */
export function arrayLiteral<T>(items: readonly T[], element: (item: T) => string): string {
  let literal = "{";
  for (let i = 0; i < items.length; i++) {
    literal += (i === 0 ? "" : ",") + element(items[i] as T);
  }
  return `${literal}}`;
}

/** Texts as one Postgres array literal, for a `$n::text[]` parameter. */
export function textArrayLiteral(values: readonly string[]): string {
  return arrayLiteral(values, arrayLiteralElement);
}

/** The text and parameter slots of a drizzle query or raw SQL (placeholders from sql.placeholder). */
export function directStatement(query: { toSQL(): { sql: string; params: unknown[] } } | SQL): DirectStatement {
  const { sql: text, params } = is(query, SQL) ? renderSql(query) : query.toSQL();
  const slots = params.map((p) => {
    if (is(p, Placeholder)) {
      return { name: p.name };
    }
    if (is(p, Param) && is(p.value, Placeholder)) {
      const { encoder } = p;
      return { name: p.value.name, encode: (value: unknown) => encoder.mapToDriverValue(value) };
    }
    return { value: p };
  });
  return { text, slots };
}

/**
 * Runs a direct statement on a database from openDb (not inside a transaction), with a value for each placeholder.
 * Rows come back as arrays in select-list order, values as the driver decodes them (text, booleans, int4 as numbers).
 */
export function runDirect(db: Db, statement: DirectStatement, values: Record<string, unknown>): Promise<unknown[][]> {
  const run = directRunners.get(db);
  if (!run) {
    throw new Error("runDirect: this database was not opened by openDb");
  }
  return run(
    statement.text,
    statement.slots.map((slot) => slotValue(slot, values)),
  );
}

/** A parameter's value: the slot's constant, or the placeholder's value from `values` (encoded for its column). */
function slotValue(slot: DirectStatement["slots"][number], values: Record<string, unknown>): unknown {
  if ("value" in slot) {
    return slot.value;
  }
  if (!(slot.name in values)) {
    throw new Error(`direct statement: no value for placeholder "${slot.name}"`);
  }
  const value = values[slot.name];
  return slot.encode ? slot.encode(value) : value;
}

/**
 * A parameter, or a quoted literal or identifier to step over, in a statement's text (standard-conforming strings; our
 * statements use no dollar quoting and no E'' strings).
 */
const PARAM_OR_QUOTED = /'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g;

/**
 * The statement of a direct statement run for many sets of values at once (see runDirectMany), and the column of each
 * parameter slot in its sets, built once each.
 */
const manyStatements = new WeakMap<DirectStatement, { text: string; columns: readonly string[] }>();

/**
 * `statement` over an array of value sets: each parameter `$i` of its text becomes column `c<i>` of a row of
 * `jsonb_to_recordset($1)` (a text, cast back by its context or its own cast, as a parameter would be), the statement
 * runs once per row as a LATERAL subquery, and each result row starts with its row's 1-based position.
 *
 * The sets travel as ONE jsonb parameter, not as text arrays, for the planner's sake. Postgres plans a prepared
 * statement anew for its values (a custom plan) until it finds a generic plan no costlier; its estimate of an
 * array parameter's `unnest` or `= any` is the array's length in a custom plan and 10 in a generic one, so a batch of
 * fewer than ten made the generic plan look costlier and every run was planned again: about a quarter of the Postgres
 * CPU of a class-roster read (0.57-0.60 ms a read before, 0.43-0.45 after, in `npm run bench -- --only reads`).
 * `jsonb_to_recordset` is estimated at 100 rows either way, so the generic plan wins after five runs. Nothing is lost
 * by it: the lateral subquery reads the values as columns, never as constants, in any plan. (PGlite runs each
 * statement unnamed, planned every time, whichever form.)
 */
function manyStatementText(statement: DirectStatement): { text: string; columns: readonly string[] } {
  let many = manyStatements.get(statement);
  if (many === undefined) {
    const inner = statement.text.replace(PARAM_OR_QUOTED, (match, n: string | undefined) =>
      n === undefined ? match : `"rl_many"."c${n}"`,
    );
    const columns = statement.slots.map((_, i) => `c${i + 1}`);
    const definitions = columns.map((c) => `${c} text`).join(", ");
    const text = `select "rl_many"."ord"::int, "rl_one".* from rows from (jsonb_to_recordset($1::text::jsonb) as (${definitions})) with ordinality as "rl_many"(${columns.join(", ")}, "ord") cross join lateral (${inner}) as "rl_one"`;
    many = { text, columns };
    manyStatements.set(statement, many);
  }
  return many;
}

/**
 * Runs a direct statement for several sets of values in ONE statement (see manyStatementText) and returns each set's
 * rows, in the order of `valueSets`. Every parameter must be one Postgres reads back from its text: a text compared to
 * text, or cast (`$1::int8`, `$2::timestamptz`); the statement is run as usual for one set too, so any that is not
 * fails every time, not only under load.
 */
export async function runDirectMany(
  db: Db,
  statement: DirectStatement,
  valueSets: readonly Record<string, unknown>[],
): Promise<unknown[][][]> {
  const run = directRunners.get(db);
  if (!run) {
    throw new Error("runDirectMany: this database was not opened by openDb");
  }
  if (statement.slots.length === 0) {
    // Nothing varies: one run answers every set.
    const rows = await run(statement.text, []);
    return valueSets.map(() => rows);
  }
  const { text, columns } = manyStatementText(statement);
  // [{"c1": text or null, …}, …]: each value as its text, as a parameter would be sent.
  const sets = valueSets.map((values) => {
    const set: Record<string, string | null> = {};
    statement.slots.forEach((slot, i) => {
      const value = slotValue(slot, values);
      set[columns[i] as string] = value === null || value === undefined ? null : String(value);
    });
    return set;
  });
  const rows = await run(text, [JSON.stringify(sets)]);
  const bySet: unknown[][][] = valueSets.map(() => []);
  for (const row of rows) {
    bySet[(row[0] as number) - 1]?.push(row.slice(1));
  }
  return bySet;
}

/** A transaction of either driver (the callback argument of db.transaction). */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** The rows of a raw statement's result, whichever driver answered (postgres.js: an array; PGlite: `{ rows }`). */
export function resultRows<T = Record<string, unknown>>(result: unknown): T[] {
  return (Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? [])) as T[];
}

/**
 * The dateLastModified of a write: `provider.take_stamp` (migrations 0005, 0007) with the writer's wall-clock reading;
 * the answer is that reading or, when the clock has not moved past the last stamp, one millisecond after it, so every
 * write's stamp is strictly later than every stamp before it. Take one stamp per transaction.
 * Call it as the transaction's last step, after every row lock it needs: from then until commit it holds the write
 * clock, so stamps follow commit order and a delta reader never sees a later commit with an older stamp (notes §8).
 */
export async function takeStamp(tx: Tx | Db, proposed: Date): Promise<Date> {
  const result: unknown = await tx.execute(
    sql`select provider.take_stamp(${proposed.toISOString()}::timestamptz) as stamp`,
  );
  const stamp = resultRows<{ stamp: unknown }>(result)[0]?.stamp;
  return stamp instanceof Date ? stamp : new Date(String(stamp));
}

/**
 * takeStamp as an SQL expression, for the one UPDATE that ends a single-row write: the stamp is taken in the same
 * statement that sets it, which saves a round trip while the write clock is held.
 */
export function stampExpression(proposed: Date) {
  return sql<Date>`provider.take_stamp(${proposed.toISOString()}::timestamptz)`;
}

export function isPostgresUrl(url: string | undefined): boolean {
  return !!url && /^postgres(ql)?:\/\//.test(url);
}

/** Hides the password of a connection URL for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) {
      u.password = "***";
    }
    return u.toString();
  } catch {
    return "<unparsable url>";
  }
}

export interface OpenDbOptions {
  /** Max pool connections for postgres.js. */
  max?: number;
  /** Seconds postgres.js waits for a connection before the query fails (and the request answers 503). */
  connectTimeoutSeconds?: number;
  /** PGlite in memory only: start from this data directory (a `dumpDataDir` tarball) instead of an empty database. */
  loadDataDir?: Blob;
}

/**
 * The embedded engine and its version (`pglite-0.3.16`): a data directory dumped by one PGlite release is only
 * known to load into the same release, so snapshots of the embedded database are keyed by it.
 */
export function embeddedEngineVersion(): string {
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  let dir = dirname(entry);
  for (let depth = 0; depth < 4; depth++, dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "@electric-sql/pglite") {
        return `pglite-${pkg.version}`;
      }
    }
  }
  return "pglite-unknown";
}

/**
 * What a database failure means for the service: `unavailable` (the server is down or unreachable; retry later),
 * `fatal` (the embedded engine has crashed or closed; nothing will work until a restart), or undefined (a query
 * error like any other). Reads the error and its causes, since drizzle wraps driver errors.
 */
export function classifyDbFailure(error: unknown): "unavailable" | "fatal" | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    if (WasmRuntimeError && e instanceof WasmRuntimeError) {
      return "fatal";
    }
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof message === "string" && /^PGlite is closed/.test(message)) {
      return "fatal";
    }
    if (typeof code === "string" && UNAVAILABLE_CODES.test(code)) {
      return "unavailable";
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** PGlite's engine is WebAssembly: a trap (out-of-bounds access, abort) leaves it unusable. */
const WasmRuntimeError = (globalThis as unknown as { WebAssembly?: { RuntimeError?: new () => Error } }).WebAssembly
  ?.RuntimeError;

/** True for a transaction Postgres aborted to break a deadlock (40P01) or a serialization conflict (40001). */
export function isRetryableConflict(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === "40P01" || code === "40001") {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Socket errors, postgres.js connection errors, and SQLSTATEs of a server that is shutting down, starting, full,
 * or gone: 57P01-57P03, 53300, class 08, 3D000 (database dropped).
 */
const UNAVAILABLE_CODES =
  /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|CONNECT_TIMEOUT|CONNECTION_CLOSED|CONNECTION_ENDED|CONNECTION_DESTROYED|57P0[123]|53300|08[0-9A-Z]{3}|3D000)$/;

/** A database that cannot be opened for a reason we found ourselves; the message already says what to do. */
export class DatabaseOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseOpenError";
  }
}

/**
 * PGlite's own failures on a bad directory read "Program terminated with exit(1)": check it first. The directory
 * must be creatable, readable and writable, and either empty (a new database) or one PGlite made (PG_VERSION).
 */
function checkPgliteDir(dir: string): void {
  const where = `PGlite directory ${dir}`;
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new DatabaseOpenError(`${where} is a file, not a directory: give a directory path in DATABASE_URL`);
  }
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new DatabaseOpenError(
      code === "EACCES" || code === "EPERM"
        ? `${where} cannot be read or written (permission denied): fix its permissions or choose another`
        : `${where} cannot be created (${String(code ?? error)}): choose a path whose parent is a writable directory`,
    );
  }
  const entries = readdirSync(dir);
  if (entries.length > 0 && !entries.includes("PG_VERSION")) {
    throw new DatabaseOpenError(
      `${where} is not empty and holds no PGlite database: give an empty or new directory, or one PGlite created`,
    );
  }
}

/** One line describing why a database could not be opened, with what to do about it, for the CLI. */
export function describeOpenFailure(error: unknown, label: string): string {
  if (error instanceof DatabaseOpenError) {
    return error.message;
  }
  // drizzle wraps the driver's error (its message carries the failed SQL): read the innermost coded one.
  let inner: unknown = error;
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    if ((e as { code?: unknown }).code !== undefined) {
      inner = e;
      break;
    }
    e = (e as { cause?: unknown }).cause;
  }
  const { code, message } = (inner ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === "string" ? message.split("\n")[0] : String(inner);
  switch (code) {
    case "ECONNREFUSED":
      return `cannot connect to ${label}: nothing listens there. Start PostgreSQL or fix the host and port in DATABASE_URL`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `cannot connect to ${label}: the host name does not resolve. Fix the host in DATABASE_URL`;
    case "CONNECT_TIMEOUT":
    case "ETIMEDOUT":
      return `cannot connect to ${label}: no answer in time. Check that the server is up and reachable`;
    case "3D000":
      return `${label}: ${text}. Create it (createdb) or point DATABASE_URL at an existing database`;
    case "28P01":
    case "28000":
      return `${label}: ${text}. Fix the user or password in DATABASE_URL`;
    case "EACCES":
    case "EPERM":
      return `cannot open ${label}: permission denied. Make the directory readable and writable, or choose another`;
    case "ENOTDIR":
    case "EEXIST":
      return `cannot open ${label}: the path is not a directory. Give a directory for PGlite's data`;
    default:
      return `cannot open ${label}: ${text}`;
  }
}

/** Schemes DATABASE_URL may use; anything else with a scheme is refused rather than read as a directory path. */
const PGLITE_SCHEMES = /^(file|pglite|memory):/i;

/**
 * Why a DATABASE_URL cannot be used, or undefined: a postgres:// URL must parse; `mysql://…` and other schemes are
 * refused (they were once taken for a PGlite directory path); anything without a scheme is a directory.
 */
export function databaseUrlProblem(url: string | undefined): string | undefined {
  if (!url) {
    return undefined;
  }
  if (isPostgresUrl(url)) {
    try {
      const u = new URL(url);
      if (u.hostname === "" && !u.searchParams.has("host")) {
        return "the postgres:// URL names no host; use postgres://user@host:5432/database";
      }
      decodeURIComponent(u.username);
      decodeURIComponent(u.password);
    } catch {
      return "is not a valid postgres:// URL; use postgres://user:password@host:5432/database (percent-encode special characters in the password)";
    }
    return undefined;
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1];
  if (scheme && !PGLITE_SCHEMES.test(`${scheme}:`)) {
    return `scheme ${scheme}:// is not supported; use postgres://… for PostgreSQL, or a directory path for the embedded PGlite`;
  }
  return undefined;
}

/** Opens a database: postgres.js for postgres:// URLs, PGlite in memory when url is empty or `memory:`, else PGlite on disk. */
export async function openDb(url?: string, options: OpenDbOptions = {}): Promise<DbHandle> {
  if (url && isPostgresUrl(url)) {
    return openPostgres(url, options);
  }
  const dataDir = !url || url === "memory:" || url === "memory://" ? undefined : url.replace(/^(file|pglite):\/\//, "");
  if (dataDir) {
    checkPgliteDir(dataDir);
  }
  if (dataDir && options.loadDataDir) {
    throw new DatabaseOpenError("a PGlite data directory dump can only be loaded into an in-memory database");
  }
  const client = dataDir
    ? new PGlite(dataDir)
    : new PGlite(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {});
  await client.waitReady;
  return wrapPglite(client, dataDir ? `PGlite at ${dataDir}` : "PGlite (in memory)");
}

function openPostgres(url: string, options: OpenDbOptions): DbHandle {
  const client = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    prepare: true,
    // No JIT: reads build records in SQL (present/json-sql.ts), whose estimated cost passes jit_above_cost, and
    // compiling them took 50-100 ms of a statement that runs in 2 ms. Short OLTP statements never gain from it.
    connection: { jit: "off" },
    ...(options.connectTimeoutSeconds !== undefined ? { connect_timeout: options.connectTimeoutSeconds } : {}),
  });
  // drizzle runs every transaction inside client.begin(callback); remembering the callback's connection for the
  // duration of that async call lets copyFrom join the transaction without touching drizzle's private session.
  const inTransaction = transactionScope<CopyConnection>();
  const tracked = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== "begin") {
        return Reflect.get(target, prop, receiver);
      }
      return (...args: unknown[]) => {
        const callback = args.pop() as (sql: postgres.TransactionSql) => unknown;
        const joined = (sql: postgres.TransactionSql) => inTransaction.run(sql, async () => callback(sql));
        return typeof args[0] === "string" ? target.begin(args[0], joined) : target.begin(joined);
      };
    },
  });
  const db = drizzlePostgres(tracked, { schema, casing: "snake_case" }) as unknown as Db;
  // Prepared per connection by postgres.js, found again by the statement's text. unsafe() prepares only when asked
  // per call, whatever the client's own `prepare` option: without it every read was parsed and planned again.
  directRunners.set(db, async (text, params) => {
    const rows = await client.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }).values();
    // postgres.js 3.4 leaves a hole at the front of a result when the previous run of the same prepared statement on
    // that connection failed after sending rows (the row index is not reset): the rows after the hole are right.
    return rows.includes(undefined as never) ? rows.filter((row) => row !== undefined) : rows;
  });
  return {
    db,
    driver: "postgres",
    label: redactUrl(url),
    exec: async (text) => {
      await client.unsafe(text);
    },
    copyFrom: (statement, data) => copyIntoPostgres(inTransaction.current() ?? client, statement, data),
    listen: async (channel, onNotify) => {
      const { unlisten } = await client.listen(channel, onNotify, onNotify);
      return unlisten;
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/** The internals of a postgres.js COPY query that copyIntoPostgres needs. */
interface CopyQuery {
  writable(): Promise<NodeJS.WritableStream>;
  reject?: (err: unknown) => void;
}

async function* chunksOf(data: CopySource): AsyncIterable<string | Uint8Array> {
  if (typeof data === "string" || data instanceof Uint8Array) {
    yield data;
  } else if (data instanceof Blob) {
    yield* data.stream() as unknown as AsyncIterable<Uint8Array>;
  } else {
    yield* data;
  }
}

/** What COPY needs of a postgres.js client: a transaction's connection or the pool. */
type CopyConnection = Pick<postgres.Sql, "unsafe">;

/** Streams COPY text into Postgres on `sql`. */
async function copyIntoPostgres(sql: CopyConnection, statement: string, data: CopySource): Promise<void> {
  const query = sql.unsafe(statement) as unknown as CopyQuery;
  // postgres.js resolves the COPY query with the stream and then drops a server error on the floor (the stream's
  // final callback never fires), so we hook its reject to hear about a failed COPY.
  let onFailure: (err: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    onFailure = reject;
  });
  failed.catch(() => {});
  const originalReject = query.reject;
  query.reject = (err: unknown) => {
    originalReject?.(err);
    onFailure(err);
  };
  const writable = await query.writable();
  const done = new Promise<void>((resolve, reject) => {
    writable.on("error", reject);
    writable.on("finish", () => resolve());
  });
  for await (const chunk of chunksOf(data)) {
    if (!writable.write(chunk)) {
      await Promise.race([new Promise<void>((resolve) => writable.once("drain", () => resolve())), failed]);
    }
  }
  writable.end();
  await Promise.race([done, failed]);
}

async function blobOf(data: CopySource): Promise<Blob> {
  if (data instanceof Blob) {
    return data;
  }
  const parts: (string | Uint8Array)[] = [];
  for await (const chunk of chunksOf(data)) {
    parts.push(chunk);
  }
  return new Blob(parts);
}

/**
 * Which transaction the current async call runs in, for copyFrom. An enabled AsyncLocalStorage turns on promise
 * hooks for the whole process (a few per cent of every read's CPU), so it is enabled only while a transaction runs.
 */
function transactionScope<T>(): { run<R>(tx: T, callback: () => Promise<R>): Promise<R>; current(): T | undefined } {
  const storage = new AsyncLocalStorage<T>();
  let open = 0;
  return {
    async run(tx, callback) {
      open += 1;
      try {
        return await storage.run(tx, callback);
      } finally {
        open -= 1;
        if (open === 0) {
          storage.disable();
        }
      }
    },
    current: () => storage.getStore(),
  };
}

/** A DbHandle over an open PGlite. */
function wrapPglite(client: PGlite, label: string): DbHandle {
  // As for postgres.js: drizzle runs transactions through client.transaction(callback); copyFrom joins the one open
  // in its async context (a query on the client itself would wait for that transaction to end). Methods are bound to
  // the real instance because PGlite keeps its state in private fields, which a Proxy receiver cannot reach.
  const inTransaction = transactionScope<PgliteTransaction>();
  const tracked = new Proxy(client, {
    get(target, prop) {
      if (prop === "transaction") {
        return <T>(callback: (tx: PgliteTransaction) => Promise<T>) =>
          target.transaction((tx) => inTransaction.run(tx, () => callback(tx)));
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const db = drizzlePglite(tracked, { schema, casing: "snake_case" }) as unknown as Db;
  directRunners.set(
    db,
    async (text, params) => (await client.query<unknown[]>(text, params, { rowMode: "array" })).rows,
  );
  return {
    db,
    driver: "pglite",
    label,
    exec: async (text) => {
      await client.exec(text);
    },
    copyFrom: async (statement, data) => {
      const blob = await blobOf(data);
      // PGlite has no COPY protocol stream: it reads the input from a blob mounted at /dev/blob.
      const fromBlob = statement.replace(/\bFROM\s+STDIN\b/i, "FROM '/dev/blob'");
      await (inTransaction.current() ?? client).query(fromBlob, [], { blob });
    },
    listen: async (channel, onNotify) => {
      onNotify();
      return client.listen(channel, onNotify);
    },
    clone: async () => wrapPglite((await client.clone()) as PGlite, `${label} (clone)`),
    dumpDataDir: () => client.dumpDataDir("none"),
    close: async () => {
      if (!client.closed) {
        try {
          await client.close();
        } catch (error) {
          // A crashed engine (a WebAssembly trap) has nothing left to flush and cannot shut down cleanly.
          if (classifyDbFailure(error) !== "fatal") {
            throw error;
          }
        }
      }
    },
  };
}
