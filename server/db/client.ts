// openDb(url): the only file that names a database driver. postgres:// URLs use postgres.js; anything else
// (nothing, `memory:`, or a directory path) opens an embedded PGlite. Both give the same drizzle API.
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema.js";

export type Schema = typeof schema;
/** The drizzle database both drivers satisfy. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Driver = "pglite" | "postgres";

export interface DbHandle {
  db: Db;
  driver: Driver;
  /** A printable description without credentials. */
  label: string;
  /** Raw SQL text execution, for statements drizzle does not model (TRUNCATE lists, CREATE DATABASE). */
  exec(sqlText: string): Promise<void>;
  /**
   * LISTEN on a channel: `onNotify` runs for every notification, and also each time the listening connection is
   * (re)established, since notifications sent while it was down are lost. Returns the function that stops it.
   */
  listen?(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
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
}

/** Opens a database: postgres.js for postgres:// URLs, PGlite in memory when url is empty or `memory:`, else PGlite on disk. */
export async function openDb(url?: string, options: OpenDbOptions = {}): Promise<DbHandle> {
  if (url && isPostgresUrl(url)) {
    const client = postgres(url, { max: options.max ?? 10, onnotice: () => {}, prepare: true });
    const db = drizzlePostgres(client, { schema, casing: "snake_case" }) as unknown as Db;
    return {
      db,
      driver: "postgres",
      label: redactUrl(url),
      exec: async (text) => {
        await client.unsafe(text);
      },
      listen: async (channel, onNotify) => {
        const { unlisten } = await client.listen(channel, onNotify, onNotify);
        return unlisten;
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  const dataDir = !url || url === "memory:" || url === "memory://" ? undefined : url.replace(/^(file|pglite):\/\//, "");
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
  await client.waitReady;
  return wrapPglite(client, dataDir ? `PGlite at ${dataDir}` : "PGlite (in memory)");
}

/** A DbHandle over an open PGlite (tests wrap their template clones with it too). */
export function wrapPglite(client: PGlite, label: string): DbHandle {
  const db = drizzlePglite(client, { schema, casing: "snake_case" }) as unknown as Db;
  return {
    db,
    driver: "pglite",
    label,
    exec: async (text) => {
      await client.exec(text);
    },
    listen: async (channel, onNotify) => {
      onNotify();
      return client.listen(channel, onNotify);
    },
    close: async () => {
      if (!client.closed) {
        await client.close();
      }
    },
  };
}
