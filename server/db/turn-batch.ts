// Batches the database reads a process starts in one turn of its event loop: under concurrent load the requests read
// from the sockets in one turn each start a read, and one statement for all of them is one round trip and one wake-up
// of a Postgres backend instead of one each. A lone read waits for nothing but the end of its own turn.
import DataLoader from "dataloader";

export interface TurnBatchOptions {
  /** Most keys one batch carries (a larger turn is split across batches). */
  maxBatch: number;
  /** Hears the size of each batch (tests count statements with it). */
  onBatch?: (size: number) => void;
}

/**
 * A loader whose `load(key)`s of one turn reach `run` together when the turn is over (setImmediate: after every
 * socket that was ready in the turn has been read). `run` answers each key in order. Nothing is cached between turns,
 * so every read sees the data as it is when its batch runs. Should a batch fail, each of its keys runs again on its
 * own, so a key that makes the statement fail fails only its own read.
 */
export function turnBatchLoader<K, V>(
  run: (keys: readonly K[]) => Promise<readonly V[]>,
  options: TurnBatchOptions,
): DataLoader<K, V> {
  return new DataLoader<K, V>(
    async (keys) => {
      options.onBatch?.(keys.length);
      try {
        return await run(keys);
      } catch (error) {
        if (keys.length === 1) {
          throw error;
        }
        return Promise.all(
          keys.map((key) =>
            run([key]).then(
              ([value]) => value as V,
              (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
            ),
          ),
        );
      }
    },
    { cache: false, maxBatchSize: options.maxBatch, batchScheduleFn: (next) => setImmediate(next) },
  );
}
