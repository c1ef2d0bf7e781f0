// The server's configuration: the only server file that reads process.env. Parsed once by zod at start.
import { z } from "zod";
import { databaseUrlProblem } from "./db/client.js";

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z.string().optional(),
  ROSTERLAB_CLIENT_ID: z.string().min(1).optional(),
  ROSTERLAB_CLIENT_SECRET: z.string().min(8, "must be at least 8 characters").optional(),
  ROSTERLAB_ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  ROSTERLAB_PUBLIC_URL: z.url().optional(),
  ROSTERLAB_TOKEN_TTL: z.coerce.number().int().min(1).default(3600),
  ROSTERLAB_LIMIT_CAP: z.coerce.number().int().min(1).default(10000),
  ROSTERLAB_PAGE_CACHE_MB: z.coerce.number().min(0).default(64),
  ROSTERLAB_LOG: z.enum(["silent", "error", "info", "debug"]).default("info"),
  ROSTERLAB_REQUEST_LOG_DAYS: z.coerce.number().min(0.001).default(7),
  ROSTERLAB_REQUEST_LOG_MAX_ROWS: z.coerce.number().int().min(100).default(1_000_000),
  ROSTERLAB_BOOLEANS: z.enum(["json", "string"]).default("json"),
  ROSTERLAB_DB_CONNECT_TIMEOUT: z.coerce.number().int().min(1).max(300).default(3),
});

export interface ServerConfig {
  port: number;
  host: string;
  databaseUrl?: string;
  /** Fixed demo client credentials; generated and printed when absent. */
  clientId?: string;
  clientSecret?: string;
  /** Admin credential for /admin; generated and printed when absent. */
  adminToken?: string;
  /** Origin used in hrefs and Link headers; defaults to the request's own origin. */
  publicUrl?: string;
  /** Token lifetime in seconds (notes §6.2: one hour is the usual default). */
  tokenTtlSeconds: number;
  /** Largest page served; a larger `limit` shrinks the page, never an error (notes §4). */
  limitCap: number;
  /** Bytes of rendered GET pages kept in memory (0 turns the cache off). */
  pageCacheBytes: number;
  issuer: string;
  audience: string;
  logLevel: "silent" | "error" | "info" | "debug";
  /** Request log rows older than this many days are dropped. */
  requestLogDays: number;
  /** At most this many request log rows are kept. */
  requestLogMaxRows: number;
  /**
   * How boolean fields go on the wire (notes §2.1: v1p1 is ambiguous): JSON `true`/`false`, or the strings
   * `"true"`/`"false"` that the CSV binding, v1p2 and some strict v1p1 client libraries expect.
   */
  booleans: "json" | "string";
  /** Seconds to wait for a Postgres connection before a request answers 503 (a down database must not queue them). */
  dbConnectTimeoutSeconds: number;
}

export const DEFAULT_CONFIG: ServerConfig = {
  port: 8080,
  host: "127.0.0.1",
  tokenTtlSeconds: 3600,
  limitCap: 10000,
  pageCacheBytes: 64 * 1024 * 1024,
  issuer: "urn:rosterlab:provider",
  audience: "urn:rosterlab:oneroster:v1p1",
  logLevel: "info",
  requestLogDays: 7,
  requestLogMaxRows: 1_000_000,
  booleans: "json",
  dbConnectTimeoutSeconds: 3,
};

/** Reads the environment; returns the config or the list of problems, one per bad variable. */
export function readServerConfig(env: NodeJS.ProcessEnv = process.env): { config?: ServerConfig; problems: string[] } {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
  }
  const e = parsed.data;
  const urlProblem = databaseUrlProblem(e.DATABASE_URL || undefined);
  if (urlProblem) {
    return { problems: [`DATABASE_URL: ${urlProblem}`] };
  }
  return {
    problems: [],
    config: {
      ...DEFAULT_CONFIG,
      port: e.PORT,
      host: e.HOST,
      databaseUrl: e.DATABASE_URL || undefined,
      clientId: e.ROSTERLAB_CLIENT_ID,
      clientSecret: e.ROSTERLAB_CLIENT_SECRET,
      adminToken: e.ROSTERLAB_ADMIN_TOKEN,
      publicUrl: e.ROSTERLAB_PUBLIC_URL?.replace(/\/$/, ""),
      tokenTtlSeconds: e.ROSTERLAB_TOKEN_TTL,
      limitCap: e.ROSTERLAB_LIMIT_CAP,
      pageCacheBytes: Math.round(e.ROSTERLAB_PAGE_CACHE_MB * 1024 * 1024),
      logLevel: e.ROSTERLAB_LOG,
      requestLogDays: e.ROSTERLAB_REQUEST_LOG_DAYS,
      requestLogMaxRows: e.ROSTERLAB_REQUEST_LOG_MAX_ROWS,
      booleans: e.ROSTERLAB_BOOLEANS,
      dbConnectTimeoutSeconds: e.ROSTERLAB_DB_CONNECT_TIMEOUT,
    },
  };
}

const AdminCliEnv = z.object({
  ROSTERLAB_URL: z.url().optional(),
  ROSTERLAB_ADMIN_TOKEN: z.string().min(1).optional(),
  DATABASE_URL: z.string().optional(),
});

/** What `rosterlab clients` and `rosterlab requests` read from the environment: where the provider or its database is. */
export interface AdminCliEnvironment {
  /** A running provider's origin (`--url`). */
  url?: string;
  adminToken?: string;
  databaseUrl?: string;
}

export function readAdminCliEnv(env: NodeJS.ProcessEnv = process.env): {
  env?: AdminCliEnvironment;
  problems: string[];
} {
  const parsed = AdminCliEnv.safeParse(env);
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
  }
  const e = parsed.data;
  return {
    problems: [],
    env: {
      ...(e.ROSTERLAB_URL ? { url: e.ROSTERLAB_URL.replace(/\/$/, "") } : {}),
      ...(e.ROSTERLAB_ADMIN_TOKEN ? { adminToken: e.ROSTERLAB_ADMIN_TOKEN } : {}),
      ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}),
    },
  };
}
