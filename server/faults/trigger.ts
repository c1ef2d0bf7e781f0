// When a counted fault fires on the nth matching request: a burst of B at the end of every N requests, or, with a
// rate, a burst started by a seeded generator. Pure: the same parameters and n always give the same answer.

export interface Trigger {
  every: number;
  burst: number;
  rate?: number;
  seed: number;
}

/** A number in [0, 1) from (seed, n): a 32-bit integer hash (the finaliser of MurmurHash3), not Math.random. */
export function unitRandom(seed: number, n: number): number {
  let h = (seed ^ Math.imul(n, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/**
 * True when request n (1-based) is hit. Every/burst: with every=10, burst=3 requests 8, 9, 10, 18, 19, 20… fail,
 * so a client always gets going first. Rate: request k starts a burst with probability `rate`; n is hit when any
 * of the `burst` requests up to n started one.
 */
export function firesAt(trigger: Trigger, n: number): boolean {
  if (n < 1) {
    return false;
  }
  if (trigger.rate !== undefined) {
    for (let k = Math.max(1, n - trigger.burst + 1); k <= n; k++) {
      if (unitRandom(trigger.seed, k) < trigger.rate) {
        return true;
      }
    }
    return false;
  }
  return (n - 1) % trigger.every >= trigger.every - trigger.burst;
}
