// The pure decision of counted fault presets: every Nth request a burst of B, or a seeded rate that fires on the same
// requests every time.
import { describe, expect, it } from "vitest";
import { firesAt, unitRandom } from "../../server/faults/trigger.js";

const hits = (trigger: Parameters<typeof firesAt>[0], upTo: number) =>
  Array.from({ length: upTo }, (_, i) => i + 1).filter((n) => firesAt(trigger, n));

describe("firesAt", () => {
  it("hits the last B requests of every N, so a client always gets going first", () => {
    expect(hits({ every: 10, burst: 3, seed: 1 }, 20)).toEqual([8, 9, 10, 18, 19, 20]);
    expect(hits({ every: 2, burst: 1, seed: 1 }, 6)).toEqual([2, 4, 6]);
    expect(hits({ every: 1, burst: 1, seed: 1 }, 3)).toEqual([1, 2, 3]);
  });

  it("with a rate, hits the same requests for the same seed and others for another seed", () => {
    const a = hits({ every: 1, burst: 1, rate: 0.25, seed: 7 }, 200);
    expect(hits({ every: 1, burst: 1, rate: 0.25, seed: 7 }, 200)).toEqual(a);
    expect(hits({ every: 1, burst: 1, rate: 0.25, seed: 8 }, 200)).not.toEqual(a);
    expect(a.length).toBeGreaterThan(25);
    expect(a.length).toBeLessThan(75);
  });

  it("with a rate and a burst, a started burst covers the following requests", () => {
    const single = hits({ every: 1, burst: 1, rate: 0.1, seed: 3 }, 100);
    const bursts = hits({ every: 1, burst: 3, rate: 0.1, seed: 3 }, 100);
    for (const n of single) {
      expect(bursts).toEqual(expect.arrayContaining([n, n + 1, n + 2].filter((k) => k <= 100)));
    }
  });

  it("never fires before the first request", () => {
    expect(firesAt({ every: 1, burst: 1, seed: 1 }, 0)).toBe(false);
  });

  it("draws numbers in [0, 1)", () => {
    for (let n = 1; n < 1000; n++) {
      const r = unitRandom(99, n);
      expect(r >= 0 && r < 1).toBe(true);
    }
  });
});
