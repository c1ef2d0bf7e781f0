// A bounded in-memory cache of rendered GET responses, and a memo of collection totals (X-Total-Count), both dropped
// whole whenever OneRoster data changes: on this process's own writes at once, and on the `rosterlab_data` NOTIFY that
// a trigger sends for every write from any process (migration 0001). It holds derived data only, so replicas never
// disagree for longer than a NOTIFY takes. Both are off when the cache size is 0. A page is kept from the second time
// it is asked for: most uncached traffic never repeats, and one-off reads (random records, deep offsets, deltas from
// each client's own timestamp) then neither fill the cache nor push out the pages that are read again.

export interface CachedPage {
  status: 200;
  /** The body as sent: its UTF-8 bytes (routes store these), or a text. Its `length` is what the cache counts. */
  body: string | Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
}

export interface PageCache {
  /** The data generation a request starts under; pass it back to `set`. */
  generation(): number;
  get(key: string): CachedPage | undefined;
  /**
   * Offers a page rendered under `generation`; ignored if data changed meanwhile (it might be stale). A page is stored
   * the second time its key is offered (the first time its key is only noted), so reads that never repeat (random
   * single records, deep offsets, deltas from each client's own timestamp) neither fill the cache nor evict from it.
   */
  set(key: string, generation: number, page: CachedPage): void;
  /** A collection total remembered under the current data generation (`key`: query shape and values). */
  count(key: string): number | undefined;
  /** Remembers a total counted under `generation`; ignored if data changed meanwhile. */
  setCount(key: string, generation: number, total: number): void;
  /** Drops every page and total: data changed. */
  invalidate(): void;
  readonly enabled: boolean;
}

/** Bound on remembered totals; past it the memo is cleared (recounting is only slower). */
const COUNTS_MAX = 20_000;

/**
 * Slots of the table of keys offered once (a power of two): 256 KiB, whatever the keys. Two keys sharing a slot only
 * make one of them wait for a third offer, and two sharing a hash make one stored on its first: either way, a page
 * is kept or not a little sooner or later, never served wrong.
 */
const OFFERED_SLOTS = 1 << 16;

/** FNV-1a over the key's UTF-16 code units, as a 32-bit number (never 0, which marks an empty slot). */
function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  }
  return h >>> 0 || 1;
}

/**
 * The page with a body that holds only its own bytes. `Buffer.from` puts a small text (under 4 KiB) in a slice of a
 * shared 8 KiB pool, and a kept slice keeps its whole pool alive: a cache of single records would hold many times the
 * bytes it counts. A stored page's body is copied out of a larger buffer; a page that is not stored costs no copy.
 */
function ownBytes(page: CachedPage): CachedPage {
  const body = page.body;
  if (typeof body === "string" || body.byteLength === body.buffer.byteLength) {
    return page;
  }
  return { ...page, body: new Uint8Array(body) };
}

/**
 * Pages: least-recently-used by insertion order of a Map, bounded by the bytes of the stored bodies. Totals are
 * remembered only when `invalidated` says every data change reaches `invalidate` (a LISTEN is open), since a total,
 * unlike a page, is kept even with the page store off.
 */
export function createPageCache(maxBytes: number, options: { invalidated?: boolean } = {}): PageCache {
  const pages = new Map<string, CachedPage>();
  // Keys offered once, by hash: a page is stored the second time its key is offered (see set).
  const offered = new Uint32Array(maxBytes > 0 ? OFFERED_SLOTS : 0);
  const counts = new Map<string, number>();
  const remembersCounts = options.invalidated ?? maxBytes > 0;
  let bytes = 0;
  let gen = 0;
  const enabled = maxBytes > 0;
  return {
    enabled,
    generation: () => gen,
    count: (key) => counts.get(key),
    setCount(key, generation, total) {
      if (!remembersCounts || generation !== gen) {
        return;
      }
      if (counts.size >= COUNTS_MAX) {
        counts.clear();
      }
      counts.set(key, total);
    },
    get(key) {
      const page = pages.get(key);
      if (page) {
        // Refresh recency.
        pages.delete(key);
        pages.set(key, page);
      }
      return page;
    },
    set(key, generation, page) {
      const size = page.body.length;
      if (!enabled || generation !== gen || size > maxBytes / 4) {
        return;
      }
      const old = pages.get(key);
      if (old) {
        bytes -= old.body.length;
        pages.delete(key);
      } else {
        const hash = keyHash(key);
        const slot = hash & (OFFERED_SLOTS - 1);
        if (offered[slot] !== hash) {
          offered[slot] = hash;
          return;
        }
      }
      pages.set(key, ownBytes(page));
      bytes += size;
      for (const [k, p] of pages) {
        if (bytes <= maxBytes) {
          break;
        }
        pages.delete(k);
        bytes -= p.body.length;
      }
    },
    invalidate() {
      gen += 1;
      pages.clear();
      counts.clear();
      bytes = 0;
    },
  };
}

/** Channel the data-change trigger notifies on (migration 0001). */
export const DATA_CHANNEL = "rosterlab_data";

/**
 * A page cache that listens for data changes on the handle. Without LISTEN support on the handle, or with `maxBytes`
 * 0, it is off, totals memo included: no LISTEN connection is opened (an operator who turns the cache off gets a
 * provider that holds no connection of its own and remembers nothing between requests).
 */
export async function openPageCache(
  handle: { listen?: (channel: string, onNotify: () => void) => Promise<() => Promise<void>> },
  maxBytes: number,
): Promise<{ cache: PageCache; close(): Promise<void> }> {
  if (!handle.listen || maxBytes <= 0) {
    return { cache: createPageCache(0), close: async () => {} };
  }
  const cache = createPageCache(maxBytes, { invalidated: true });
  const unlisten = await handle.listen(DATA_CHANNEL, () => cache.invalidate());
  return { cache, close: () => unlisten().catch(() => {}) };
}
