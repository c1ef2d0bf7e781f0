// The test environment, parsed once by zod: TEST_DATABASE_URL (a Postgres server for the [postgres] branch),
// TEST_PRIMARY_DB (backend of run-once suites) and CI (when true, a missing URL is a hard failure, never a skip).
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
});

export interface TestEnv {
  /** A postgres:// URL of a server where tests may create and drop their own databases. */
  testDatabaseUrl?: string;
  ci: boolean;
  /** The one backend of suites that run once (routes, conformance): pglite in `npm test`, postgres in `test:pg`. */
  primaryDb: "pglite" | "postgres";
}

/** Parses the given environment; throws one message listing every bad variable. */
export function readTestEnv(env: NodeJS.ProcessEnv = process.env): TestEnv {
  const parsed = TestEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`bad test environment: ${problems}`);
  }
  const { TEST_DATABASE_URL: testDatabaseUrl, CI: ci, TEST_PRIMARY_DB: primaryDb } = parsed.data;
  if (primaryDb === "postgres" && !testDatabaseUrl) {
    throw new Error("bad test environment: TEST_PRIMARY_DB=postgres needs TEST_DATABASE_URL");
  }
  return { testDatabaseUrl, ci, primaryDb };
}

export const testEnv: TestEnv = readTestEnv();

/** The message used wherever CI runs without a Postgres URL. */
export const CI_NEEDS_POSTGRES = "CI=true but TEST_DATABASE_URL is not set: the Postgres suites must run in CI";
