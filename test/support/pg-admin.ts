// Administrative Postgres statements for tests: create, clone and drop scratch databases on the server named
// by TEST_DATABASE_URL, through a handle from server/db/client.ts. Used by the global setup and test/support/db.ts only.
import { like } from "drizzle-orm";
import { pgSchema, text } from "drizzle-orm/pg-core";
import { type DbHandle, openDb } from "../../server/db/client.js";

/** Database names the test run owns carry this prefix and end in the pid of the process that made them. */
export const TEST_DB_PREFIX = "rosterlab_t";

/** The catalog of databases, as much of it as the clean-up reads. */
const pgDatabase = pgSchema("pg_catalog").table("pg_database", { datname: text().notNull() });

/** Opens a one-connection admin handle on the server of `url` (its own database, usually `test`). */
export function openAdmin(url: string): Promise<DbHandle> {
  return openDb(url, { max: 1, connectTimeoutSeconds: 10 });
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function dropDatabase(admin: DbHandle, name: string): Promise<void> {
  // WITH (FORCE) (Postgres 13+) ends leftover sessions, e.g. of a worker that crashed mid-test.
  await admin.exec(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
}

/** Creates `name` as a copy of `template`, retrying while another session briefly holds the template. */
export async function createDatabaseFrom(admin: DbHandle, name: string, template: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.exec(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`);
      return;
    } catch (err) {
      const busy = err instanceof Error && /being accessed by other users/.test(err.message);
      if (!busy || attempt >= 20) {
        throw err;
      }
      // No clock to inject here: this waits on another process, not on test time.
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Drops test databases left behind by runs whose process is gone (a killed vitest). Only on a local server,
 * where a pid in a name can be checked; names of live processes (concurrent runs) are left alone.
 */
export async function dropStaleTestDatabases(admin: DbHandle, url: string): Promise<string[]> {
  const host = new URL(url).hostname;
  if (!["127.0.0.1", "localhost", "::1", "[::1]", ""].includes(host)) {
    return [];
  }
  const rows = await admin.db
    .select({ datname: pgDatabase.datname })
    .from(pgDatabase)
    .where(like(pgDatabase.datname, `${TEST_DB_PREFIX}%`));
  const dropped: string[] = [];
  for (const { datname } of rows) {
    const pid = Number(/_p(\d+)(?:_|$)/.exec(datname)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) {
      await dropDatabase(admin, datname);
      dropped.push(datname);
    }
  }
  return dropped;
}
