// The database's health as the service sees it: ok, unavailable (a Postgres outage: answer 503 with Retry-After at
// once instead of queueing) or failed (the embedded engine crashed: report it to onFatal, which stops the process).
import { sql } from "drizzle-orm";
import { classifyDbFailure, type Db } from "./client.js";

export type DbState = "ok" | "unavailable" | "failed";

export interface DbHealth {
  /** The state requests should act on: `unavailable` only while the breaker is open (see RETRY_AFTER_SECONDS). */
  state(): DbState;
  /** Seconds a client should wait before retrying, sent as Retry-After. */
  readonly retryAfterSeconds: number;
  /** Classifies a failed query; returns what it meant (undefined: an ordinary query error). */
  noteFailure(error: unknown): "unavailable" | "fatal" | undefined;
  /** Runs `select 1` now, whatever the breaker says, and updates the state from the answer. */
  probe(): Promise<{ ok: boolean; state: DbState; error?: string }>;
}

export interface DbHealthOptions {
  /** Called once when the engine fails for good; the server's main stops the process (a supervisor restarts it). */
  onFatal?: (error: unknown) => void;
  retryAfterSeconds?: number;
  /** Process time in ms (performance.now), for the breaker; never the domain clock, which tests freeze. */
  now?: () => number;
}

/**
 * After a connection failure the breaker stays open for `retryAfterSeconds`: requests answer 503 at once. Then it
 * half-opens: requests reach the database again, and the first failure opens it anew. A fatal failure is final.
 */
export function createDbHealth(db: Db, options: DbHealthOptions = {}): DbHealth {
  const retryAfterSeconds = options.retryAfterSeconds ?? 2;
  const now = options.now ?? (() => performance.now());
  let openUntil = 0;
  let failed = false;
  const health: DbHealth = {
    retryAfterSeconds,
    state() {
      if (failed) {
        return "failed";
      }
      return now() < openUntil ? "unavailable" : "ok";
    },
    noteFailure(error) {
      const kind = classifyDbFailure(error);
      if (kind === "fatal" && !failed) {
        failed = true;
        options.onFatal?.(error);
      } else if (kind === "unavailable") {
        openUntil = now() + retryAfterSeconds * 1000;
      }
      return kind;
    },
    async probe() {
      if (failed) {
        return { ok: false, state: "failed", error: "the database engine has failed; restart the provider" };
      }
      try {
        await db.execute(sql`select 1`);
        openUntil = 0;
        return { ok: true, state: "ok" };
      } catch (error) {
        const kind = health.noteFailure(error);
        return {
          ok: false,
          state: health.state(),
          error:
            kind === undefined
              ? "the database refused a trivial query"
              : `the database is ${kind === "fatal" ? "failed" : "unavailable"}`,
        };
      }
    },
  };
  return health;
}
