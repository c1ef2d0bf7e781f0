// useSyncedLms: for one describe block, the tiny district served by a real provider and an LMS store (in-memory
// PGlite, or the `lms` schema of the same Postgres test database) filled by one full sync of the real engine.
// The provider and the consumer share one ticking test clock, so every write and every run is ordered in time.
import { afterAll, beforeAll } from "vitest";
import type { Connection, SyncSettings } from "../../consumer/config.js";
import { resolveSettings } from "../../consumer/config.js";
import { runSync } from "../../consumer/run.js";
import { type LmsStore, openLmsStore } from "../../consumer/store/open.js";
import type { DbKind } from "./db.js";
import { SEEDED_NOW, type SeededProvider, type SeededProviderOptions, useSeededProvider } from "./seeded-provider.js";
import { createTestClock, type TestClock } from "./server.js";

/** A test clock that moves one second forward each time it is read (time never stands still between writes). */
export function createTickingClock(start: string | Date = SEEDED_NOW, stepMs = 1000): TestClock {
  const inner = createTestClock(start);
  return {
    now: () => {
      inner.advance(stepMs);
      return inner.now();
    },
    set: inner.set,
    advance: inner.advance,
  };
}

export interface SyncedLms {
  readonly sp: SeededProvider;
  readonly store: LmsStore;
  readonly connection: Connection;
  readonly settings: SyncSettings;
  readonly clock: TestClock;
  now(): Date;
}

/** Opens the LMS store for a backend: in-memory PGlite, or the given Postgres database (schema `lms`). */
export function openTestLmsStore(kind: DbKind, postgresUrl: string | undefined): Promise<LmsStore> {
  if (kind === "pglite") {
    return openLmsStore("memory:");
  }
  if (!postgresUrl) {
    throw new Error("openTestLmsStore('postgres') needs the test database's URL");
  }
  return openLmsStore(postgresUrl);
}

export function useSyncedLms(kind: DbKind, options: SeededProviderOptions = {}): SyncedLms {
  const clock = createTickingClock();
  const sp = useSeededProvider(kind, { clock, ...options });
  let state: { store: LmsStore; connection: Connection; settings: SyncSettings } | undefined;
  beforeAll(async () => {
    const store = await openTestLmsStore(kind, sp.db.url);
    const p = sp.provider;
    const connection: Connection = {
      baseUrl: p.baseUrl,
      tokenUrl: p.tokenUrl,
      clientId: p.clientId,
      clientSecret: p.clientSecret,
    };
    const settings = resolveSettings({ profile: "brightspace" });
    const report = await runSync({ store, connection, settings, now: clock.now, startedBy: "test" });
    if (report.status !== "completed" && report.status !== "completed_with_errors") {
      throw new Error(`the first sync ended ${report.status}: ${report.message ?? ""}`);
    }
    state = { store, connection, settings };
  });
  // Registered after the provider's hooks, so it runs before them: the store closes before its database is dropped.
  afterAll(async () => {
    await state?.store.close();
  });
  const get = () => {
    if (!state) {
      throw new Error("useSyncedLms: read it inside a test or hook");
    }
    return state;
  };
  return {
    sp,
    clock,
    now: () => clock.now(),
    get store() {
      return get().store;
    },
    get connection() {
      return get().connection;
    },
    get settings() {
      return get().settings;
    },
  };
}
