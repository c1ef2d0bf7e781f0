// describeEachDb: registers a suite once per backend ([pglite] always, [postgres] when TEST_DATABASE_URL is set);
// without the URL the Postgres branch is a visible describe.skip, under CI a failing test. describePrimaryDb: once.
import { describe, it } from "vitest";
import { CI_NEEDS_POSTGRES, testEnv } from "../setup/env.js";
import type { DbKind } from "./db.js";

export const DB_KINDS: readonly DbKind[] = ["pglite", "postgres"];

/** True when the [postgres] branch runs in this process. */
export const postgresAvailable = testEnv.testDatabaseUrl !== undefined;

export function describeEachDb(name: string, fn: (kind: DbKind) => void): void {
  describe(`${name} [pglite]`, () => fn("pglite"));
  describeWithPostgres(`${name} [postgres]`, () => fn("postgres"));
}

/**
 * A suite that needs Postgres (alone or beside PGlite): runs when TEST_DATABASE_URL is set, fails under CI
 * without it, and is otherwise a visible skip that says why. Never a silent skip.
 */
export function describeWithPostgres(name: string, fn: () => void): void {
  if (postgresAvailable) {
    describe(name, fn);
  } else if (testEnv.ci) {
    describe(name, () => {
      it("runs against Postgres in CI", () => {
        throw new Error(CI_NEEDS_POSTGRES);
      });
    });
  } else {
    describe.skip(`${name} — skipped: TEST_DATABASE_URL not set`, fn);
  }
}

/** The backend of suites that run once (route and conformance suites, house-style §2.5): see TEST_PRIMARY_DB. */
export const primaryDbKind: DbKind = testEnv.primaryDb;

/** Registers `${name} [kind]` once, on the primary backend: PGlite in `npm test`, Postgres in `npm run test:pg`. */
export function describePrimaryDb(name: string, fn: (kind: DbKind) => void): void {
  describe(`${name} [${primaryDbKind}]`, () => fn(primaryDbKind));
}
