// useSyncedLms: the tiny district served by a real provider and an LMS store (in-memory PGlite, or the `lms` schema of
// the Postgres test database) after one full sync; both share a ticking test clock. With `faultProxy` the consumer
// reaches the provider only through a fault proxy (its one configured URL).
import { afterAll, beforeAll } from "vitest";
import type { Connection, SyncSettings } from "../../consumer/config.js";
import { resolveSettings } from "../../consumer/config.js";
import { runSync } from "../../consumer/run.js";
import { type LmsStore, openLmsStore } from "../../consumer/store/open.js";
import type { DbKind } from "./db.js";
import { type Fault, type FaultProxy, type ProxiedRequest, startFaultProxy } from "./fault-proxy.js";
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
  /** The fault proxy between consumer and provider (with `faultProxy: true`). */
  readonly proxy: FaultProxy;
  /** Which requests the proxy faults from now on (none by default). */
  setFaultRule(rule: (req: ProxiedRequest) => Fault | undefined): void;
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

export function useSyncedLms(kind: DbKind, options: SeededProviderOptions & { faultProxy?: boolean } = {}): SyncedLms {
  const { faultProxy, ...providerOptions } = options;
  const clock = createTickingClock();
  const sp = useSeededProvider(kind, { clock, ...providerOptions });
  let state: { store: LmsStore; connection: Connection; settings: SyncSettings; proxy?: FaultProxy } | undefined;
  let rule: (req: ProxiedRequest) => Fault | undefined = () => undefined;
  beforeAll(async () => {
    const store = await openTestLmsStore(kind, sp.db.url);
    const p = sp.provider;
    const proxy = faultProxy ? await startFaultProxy(p.origin, (r) => rule(r)) : undefined;
    const origin = proxy?.origin ?? p.origin;
    const connection: Connection = {
      baseUrl: p.baseUrl.replace(p.origin, origin),
      tokenUrl: p.tokenUrl.replace(p.origin, origin),
      clientId: p.clientId,
      clientSecret: p.clientSecret,
    };
    const settings = resolveSettings({ profile: "brightspace" });
    const report = await runSync({ store, connection, settings, now: clock.now, startedBy: "test" });
    if (report.status !== "completed" && report.status !== "completed_with_errors") {
      throw new Error(`the first sync ended ${report.status}: ${report.message ?? ""}`);
    }
    state = { store, connection, settings, ...(proxy ? { proxy } : {}) };
  });
  // Registered after the provider's hooks, so it runs before them: the store closes before its database is dropped.
  afterAll(async () => {
    await state?.proxy?.close();
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
    get proxy() {
      const proxy = get().proxy;
      if (!proxy) {
        throw new Error("useSyncedLms: pass { faultProxy: true } to get a proxy");
      }
      return proxy;
    },
    setFaultRule(next) {
      rule = next;
    },
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
