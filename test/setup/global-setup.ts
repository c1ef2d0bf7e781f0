// Vitest global setup: when TEST_DATABASE_URL is set, creates one migrated template database for this run
// and provides its name to the workers, which copy it (CREATE DATABASE … TEMPLATE). Under CI it insists on a URL.
import type { TestProject } from "vitest/node";
import { openDb } from "../../server/db/client.js";
import { migrateDb } from "../../server/db/migrate.js";
import { dropDatabase, dropStaleTestDatabases, openAdmin, TEST_DB_PREFIX, withDatabase } from "../support/pg-admin.js";
import { CI_NEEDS_POSTGRES, readTestEnv } from "./env.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The migrated template database of this run, or null when TEST_DATABASE_URL is not set. */
    pgTemplate: string | null;
  }
}

let cleanup: (() => Promise<void>) | undefined;

export async function setup(project: TestProject): Promise<void> {
  const env = readTestEnv();
  if (!env.testDatabaseUrl) {
    if (env.ci) {
      throw new Error(CI_NEEDS_POSTGRES);
    }
    project.provide("pgTemplate", null);
    return;
  }
  const url = env.testDatabaseUrl;
  // One template per run (pid in the name), so two engineers' runs against one server never collide.
  const template = `${TEST_DB_PREFIX}pl_p${process.pid}`;
  let admin: Awaited<ReturnType<typeof openAdmin>> | undefined;
  try {
    admin = await openAdmin(url);
    await dropStaleTestDatabases(admin, url);
    await dropDatabase(admin, template);
    await admin.exec(`CREATE DATABASE "${template}"`);
  } catch (err) {
    await admin?.close();
    throw new Error(`cannot prepare the template database on TEST_DATABASE_URL: ${(err as Error).message}`);
  }
  const handle = await openDb(withDatabase(url, template), { max: 1 });
  try {
    await migrateDb(handle);
  } finally {
    // The template must have no open sessions, or CREATE DATABASE … TEMPLATE refuses to copy it.
    await handle.close();
  }
  project.provide("pgTemplate", template);
  const owner = admin;
  cleanup = async () => {
    try {
      await dropDatabase(owner, template);
    } finally {
      await owner.close();
    }
  };
}

export async function teardown(): Promise<void> {
  await cleanup?.();
}
