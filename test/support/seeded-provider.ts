// useSeededProvider: for one describe block, a database seeded with the `tiny` district and a provider over it,
// plus `api()`, a fetch helper that sends a bearer token and returns status, headers and parsed JSON.
import { afterAll, beforeAll } from "vitest";
import { createDistrictClock, seedDatabase, withMassWithdrawal } from "../../seed/index.js";
import { type DbKind, openTestDb, type TestDb } from "./db.js";
import { createTestClock, type StartProviderOverrides, startProvider, type TestProvider } from "./server.js";

/** The seeded district is as of 2026-09-15T12:00Z; the provider's clock starts a little later. */
export const SEEDED_NOW = "2026-09-16T08:00:00.000Z";

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected freely in tests
  body: any;
  text: string;
}

export interface ApiOptions {
  method?: string;
  /** Bearer token; the default token (every scope) when omitted, none when null. */
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface SeededProvider {
  readonly provider: TestProvider;
  readonly db: TestDb;
  readonly token: string;
  api(path: string, options?: ApiOptions): Promise<ApiResponse>;
}

export interface SeededProviderOptions extends StartProviderOverrides {
  /** Give the provider a district clock over the seeded database (for /admin/clock, with the mass-withdrawal day). */
  withDistrictClock?: boolean;
}

/** Paths are relative to the base URL (`/users?limit=1`); an absolute URL is used as is. */
export function useSeededProvider(kind: DbKind, options: SeededProviderOptions = {}): SeededProvider {
  const { withDistrictClock, ...overrides } = options;
  let state: { provider: TestProvider; db: TestDb; token: string } | undefined;
  beforeAll(async () => {
    const db = await openTestDb(kind);
    await seedDatabase(db.handle, { seed: 1, size: "tiny", fingerprint: false });
    const clock = overrides.clock ?? createTestClock(SEEDED_NOW);
    const provider = await startProvider(db.handle, {
      clock,
      ...(withDistrictClock
        ? { districtClock: withMassWithdrawal(createDistrictClock(db.handle, clock), db.handle, clock) }
        : {}),
      ...overrides,
    });
    state = { db, provider, token: await provider.token() };
  });
  afterAll(async () => {
    await state?.provider.close();
    await state?.db.close();
  });
  const get = () => {
    if (!state) {
      throw new Error("useSeededProvider: read it inside a test or hook");
    }
    return state;
  };
  return {
    get provider() {
      return get().provider;
    },
    get db() {
      return get().db;
    },
    get token() {
      return get().token;
    },
    async api(path, options = {}) {
      const s = get();
      const url = /^https?:\/\//.test(path) ? path : `${s.provider.baseUrl}${path}`;
      const token = options.token === undefined ? s.token : options.token;
      const headers: Record<string, string> = { ...options.headers };
      if (token !== null) {
        headers.authorization = `Bearer ${token}`;
      }
      let body: string | undefined;
      if (options.body !== undefined) {
        body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
        headers["content-type"] ??= "application/json";
      }
      const res = await fetch(url, {
        method: options.method ?? "GET",
        headers,
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text === "" ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, body: parsed, text };
    },
  };
}
