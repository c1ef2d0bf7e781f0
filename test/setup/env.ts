// The test environment, parsed once by zod: TEST_DATABASE_URL (a Postgres server for the [postgres] branch),
// TEST_PRIMARY_DB (backend of run-once suites), CI (when true, a missing URL is a hard failure, never a skip) and
// vitest's VITEST_POOL_ID. The only test file that reads process.env.
import { z } from "zod";

const TestEnvSchema = z.object({
  TEST_DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), "must be a postgres:// URL"),
  TEST_PRIMARY_DB: z.enum(["pglite", "postgres"]).default("pglite"),
  CI: z
    .string()
    .optional()
    .transform((v) => v !== undefined && ["true", "1", "yes"].includes(v.trim().toLowerCase())),
  VITEST_POOL_ID: z
    .string()
    .optional()
    .transform((v) => v?.trim() || "0"),
});

export interface TestEnv {
  /** A postgres:// URL of a server where tests may create and drop their own databases. */
  testDatabaseUrl?: string;
  ci: boolean;
  /** The one backend of suites that run once (routes, conformance): pglite in `npm test`, postgres in `test:pg`. */
  primaryDb: "pglite" | "postgres";
  /** vitest's worker number (names per-worker scratch databases); "0" outside a worker. */
  poolId: string;
}

/** Parses the given environment; throws one message listing every bad variable. */
export function readTestEnv(env: NodeJS.ProcessEnv = process.env): TestEnv {
  const parsed = TestEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`bad test environment: ${problems}`);
  }
  const {
    TEST_DATABASE_URL: testDatabaseUrl,
    CI: ci,
    TEST_PRIMARY_DB: primaryDb,
    VITEST_POOL_ID: poolId,
  } = parsed.data;
  if (primaryDb === "postgres" && !testDatabaseUrl) {
    throw new Error("bad test environment: TEST_PRIMARY_DB=postgres needs TEST_DATABASE_URL");
  }
  return { testDatabaseUrl, ci, primaryDb, poolId };
}

export const testEnv: TestEnv = readTestEnv();

/** What a child process started by a test inherits: enough to find node and a home, nothing else. */
export function childProcessEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TZ: "UTC" };
}

/** The message used wherever CI runs without a Postgres URL. */
export const CI_NEEDS_POSTGRES = "CI=true but TEST_DATABASE_URL is not set: the Postgres suites must run in CI";
