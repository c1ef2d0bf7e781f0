// createTestDeps: AppDeps for tests over a given database: default config with silent logs, a settable clock
// starting at a fixed instant, real signing keys from loadOrCreateKeys, optional quirks, fault presets and sleep.
import { loadOrCreateKeys } from "../../server/auth/keys.js";
import { openPageCache } from "../../server/cache/page-cache.js";
import { DEFAULT_CONFIG, type ServerConfig } from "../../server/config.js";
import type { DbHandle } from "../../server/db/client.js";
import { createDbHealth, type DbHealth } from "../../server/db/health.js";
import type { AppDeps, Clock } from "../../server/deps.js";
import type { QuirkName } from "../../server/faults/presets.js";
import { createLogger } from "../../server/log.js";

/** The instant every test clock starts at, unless a test sets another. */
export const FIXED_NOW = new Date("2026-09-01T12:00:00.000Z");

/** A clock tests move by hand; time never passes on its own. */
export interface TestClock extends Clock {
  set(at: Date | string): void;
  advance(ms: number): void;
}

export function createTestClock(start: Date | string = FIXED_NOW): TestClock {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    set: (at) => {
      current = new Date(at).getTime();
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

export interface TestDepsOverrides {
  config?: Partial<ServerConfig>;
  clock?: TestClock;
  quirks?: Iterable<QuirkName>;
  keys?: AppDeps["keys"];
  log?: AppDeps["log"];
  districtClock?: AppDeps["districtClock"];
  faults?: AppDeps["faults"];
  sleep?: AppDeps["sleep"];
  onFatal?: AppDeps["onFatal"];
  /** Breaker settings of the database health tracker (tests of outages hold it open). */
  dbHealth?: { retryAfterSeconds?: number };
}

export type TestDeps = AppDeps & { clock: TestClock; dbHealth: DbHealth };

export async function createTestDeps(handle: DbHandle, overrides: TestDepsOverrides = {}): Promise<TestDeps> {
  const config: ServerConfig = { ...DEFAULT_CONFIG, logLevel: "silent", ...overrides.config };
  // The page cache is on in tests as in production; it stops listening when the handle closes.
  const { cache: pageCache } = await openPageCache(handle, config.pageCacheBytes);
  return {
    db: handle.db,
    driver: handle.driver,
    clock: overrides.clock ?? createTestClock(),
    config,
    keys: overrides.keys ?? (await loadOrCreateKeys(handle.db)),
    log: overrides.log ?? createLogger("silent"),
    pageCache,
    dbHealth: createDbHealth(handle.db, {
      onFatal: (error) => overrides.onFatal?.(error),
      ...overrides.dbHealth,
    }),
    ...(overrides.onFatal ? { onFatal: overrides.onFatal } : {}),
    ...(overrides.quirks ? { quirks: new Set(overrides.quirks) } : {}),
    ...(overrides.districtClock ? { districtClock: overrides.districtClock } : {}),
    ...(overrides.faults ? { faults: overrides.faults } : {}),
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
  };
}
