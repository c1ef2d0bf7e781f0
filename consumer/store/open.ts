// openLmsStore(url): the consumer's only driver switch. postgres:// URLs use postgres.js (the `lms` schema beside
// anything else in that database); anything else is an embedded PGlite directory (default `.rosterlab/lms`), or
// `memory:` for a throwaway store. Migrations from consumer/store/migrations are applied on open.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema.js";

export type LmsSchema = typeof schema;
/** The drizzle database both drivers satisfy. */
export type LmsDb = PgDatabase<PgQueryResultHKT, LmsSchema>;
/** A transaction of either driver. */
export type LmsTx = Parameters<Parameters<LmsDb["transaction"]>[0]>[0];

export interface LmsStore {
  db: LmsDb;
  driver: "pglite" | "postgres";
  /** Where the store lives, without credentials. */
  label: string;
  close(): Promise<void>;
}

/** The default store: an embedded database in the working directory, kept between runs. */
export const DEFAULT_STORE_DIR = ".rosterlab/lms";

const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));
// Its own table in drizzle's schema, so a database shared with the provider keeps two separate migration histories.
const MIGRATIONS = {
  migrationsFolder: MIGRATIONS_FOLDER,
  migrationsSchema: "drizzle",
  migrationsTable: "lms_migrations",
};

function redact(url: string): string {
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

/** Opens (and migrates) the LMS store. Throws an Error whose message says what to do when it cannot. */
export async function openLmsStore(url: string = DEFAULT_STORE_DIR): Promise<LmsStore> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const client = postgres(url, { max: 4, onnotice: () => {}, prepare: true, connect_timeout: 10 });
    const db = drizzlePostgres(client, { schema, casing: "snake_case" });
    try {
      await migratePostgres(db, MIGRATIONS);
    } catch (err) {
      await client.end({ timeout: 1 });
      throw new Error(`cannot open the LMS store at ${redact(url)}: ${(err as Error).message}`);
    }
    return {
      db: db as unknown as LmsDb,
      driver: "postgres",
      label: redact(url),
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^(file|pglite):\/\//.test(url)) {
    throw new Error(`ROSTERLAB_LMS_URL must be a postgres:// URL or a directory, not ${redact(url)}`);
  }
  const memory = url === "memory:" || url === "memory://";
  const dir = memory ? undefined : url.replace(/^(file|pglite):\/\//, "");
  if (dir) {
    mkdirSync(dir, { recursive: true });
  }
  const client = dir ? new PGlite(dir) : new PGlite();
  await client.waitReady;
  const db = drizzlePglite(client, { schema, casing: "snake_case" });
  await migratePglite(db, MIGRATIONS);
  return {
    db: db as unknown as LmsDb,
    driver: "pglite",
    label: dir ? `PGlite at ${dir}` : "PGlite (in memory)",
    close: async () => {
      if (!client.closed) {
        await client.close();
      }
    },
  };
}
