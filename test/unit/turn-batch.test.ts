// turnBatchLoader (server/db/turn-batch.ts): the loads of one event-loop turn reach the batch function together, in
// order, split at the bound; loads in later turns make new batches (nothing cached); a failing batch is retried key by
// key, so only the key that fails is refused.
import { describe, expect, it } from "vitest";
import { turnBatchLoader } from "../../server/db/turn-batch.js";

/** A batch function that doubles numbers, refuses 13 wherever it is, and records each batch it was given. */
function doubler() {
  const batches: number[][] = [];
  const run = async (keys: readonly number[]) => {
    batches.push([...keys]);
    if (keys.includes(13)) {
      throw new Error("13 refused");
    }
    return keys.map((k) => k * 2);
  };
  return { batches, run };
}

describe("turnBatchLoader", () => {
  it("hands the loads of one turn to one batch, in order, duplicates included", async () => {
    const { batches, run } = doubler();
    const sizes: number[] = [];
    const loader = turnBatchLoader(run, { maxBatch: 100, onBatch: (n) => sizes.push(n) });
    expect(await Promise.all([3, 1, 3, 2].map((k) => loader.load(k)))).toEqual([6, 2, 6, 4]);
    expect(batches).toEqual([[3, 1, 3, 2]]);
    expect(sizes).toEqual([4]);
  });

  it("waits for the end of the turn: loads started from other I/O callbacks of the turn join the batch", async () => {
    const { batches, run } = doubler();
    const loader = turnBatchLoader(run, { maxBatch: 100 });
    const first = loader.load(1);
    // A promise continuation and a nextTick callback of the same turn both run before setImmediate.
    const second = Promise.resolve().then(() => loader.load(2));
    const third = new Promise<number>((resolve) => process.nextTick(() => resolve(loader.load(3))));
    expect(await Promise.all([first, second, third])).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it("splits a turn at maxBatch and caches nothing between turns", async () => {
    const { batches, run } = doubler();
    const loader = turnBatchLoader(run, { maxBatch: 2 });
    await Promise.all([1, 2, 3, 4, 5].map((k) => loader.load(k)));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    await loader.load(1);
    await loader.load(1);
    expect(batches.slice(3)).toEqual([[1], [1]]);
  });

  it("retries a failed batch key by key, so only the failing key is refused", async () => {
    const { batches, run } = doubler();
    const loader = turnBatchLoader(run, { maxBatch: 100 });
    const results = await Promise.allSettled([5, 13, 7].map((k) => loader.load(k)));
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      10,
      "13 refused",
      14,
    ]);
    expect(batches).toEqual([[5, 13, 7], [5], [13], [7]]);
    await expect(loader.load(13)).rejects.toThrow("13 refused");
  });
});
