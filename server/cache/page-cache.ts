// A bounded in-memory cache of rendered GET responses, dropped whole whenever OneRoster data changes: on this
// process's own writes at once, and on the `rosterlab_data` NOTIFY that a trigger sends for every write from any
// process (migration 0001). It holds derived data only, so replicas never disagree for longer than a NOTIFY takes.

export interface CachedPage {
  status: 200;
  body: string;
  headers: Record<string, string>;
}

export interface PageCache {
  /** The data generation a request starts under; pass it back to `set`. */
  generation(): number;
  get(key: string): CachedPage | undefined;
  /** Stores a page rendered under `generation`; ignored if data changed meanwhile (it might be stale). */
  set(key: string, generation: number, page: CachedPage): void;
  /** Drops every page: data changed. */
  invalidate(): void;
  readonly enabled: boolean;
}

/** Least-recently-used by insertion order of a Map, bounded by the bytes of the stored bodies. */
export function createPageCache(maxBytes: number): PageCache {
  const pages = new Map<string, CachedPage>();
  let bytes = 0;
  let gen = 0;
  const enabled = maxBytes > 0;
  return {
    enabled,
    generation: () => gen,
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
      }
      pages.set(key, page);
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
      bytes = 0;
    },
  };
}

/** Channel the data-change trigger notifies on (migration 0001). */
export const DATA_CHANNEL = "rosterlab_data";

/**
 * A page cache that listens for data changes on the handle. Without LISTEN support on the handle the cache is
 * off: another process's writes could not reach it.
 */
export async function openPageCache(
  handle: { listen?: (channel: string, onNotify: () => void) => Promise<() => Promise<void>> },
  maxBytes: number,
): Promise<{ cache: PageCache; close(): Promise<void> }> {
  if (!handle.listen || maxBytes <= 0) {
    return { cache: createPageCache(0), close: async () => {} };
  }
  const cache = createPageCache(maxBytes);
  const unlisten = await handle.listen(DATA_CHANNEL, () => cache.invalidate());
  return { cache, close: () => unlisten().catch(() => {}) };
}
