// Which fault presets are on, and their request counters. Presets come from the start-up list (CLI `--quirk`) and
// from the `fault_switches` table (provider-wide or for one client), so every replica agrees; counters live in
// `fault_counters` for the same reason. Switch reads are cached for a second to keep them off the hot path.
import { and, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { faultCounters, faultSwitches } from "../db/schema.js";
import type { Clock } from "../deps.js";
import { type FaultName, type FaultSpec, FaultSpecError, isFaultName, resolveParams } from "./catalog.js";
import { isQuirkName, type QuirkName } from "./presets.js";

const CACHE_MS = 1000;
/** Counters untouched this long are dropped (token-use counters of long-gone tokens). */
const COUNTER_RETENTION_MS = 24 * 3600 * 1000;

/** The scope of presets on for every client. */
export const PROVIDER_SCOPE = "provider";
/** The scope of presets on for one client. */
export function clientScope(clientId: string): string {
  return `client:${clientId}`;
}

export type FaultSource = "start" | "provider" | "client" | "request";

/** A preset as switched on: parameters as given. */
export interface SwitchedFault {
  scope: string;
  name: FaultName;
  params: Record<string, unknown>;
  source: Exclude<FaultSource, "request">;
  since: Date;
  until?: Date;
}

/** A preset in force for a request: parameters with defaults, and the scope its counters are kept under. */
export interface ActiveFault {
  name: FaultName;
  params: Record<string, unknown>;
  given: Record<string, unknown>;
  source: FaultSource;
  /** Counter scope; undefined for a per-request fault, which fires without counting. */
  counterScope?: string;
}

export interface FaultCounter {
  scope: string;
  name: string;
  key: string;
  n: number;
}

export interface FaultStore {
  /** Provider-wide quirks in force (start-up and switched on): the fallback for a request not resolved per client. */
  active(): Promise<ReadonlySet<QuirkName>>;
  /** Every preset in force for a client: start-up, provider-wide and the client's own (the most specific wins). */
  forClient(clientId: string | undefined): Promise<ActiveFault[]>;
  /**
   * forClient without waiting, when it can answer from what it holds: the empty list while the switches read within
   * the last second are none (the usual request); undefined when forClient must be asked.
   */
  noneCached(): readonly ActiveFault[] | undefined;
  /** Presets switched on in a scope (the provider scope includes the start-up list), or in every scope. */
  list(scope?: string): Promise<SwitchedFault[]>;
  /** Replaces the presets switched on in a scope; a preset whose parameters changed starts counting afresh. */
  replace(scope: string, specs: readonly FaultSpec[]): Promise<SwitchedFault[]>;
  /** Switches one preset on in a scope (replacing its parameters, counting afresh). */
  switchOn(scope: string, spec: FaultSpec): Promise<SwitchedFault>;
  /** Switches one preset off in a scope; false when it was not on there. */
  switchOff(scope: string, name: FaultName): Promise<boolean>;
  /** Switches off every preset of a scope and drops its counters (a deleted client). */
  clearScope(scope: string): Promise<void>;
  /** Counts one more request and returns the count (1 for the first). Atomic across processes. */
  count(scope: string, name: FaultName, key?: string): Promise<number>;
  counters(scope?: string): Promise<FaultCounter[]>;
}

/** Backwards-compatible name: the quirk store became the fault store. */
export type QuirkStore = FaultStore;

interface Row {
  scope: string;
  name: string;
  params: Record<string, unknown>;
  switchedOnAt: Date;
  until: Date | null;
}

function toSwitched(row: Row): SwitchedFault | undefined {
  if (!isFaultName(row.name)) {
    return undefined;
  }
  return {
    scope: row.scope,
    name: row.name,
    params: row.params,
    source: row.scope === PROVIDER_SCOPE ? "provider" : "client",
    since: row.switchedOnAt,
    ...(row.until ? { until: row.until } : {}),
  };
}

function untilFor(params: Record<string, unknown>, from: Date): Date | null {
  const duration = Number(params.duration);
  return Number.isFinite(duration) && duration > 0 ? new Date(from.getTime() + duration * 1000) : null;
}

const NO_FAULTS: ActiveFault[] = [];
Object.freeze(NO_FAULTS);

const sameParams = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

export function createFaultStore(db: Db, clock: Clock, fixed: readonly FaultSpec[] = []): FaultStore {
  const startedAt = clock.now();
  const startup: SwitchedFault[] = fixed.map((spec) => {
    const until = untilFor(spec.params, startedAt);
    return {
      scope: PROVIDER_SCOPE,
      name: spec.name,
      params: spec.params,
      source: "start",
      since: startedAt,
      ...(until ? { until } : {}),
    };
  });
  let cached: { at: number; rows: SwitchedFault[] } | undefined;

  const load = async (): Promise<SwitchedFault[]> => {
    // Cache age is process time, not the (possibly frozen) domain clock; expiry below uses the domain clock.
    const now = performance.now();
    if (!cached || now - cached.at >= CACHE_MS) {
      const rows = (await db.select().from(faultSwitches)) as Row[];
      cached = { at: now, rows: rows.map(toSwitched).filter((r): r is SwitchedFault => r !== undefined) };
    }
    const at = clock.now().getTime();
    return cached.rows.filter((r) => !r.until || r.until.getTime() > at);
  };
  const live = (rows: SwitchedFault[]) => {
    const at = clock.now().getTime();
    return rows.filter((r) => !r.until || r.until.getTime() > at);
  };
  const activeFault = (s: SwitchedFault): ActiveFault | undefined => {
    try {
      return {
        name: s.name,
        params: resolveParams({ name: s.name, params: s.params }),
        given: s.params,
        source: s.source,
        counterScope: s.scope,
      };
    } catch (error) {
      // A stored switch whose parameters no longer validate is ignored rather than failing every request.
      if (error instanceof FaultSpecError) {
        return undefined;
      }
      throw error;
    }
  };
  const resetCounters = async (scope: string, name: string) => {
    await db.delete(faultCounters).where(and(eq(faultCounters.scope, scope), eq(faultCounters.name, name)));
  };
  const pruneCounters = async () => {
    const before = new Date(clock.now().getTime() - COUNTER_RETENTION_MS);
    await db.delete(faultCounters).where(lt(faultCounters.updatedAt, before));
  };

  const store: FaultStore = {
    async active() {
      const rows = [...live(startup), ...(await load()).filter((r) => r.scope === PROVIDER_SCOPE)];
      return new Set(rows.map((r) => r.name).filter(isQuirkName));
    },
    noneCached() {
      return startup.length === 0 && cached?.rows.length === 0 && performance.now() - cached.at < CACHE_MS
        ? NO_FAULTS
        : undefined;
    },
    async forClient(clientId) {
      const rows = await load();
      if (rows.length === 0 && startup.length === 0) {
        // The usual case, on every data request: nothing switched on anywhere.
        return NO_FAULTS;
      }
      const byName = new Map<string, SwitchedFault>();
      for (const s of live(startup)) {
        byName.set(s.name, s);
      }
      for (const s of rows.filter((r) => r.scope === PROVIDER_SCOPE)) {
        byName.set(s.name, s);
      }
      if (clientId !== undefined) {
        const own = clientScope(clientId);
        for (const s of rows.filter((r) => r.scope === own)) {
          byName.set(s.name, s);
        }
      }
      return [...byName.values()].map(activeFault).filter((f): f is ActiveFault => f !== undefined);
    },
    async list(scope) {
      cached = undefined;
      const rows = await load();
      const all = [...live(startup), ...rows];
      return scope === undefined ? all : all.filter((r) => r.scope === scope);
    },
    async replace(scope, specs) {
      const now = clock.now();
      const current = (await db.select().from(faultSwitches).where(eq(faultSwitches.scope, scope))) as Row[];
      const wanted = new Map(specs.map((s) => [s.name, s]));
      await db.transaction(async (tx) => {
        for (const row of current) {
          const next = wanted.get(row.name as FaultName);
          if (!next || !sameParams(next.params, row.params)) {
            await tx.delete(faultSwitches).where(and(eq(faultSwitches.scope, scope), eq(faultSwitches.name, row.name)));
            await tx.delete(faultCounters).where(and(eq(faultCounters.scope, scope), eq(faultCounters.name, row.name)));
          }
        }
        for (const spec of wanted.values()) {
          const kept = current.find((r) => r.name === spec.name && sameParams(spec.params, r.params));
          if (!kept) {
            await tx.insert(faultSwitches).values({
              scope,
              name: spec.name,
              params: spec.params,
              switchedOnAt: now,
              until: untilFor(spec.params, now),
            });
          }
        }
      });
      await pruneCounters();
      cached = undefined;
      return store.list(scope);
    },
    async switchOn(scope, spec) {
      const now = clock.now();
      const values = { params: spec.params, switchedOnAt: now, until: untilFor(spec.params, now) };
      await db
        .insert(faultSwitches)
        .values({ scope, name: spec.name, ...values })
        .onConflictDoUpdate({ target: [faultSwitches.scope, faultSwitches.name], set: values });
      await resetCounters(scope, spec.name);
      cached = undefined;
      const switched = toSwitched({ scope, name: spec.name, ...values });
      if (!switched) {
        throw new FaultSpecError(`unknown fault preset: ${spec.name}`);
      }
      return switched;
    },
    async switchOff(scope, name) {
      const gone = await db
        .delete(faultSwitches)
        .where(and(eq(faultSwitches.scope, scope), eq(faultSwitches.name, name)))
        .returning({ name: faultSwitches.name });
      await resetCounters(scope, name);
      cached = undefined;
      return gone.length > 0;
    },
    async clearScope(scope) {
      await db.delete(faultSwitches).where(eq(faultSwitches.scope, scope));
      await db.delete(faultCounters).where(eq(faultCounters.scope, scope));
      cached = undefined;
    },
    async count(scope, name, key = "") {
      const now = clock.now();
      const [row] = await db
        .insert(faultCounters)
        .values({ scope, name, key, n: 1, updatedAt: now })
        .onConflictDoUpdate({
          target: [faultCounters.scope, faultCounters.name, faultCounters.key],
          set: { n: sql`${faultCounters.n} + 1`, updatedAt: now },
        })
        .returning({ n: faultCounters.n });
      return Number(row?.n ?? 1);
    },
    async counters(scope) {
      const query = db
        .select({ scope: faultCounters.scope, name: faultCounters.name, key: faultCounters.key, n: faultCounters.n })
        .from(faultCounters);
      const rows = scope === undefined ? await query : await query.where(eq(faultCounters.scope, scope));
      return rows.map((r) => ({ ...r, n: Number(r.n) }));
    },
  };
  return store;
}
