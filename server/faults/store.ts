// Which quirks are on: those the process was started with plus those switched on through /admin, which live
// in the `settings` table so every replica agrees. Reads are cached for a second to keep them off the hot path.
import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { settings } from "../db/schema.js";
import type { Clock } from "../deps.js";
import { isQuirkName, type QuirkName } from "./presets.js";

const KEY = "quirks";
const CACHE_MS = 1000;

export interface QuirkStore {
  active(): Promise<ReadonlySet<QuirkName>>;
  /** Replaces the switched-on set (the start-up quirks stay on). */
  set(names: QuirkName[]): Promise<ReadonlySet<QuirkName>>;
}

export function createQuirkStore(db: Db, clock: Clock, fixed: ReadonlySet<QuirkName> = new Set()): QuirkStore {
  let cached: { at: number; value: ReadonlySet<QuirkName> } | undefined;
  const load = async (): Promise<ReadonlySet<QuirkName>> => {
    const rows = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, KEY)).limit(1);
    const stored = Array.isArray(rows[0]?.value) ? (rows[0]?.value as unknown[]) : [];
    const names = stored.filter((n): n is QuirkName => typeof n === "string" && isQuirkName(n));
    return new Set([...fixed, ...names]);
  };
  return {
    async active() {
      // Cache age is process time, not the (possibly frozen) domain clock.
      const now = performance.now();
      if (!cached || now - cached.at >= CACHE_MS) {
        cached = { at: now, value: await load() };
      }
      return cached.value;
    },
    async set(names) {
      const value = [...new Set(names)];
      await db
        .insert(settings)
        .values({ key: KEY, value, updatedAt: clock.now() })
        .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: clock.now() } });
      cached = undefined;
      return this.active();
    },
  };
}
