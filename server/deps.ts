// AppDeps: everything createApp needs, passed in so tests bring their own db, clock and keys; and the
// production factory that opens them from a ServerConfig.

import type { TokenKeys } from "./auth/keys.js";
import type { PageCache } from "./cache/page-cache.js";
import type { ServerConfig } from "./config.js";
import type { Db, Driver } from "./db/client.js";
import type { DbHealth } from "./db/health.js";
import type { FaultSpec } from "./faults/catalog.js";
import type { QuirkName } from "./faults/presets.js";
import type { Logger } from "./log.js";
import type { RequestLog } from "./request-log/writer.js";

/** Wall-clock source; tests pass a frozen or stepping clock. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/**
 * The district clock as the server sees it. The implementation lives in seed/ (the server never imports
 * seed/); the CLI that starts the server injects it, so `POST /admin/clock/advance` works with in-memory PGlite.
 */
export interface DistrictClockPort {
  /** Throws an error with `code` NOT_SEEDED (nothing to advance) or BAD_DAYS for refusals the caller should see. */
  advance(days: number, options?: { churnRate?: number }): Promise<Record<string, unknown>>;
  status(): Promise<Record<string, unknown>>;
  /** The mass-withdrawal day (seed/mass-withdrawal.ts); codes NOT_SEEDED, UNKNOWN_SCHOOL, BAD_SHARE. */
  massWithdrawal?(options: { schoolIds?: string[]; share?: number }): Promise<Record<string, unknown>>;
}

export interface AppDeps {
  db: Db;
  driver: Driver;
  clock: Clock;
  config: ServerConfig;
  keys: TokenKeys;
  log: Logger;
  /** Quirks on for every client from start (CLI `--quirk`); more can be switched on through /admin. */
  quirks?: ReadonlySet<QuirkName>;
  /** Fault presets (quirks or transport faults, with parameters) on for every client from start (CLI `--quirk`). */
  faults?: readonly FaultSpec[];
  /** The request log; created over `db` when absent (main.ts passes its own to flush it on shutdown). */
  requestLog?: RequestLog;
  /** Waits for the `latency` fault; tests pass one that records the wait. Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  districtClock?: DistrictClockPort;
  /** Rendered GET pages, dropped on every data change (see cache/page-cache.ts); none when absent. */
  pageCache?: PageCache;
  /**
   * Called once when the database engine fails for good (PGlite's WASM traps, or it closes): main.ts logs it and
   * exits non-zero so a supervisor restarts the process; until then every request answers 503, never 500.
   */
  onFatal?: (error: unknown) => void;
  /** The database health tracker; createApp makes one when absent (tests may share theirs). */
  dbHealth?: DbHealth;
}
