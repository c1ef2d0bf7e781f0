// The sync figure's arithmetic: medians over runs, full sync against the same run's ceiling (fetch + COPY), delta as
// a share of the full sync, flat memory from the smallest size to the largest, and the churn-rate correction.
import { describe, expect, it } from "vitest";
import {
  memoryGrowth,
  nextChurnRate,
  renderSyncTable,
  SYNC_TARGETS,
  type SyncRun,
  summarizeSync,
} from "../../bench/sync-report.js";

const job = (ms: number, peakRssMb = 200, records = 1000) => ({ ms, peakRssMb, records });

const run = (full: number, fetch: number, copy: number, delta: number, rss = 200): SyncRun => ({
  full: job(full, rss),
  fetch: job(fetch, 150),
  copy: job(copy, 120, 1500),
  delta: job(delta, rss - 20, 30),
  churn: { rate: 0.0025, touched: 10, of: 1000 },
});

describe("sync bench report", () => {
  it("divides the median full sync by the median ceiling, each ceiling being fetch + copy of the same run", () => {
    const s = summarizeSync("district", [run(30_000, 10_000, 5_000, 1_000), run(40_000, 12_000, 6_000, 1_500)]);
    expect(s.fullS).toBe(35);
    expect(s.ceilingS).toBe(16.5);
    expect(s.ratio).toBe(2.121);
    expect(s.perRunRatios).toEqual([2, 2.222]);
    expect(s.meetsRatio).toBe(false);
    expect(s.fetchS).toBe(11);
    expect(s.copyS).toBe(5.5);
    expect(s.rows).toBe(1500);
  });

  it("reports the delta as a share of the full sync and checks it against 5 %", () => {
    const s = summarizeSync("district", [run(30_000, 20_000, 5_000, 1_200), run(30_000, 20_000, 5_000, 1_800)]);
    expect(s.deltaS).toBe(1.5);
    expect(s.deltaShare).toBe(0.05);
    expect(s.meetsDelta).toBe(true);
    expect(s.meetsRatio).toBe(true);
    expect(s.churnShare).toBe(0.01);
    expect(summarizeSync("x", [run(30_000, 20_000, 5_000, 1_600)]).meetsDelta).toBe(false);
  });

  it("refuses a figure without runs", () => {
    expect(() => summarizeSync("district", [])).toThrow(/no sync runs/);
  });

  it("calls memory flat when the largest size's peak RSS stays within the allowed growth of the smallest's", () => {
    const district = summarizeSync("district", [run(1, 1, 1, 1, 200)]);
    const large = { ...summarizeSync("large", [run(1, 1, 1, 1, 240)]), records: 4000 };
    expect(memoryGrowth([large, district])).toEqual({ from: "district", to: "large", ratio: 1.2, flat: true });
    const hungry = { ...large, peakRssMb: 200 * SYNC_TARGETS.rssGrowth + 1 };
    expect(memoryGrowth([district, hungry])?.flat).toBe(false);
    expect(memoryGrowth([district])).toBeUndefined();
  });

  it("scales the next churn rate toward the target share, within the clock's bounds", () => {
    expect(nextChurnRate(0.0025, 0.02, 0.01)).toBe(0.00125);
    expect(nextChurnRate(0.5, 0.001, 0.01)).toBe(1);
    expect(nextChurnRate(0.0025, 0, 0.01)).toBe(0.0025);
  });

  it("renders one line per size and the memory growth line", () => {
    const district = summarizeSync("district", [run(30_000, 20_000, 5_000, 1_200)]);
    const large = { ...summarizeSync("large", [run(120_000, 80_000, 20_000, 5_000, 230)]), records: 4000 };
    const text = renderSyncTable([district, large], false);
    expect(text).toMatch(/district\s+1\s+1000\s+30\.00/);
    expect(text).toMatch(/large/);
    expect(text).toMatch(/peak RSS large ÷ district: 1\.15/);
  });
});
