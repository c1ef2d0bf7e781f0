// openSyncHarness: a seeded provider (tiny district, in process on 127.0.0.1) with a district clock, plus a fresh LMS
// store on the same backend, and helpers to run the real consumer against it, read the provider's side over HTTP,
// write provider changes the way an SIS would (tombstones with fresh stamps), and compare the two record by record.
import { eq, inArray } from "drizzle-orm";
import { resolveSettings, type SyncSettings } from "../../consumer/config.js";
import { type ExportedRoster, exportRoster } from "../../consumer/export.js";
import { runSync, type SyncOptions, type SyncReport } from "../../consumer/run.js";
import { type LmsStore, openLmsStore } from "../../consumer/store/open.js";
import { type ClientOptions, OneRosterClient } from "../../oneroster/client/index.js";
import { createDistrictClock, seedDatabase } from "../../seed/index.js";
import { dataTables } from "../../server/db/schema.js";
import { type DbKind, openTestDb, type TestDb } from "./db.js";
import { createTestClock, startProvider, type TestClock, type TestProvider } from "./server.js";

export const ADMIN_TOKEN = "sync-harness-admin-token-0123456789";

export interface SyncHarness {
  kind: DbKind;
  provider: TestProvider;
  providerDb: TestDb;
  store: LmsStore;
  /** The provider's clock; the consumer uses it too, so delta stamps and run starts agree. */
  clock: TestClock;
  settings: SyncSettings;
  connection: { baseUrl: string; tokenUrl: string; clientId: string; clientSecret: string };
  /** One consumer run; later options override the defaults (fast retries, the harness clock). */
  sync(options?: Partial<Omit<SyncOptions, "store" | "connection">>): Promise<SyncReport>;
  /** Moves the district forward with the district clock (churn, tombstones), the wall clock a minute on each side. */
  advance(days: number, churnRate?: number): Promise<void>;
  /** Switches provider quirk presets on (replacing the set). */
  quirks(names: string[]): Promise<void>;
  /** Marks provider records tobedeleted (or back to active) with a fresh dateLastModified, as an SIS does. */
  setStatus(table: keyof typeof dataTables, ids: string[], status: "active" | "tobedeleted"): Promise<void>;
  /** Updates provider records' fields with a fresh dateLastModified. */
  update(table: keyof typeof dataTables, id: string, values: Record<string, unknown>): Promise<void>;
  /** Every record of a provider collection, read over HTTP. */
  providerRecords(path: string, envelope: string): Promise<Record<string, unknown>[]>;
  exportLms(): Promise<ExportedRoster>;
  close(): Promise<void>;
}

/** The seeded district is as of 2026-09-15; the clock starts the next morning and only moves when told to. */
const START = "2026-09-16T08:00:00.000Z";

