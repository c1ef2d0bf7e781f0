// openDb(url): the only file that names a database driver or knows its internals. postgres:// URLs use postgres.js;
// anything else (nothing, `memory:`, or a directory path) opens an embedded PGlite. Both give the same drizzle API,
// plus what drizzle does not model: raw statements, LISTEN, COPY FROM STDIN inside a transaction, PGlite clones.
import { AsyncLocalStorage } from "node:async_hooks";
import { PGlite, type Transaction as PgliteTransaction } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
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
  close(): Promise<void>;
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
  /** Seconds to wait for a Postgres connection before failing (postgres.js default: 30). */
  connectTimeoutSeconds?: number;
}

/** Opens a database: postgres.js for postgres:// URLs, PGlite in memory when url is empty or `memory:`, else PGlite on disk. */
export async function openDb(url?: string, options: OpenDbOptions = {}): Promise<DbHandle> {
  if (url && isPostgresUrl(url)) {
    return openPostgres(url, options);
  }
  const dataDir = !url || url === "memory:" || url === "memory://" ? undefined : url.replace(/^(file|pglite):\/\//, "");
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
  await client.waitReady;
  return wrapPglite(client, dataDir ? `PGlite at ${dataDir}` : "PGlite (in memory)");
}

function openPostgres(url: string, options: OpenDbOptions): DbHandle {
  const client = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    prepare: true,
    ...(options.connectTimeoutSeconds !== undefined ? { connect_timeout: options.connectTimeoutSeconds } : {}),
  });
  // drizzle runs every transaction inside client.begin(callback); remembering the callback's connection for the
  // duration of that async call lets copyFrom join the transaction without touching drizzle's private session.
  const inTransaction = new AsyncLocalStorage<CopyConnection>();
  const tracked = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== "begin") {
        return Reflect.get(target, prop, receiver);
      }
      return (...args: unknown[]) => {
        const callback = args.pop() as (sql: postgres.TransactionSql) => unknown;
        const joined = (sql: postgres.TransactionSql) => inTransaction.run(sql, () => callback(sql));
        return typeof args[0] === "string" ? target.begin(args[0], joined) : target.begin(joined);
      };
    },
  });
  const db = drizzlePostgres(tracked, { schema, casing: "snake_case" }) as unknown as Db;
  return {
    db,
    driver: "postgres",
    label: redactUrl(url),
    exec: async (text) => {
      await client.unsafe(text);
    },
    copyFrom: (statement, data) => copyIntoPostgres(inTransaction.getStore() ?? client, statement, data),
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

/** A DbHandle over an open PGlite. */
function wrapPglite(client: PGlite, label: string): DbHandle {
  // As for postgres.js: drizzle runs transactions through client.transaction(callback); copyFrom joins the one open
  // in its async context (a query on the client itself would wait for that transaction to end). Methods are bound to
  // the real instance because PGlite keeps its state in private fields, which a Proxy receiver cannot reach.
  const inTransaction = new AsyncLocalStorage<PgliteTransaction>();
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
      await (inTransaction.getStore() ?? client).query(fromBlob, [], { blob });
    },
    listen: async (channel, onNotify) => {
      onNotify();
      return client.listen(channel, onNotify);
    },
    clone: async () => wrapPglite((await client.clone()) as PGlite, `${label} (clone)`),
    close: async () => {
      if (!client.closed) {
        await client.close();
      }
    },
  };
}
