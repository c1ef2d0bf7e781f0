// openTestDb: an isolated, migrated database for one test or one file. PGlite: a per-worker migrated template,
// cloned per call. Postgres: a database copied from the run's template, dropped on close. reset() truncates.
import { getTableName, is } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, beforeEach, inject } from "vitest";
import type { Db, DbHandle } from "../../server/db/client.js";
import { openDb } from "../../server/db/client.js";
import { migrateDb } from "../../server/db/migrate.js";
import * as providerSchema from "../../server/db/schema.js";
import { CI_NEEDS_POSTGRES, testEnv } from "../setup/env.js";
import { createDatabaseFrom, dropDatabase, openAdmin, quoteIdent, TEST_DB_PREFIX, withDatabase } from "./pg-admin.js";

export type DbKind = "pglite" | "postgres";

export interface TestDb {
  handle: DbHandle;
  /** Shorthand for handle.db. */
  db: Db;
  kind: DbKind;
  /** Connection URL of a Postgres test database, for a second connection; undefined on PGlite. */
  url?: string;
  /** Empties every table (RESTART IDENTITY CASCADE); the schema and migrations stay. */
  reset(): Promise<void>;
  /** Closes the connection; on Postgres also drops the database. Safe to call twice. */
  close(): Promise<void>;
}

/** "schema"."table" of every drizzle table found in the given schema modules. */
export function qualifiedTableNames(...modules: Record<string, unknown>[]): string[] {
  const names = new Set<string>();
  for (const mod of modules) {
    for (const value of Object.values(mod)) {
      if (is(value, PgTable)) {
        const { schema } = getTableConfig(value);
        names.add(`${schema ? `${quoteIdent(schema)}.` : ""}${quoteIdent(getTableName(value))}`);
      }
    }
  }
  return [...names].sort();
}

/** The TRUNCATE statement for every table of the provider schema (and any further schema modules given). */
export function truncateStatement(...extra: Record<string, unknown>[]): string {
  return `TRUNCATE TABLE ${qualifiedTableNames(providerSchema, ...extra).join(", ")} RESTART IDENTITY CASCADE`;
}

let pgliteTemplate: Promise<DbHandle> | undefined;

/** The worker's migrated PGlite, built once; every test gets a clone of it. */
function migratedPglite(): Promise<DbHandle> {
  pgliteTemplate ??= (async () => {
    const handle = await openDb("memory:");
    await migrateDb(handle);
    return handle;
  })();
  return pgliteTemplate;
}

let counter = 0;

/** Opens a fresh, migrated, empty database of the given kind. Close it (fixtures do) when done. */
export async function openTestDb(
  kind: DbKind,
  options: { extraSchemas?: Record<string, unknown>[] } = {},
): Promise<TestDb> {
  const truncate = truncateStatement(...(options.extraSchemas ?? []));
  if (kind === "pglite") {
    const template = await migratedPglite();
    if (!template.clone) {
      throw new Error("openTestDb: the PGlite handle cannot clone");
    }
    const handle = await template.clone();
    return {
      handle,
      db: handle.db,
      kind,
      reset: () => handle.exec(truncate),
      close: () => handle.close(),
    };
  }
  const url = testEnv.testDatabaseUrl;
  const template = inject("pgTemplate");
  if (!url || !template) {
    throw new Error(testEnv.ci ? CI_NEEDS_POSTGRES : "openTestDb('postgres') needs TEST_DATABASE_URL");
  }
  counter += 1;
  // Several files can share a worker and hold databases at once, hence pool id + pid + counter.
  const name = `${TEST_DB_PREFIX}_w${testEnv.poolId}_p${process.pid}_${counter}`;
  const admin = await openAdmin(url);
  let handle: DbHandle;
  try {
    await createDatabaseFrom(admin, name, template);
    handle = await openDb(withDatabase(url, name), { max: 2 });
  } catch (err) {
    await dropDatabase(admin, name).catch(() => {});
    await admin.close();
    throw err;
  }
  let closed = false;
  return {
    handle,
    db: handle.db,
    kind,
    url: withDatabase(url, name),
    reset: () => handle.exec(truncate),
    close: async () => {
      if (closed) {
        return;
      }
      closed = true;
      try {
        await handle.close();
        await dropDatabase(admin, name);
      } finally {
        await admin.close();
      }
    },
  };
}

/**
 * One database for the enclosing describe block (opened in beforeAll, closed in afterAll), optionally reset before
 * each test. Cheaper than a clone per test; made for use inside describeEachDb.
 */
export function useTestDb(kind: DbKind, options: { resetBeforeEach?: boolean } = {}): { readonly current: TestDb } {
  let opened: TestDb | undefined;
  beforeAll(async () => {
    opened = await openTestDb(kind);
  });
  if (options.resetBeforeEach) {
    beforeEach(async () => {
      await opened?.reset();
    });
  }
  afterAll(async () => {
    await opened?.close();
  });
  return {
    get current(): TestDb {
      if (!opened) {
        throw new Error("useTestDb: the database is opened in beforeAll; read .current inside a hook or test");
      }
      return opened;
    },
  };
}