export async function openSyncHarness(
  kind: DbKind,
  options: { profile?: "brightspace" | "itslearning"; settings?: Partial<SyncSettings>; seed?: number } = {},
): Promise<SyncHarness> {
  const providerDb = await openTestDb(kind);
  await seedDatabase(providerDb.handle, { seed: options.seed ?? 1, size: "tiny", fingerprint: false });
  const clock = createTestClock(START);
  const districtClock = createDistrictClock(providerDb.handle, clock);
  const provider = await startProvider(providerDb.handle, {
    clock,
    districtClock,
    config: { adminToken: ADMIN_TOKEN },
  });
  // The LMS store lives beside the provider: in memory for PGlite, the `lms` schema of the same test database on Postgres.
  const store = await openLmsStore(kind === "postgres" && providerDb.url ? providerDb.url : "memory:");
  const base = resolveSettings({ profile: options.profile ?? "brightspace" });
  const settings: SyncSettings = {
    ...base,
    ...options.settings,
    fetch: { ...base.fetch, pageSize: 100, ...options.settings?.fetch },
  };
  const connection = {
    baseUrl: provider.baseUrl,
    tokenUrl: provider.tokenUrl,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
  };
  const fastRetries: Partial<ClientOptions> = { minRetryDelayMs: 1, maxRetryDelayMs: 5, sleep: async () => {} };
  const admin = async (method: string, path: string, body?: unknown) => {
    const send = () =>
      fetch(`${provider.origin}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    // An idle keep-alive connection can be closed by the server just as it is reused (the in-process PGlite
    // blocks the event loop for long stretches); the admin calls here are idempotent, so one retry is safe.
    const res = await send().catch(send);
    if (!res.ok) {
      throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
    }
    return res.json();
  };
  const touch = () => {
    clock.advance(60_000);
    return clock.now();
  };
  return {
    kind,
    provider,
    providerDb,
    store,
    clock,
    settings,
    connection,
    async sync(extra = {}) {
      clock.advance(1000);
      return runSync({
        store,
        connection,
        settings,
        now: () => clock.now(),
        ...extra,
        client: { ...fastRetries, ...extra.client },
      });
    },
    async advance(days, churnRate) {
      clock.advance(60_000);
      await districtClock.advance(days, churnRate !== undefined ? { churnRate } : {});
      clock.advance(60_000);
    },
    async quirks(names) {
      await admin("PUT", "/admin/quirks", { quirks: names });
    },
    async setStatus(table, ids, status) {
      const t = dataTables[table];
      await providerDb.db.update(t).set({ status, dateLastModified: touch() }).where(inArray(t.sourcedId, ids));
    },
    async update(table, id, values) {
      const t = dataTables[table];
      await providerDb.db
        .update(t)
        .set({ ...values, dateLastModified: touch() })
        .where(eq(t.sourcedId, id));
    },
    async providerRecords(path, envelope) {
      const client = new OneRosterClient({ ...connection, ...fastRetries });
      const out: Record<string, unknown>[] = [];
      for await (const page of client.pages({ path, envelope, pageSize: 1000 })) {
        out.push(...(page.records as Record<string, unknown>[]));
      }
      return out;
    },
    exportLms: () => exportRoster(store.db),
    async close() {
      await store.close();
      await provider.close();
      await providerDb.close();
    },
  };
}

/** The fields the LMS keeps of each provider record, in the export's shape, for a record-by-record comparison. */
export function providerView(collection: keyof ExportedRoster, r: Record<string, unknown>): Record<string, unknown> {
  const ref = (v: unknown) => (v && typeof v === "object" ? ((v as { sourcedId?: string }).sourcedId ?? null) : null);
  const refs = (v: unknown) =>
    Array.isArray(v)
      ? v
          .map(ref)
          .filter((x): x is string => x !== null)
          .sort()
      : [];
  switch (collection) {
    case "academicSessions":
      return {
        sourcedId: r.sourcedId,
        title: r.title,
        startDate: r.startDate,
        endDate: r.endDate,
        parent: ref(r.parent),
      };
    case "orgs":
      return { sourcedId: r.sourcedId, name: r.name, parent: ref(r.parent) };
    case "courses":
      return { sourcedId: r.sourcedId, title: r.title, org: ref(r.org), schoolYear: ref(r.schoolYear) };
    case "classes":
      return {
        sourcedId: r.sourcedId,
        title: r.title,
        course: ref(r.course),
        school: ref(r.school),
        terms: refs(r.terms),
      };
    case "users":
      return {
        sourcedId: r.sourcedId,
        username: r.username,
        enabledUser: r.enabledUser === true || r.enabledUser === "true",
        givenName: r.givenName,
        familyName: r.familyName,
        middleName: r.middleName ?? null,
        email: r.email ?? null,
        role: r.role,
        agents: refs(r.agents),
        orgs: refs(r.orgs),
      };
    case "enrollments":
      return {
        sourcedId: r.sourcedId,
        user: ref(r.user),
        class: ref(r.class),
        role: r.role,
        primary: r.primary === undefined ? null : r.primary === true || r.primary === "true",
        beginDate: r.beginDate ?? null,
        endDate: r.endDate ?? null,
      };
  }
}

/** The same view of an exported LMS record (drops the `lms` block and the status). */
export function lmsView(r: Record<string, unknown>): Record<string, unknown> {
  const { lms: _lms, status: _status, ...rest } = r;
  return rest;
}
