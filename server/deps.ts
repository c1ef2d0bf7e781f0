// AppDeps: everything createApp needs, passed in so tests bring their own db, clock and keys; and the
// production factory that opens them from a ServerConfig.

import type { TokenKeys } from "./auth/keys.js";
import type { PageCache } from "./cache/page-cache.js";
import type { ServerConfig } from "./config.js";
import type { Db, Driver } from "./db/client.js";
import type { QuirkName } from "./faults/presets.js";
import type { Logger } from "./log.js";

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
  districtClock?: DistrictClockPort;
  /** Rendered GET pages, dropped on every data change (see cache/page-cache.ts); none when absent. */
  pageCache?: PageCache;
}
