// The bench's arithmetic and safety rails: medians, ratios against the ceiling, targets, and refusing to load
// anything but loopback (the workplace rule: load only 127.0.0.0/8).
import { describe, expect, it } from "vitest";
import { assertLoopback, LoadError, type LoadResult } from "../../bench/load.js";
import { type FigureRuns, median, renderTable, summarize } from "../../bench/report.js";

const run = (rps: number, p99 = 5): LoadResult => ({
  url: "http://127.0.0.1:1/x",
  requestsPerSecond: rps,
  p50Ms: 1,
  p99Ms: p99,
  totalRequests: rps * 5,
  bytesPerResponse: 100,
  non2xx: 0,
  errors: 0,
  timeouts: 0,
  durationSeconds: 5,
  cpuMsPerRequest: null,
  loadgenCpuMsPerRequest: 0.1,
});

describe("bench report", () => {
  it("takes the median of odd and even counts", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("reports the ratio of median provider req/s to median ceiling req/s, and whether it meets the target", () => {
    const runs: FigureRuns = {
      backend: "postgres",
      figure: "users?limit=100",
      request: "/users?limit=100",
      responseBytes: 1000,
      records: 100,
      totalCount: 5000,
      target: 0.5,
      provider: [run(400), run(600), run(500)],
      ceiling: [run(1000), run(900), run(1100)],
    };
    const s = summarize(runs);
    expect(s.requestsPerSecond).toBe(500);
    expect(s.ceilingRequestsPerSecond).toBe(1000);
    expect(s.ratio).toBe(0.5);
    expect(s.meetsTarget).toBe(true);
    expect(s.perRunRatios).toEqual([0.4, 0.667, 0.455]);
    expect(summarize({ ...runs, provider: [run(100)], ceiling: [run(1000)] }).meetsTarget).toBe(false);
    expect(renderTable([s], false)).toMatch(/users\?limit=100.*0\.5/);
  });

  it("refuses to load anything but loopback", () => {
    expect(() => assertLoopback("http://127.0.0.1:8080/x")).not.toThrow();
    expect(() => assertLoopback("http://[::1]:8080/x")).not.toThrow();
    for (const url of ["http://10.0.0.1/x", "http://192.168.1.2/x", "http://example.com/x"]) {
      expect(() => assertLoopback(url)).toThrow(LoadError);
    }
  });
});
