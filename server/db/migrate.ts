// Applies the drizzle-kit migrations in server/db/migrations with the migrator that matches the driver.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { DbHandle, Schema } from "./client.js";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));

/**
 * A short hash of the migration set (every .sql file and the journal, by name and content): a snapshot of a
 * migrated database is only valid for the migrations it was taken under.
 */
export function migrationSetId(folder = MIGRATIONS_FOLDER): string {
  const hash = createHash("sha256");
  const files = readdirSync(folder)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => [f, join(folder, f)] as const);
  for (const [name, path] of [...files, ["meta/_journal.json", join(folder, "meta", "_journal.json")] as const]) {
    hash.update(name).update("\0").update(readFileSync(path)).update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

/** Brings the schema up to date; safe to call on every start and from several processes in turn. */
export async function migrateDb(handle: DbHandle): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  if (handle.driver === "postgres") {
    await migratePostgres(handle.db as unknown as PostgresJsDatabase<Schema>, config);
  } else {
    await migratePglite(handle.db as unknown as PgliteDatabase<Schema>, config);
  }
}
