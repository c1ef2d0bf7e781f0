// The paired figure of `npm run bench:compare`: medians per side and the median of the rounds' own ratios.
import { describe, expect, it } from "vitest";
import { type Round, summarizeRounds } from "../../bench/compare.js";

const round = (base: number, head: number, cpu: [number | null, number | null] = [0.2, 0.18]): Round => ({
  base: { requestsPerSecond: base, cpuMs: cpu[0], dbCpuMs: 0.15 },
  head: { requestsPerSecond: head, cpuMs: cpu[1], dbCpuMs: 0.14 },
});

describe("summarizeRounds", () => {
  it("takes the median of each round's ratio, not the ratio of the medians", () => {
    // Medians of each side: base 1000, this tree 1100 (ratio 1.1); the rounds' own ratios: 2, 1.1, 0.5 → median 1.1.
    // A slow round (both sides slow together) moves the sides' medians but not the paired ratio.
    const summary = summarizeRounds([round(500, 1000), round(1000, 1100), round(3000, 1500)]);
    expect(summary.ratio).toBe(1.1);
    expect(summary.base.requestsPerSecond).toBe(1000);
    expect(summary.head.requestsPerSecond).toBe(1100);
    expect(summary.rounds).toBe(3);
  });

  it("pairs rounds: a side that is faster in every round gives a ratio above 1 however the rounds vary", () => {
    const rounds = [round(1000, 1040), round(4000, 4160), round(2000, 2080), round(500, 520)];
    const summary = summarizeRounds(rounds);
    expect(summary.ratio).toBe(1.04);
    expect(summary.ratioQuartiles).toEqual([1.04, 1.04]);
  });

  it("gives the middle half of the ratios and leaves unknown CPU out of the medians", () => {
    const ratios = [0.9, 1.0, 1.1, 1.2];
    const summary = summarizeRounds(
      ratios.map((r, i) => round(1000, 1000 * r, i === 0 ? [null, null] : [0.2 + i / 100, 0.18])),
    );
    expect(summary.ratioQuartiles).toEqual([0.9, 1.1]);
    expect(summary.ratio).toBe(1.05);
    expect(summary.base.cpuMs).toBe(0.22);
    expect(summary.head.cpuMs).toBe(0.18);
  });

  it("refuses an empty comparison", () => {
    expect(() => summarizeRounds([])).toThrow(/no rounds/);
  });
});
