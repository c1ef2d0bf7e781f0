// The reads bench's slices (bench/reads-bench.ts): a run served in turns of one second per side is reported as one
// result per side, its req/s and CPU per request over all of the side's requests, not an average of slice figures.
import { describe, expect, it } from "vitest";
import type { LoadResult } from "../../bench/load.js";
import { combineSlices } from "../../bench/reads-bench.js";

const slice = (requests: number, seconds: number, cpuMs: number | null, p99 = 5) => ({
  result: {
    url: "http://127.0.0.1:1/x",
    requestsPerSecond: requests / seconds,
    p50Ms: 1,
    p99Ms: p99,
    totalRequests: requests,
    bytesPerResponse: 100,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    durationSeconds: seconds,
    cpuMsPerRequest: null,
    loadgenCpuMsPerRequest: 0.05,
  } satisfies LoadResult,
  cpuMs,
  dbCpuMs: cpuMs === null ? null : cpuMs / 2,
});

describe("combineSlices", () => {
  it("weighs every request alike: req/s and CPU per request over the whole run", () => {
    // 1000 requests in 1 s, then 3000 in 1 s: 2000 req/s over the run (the slices' own figures average to the same
    // here, but not when the slices' lengths differ, as the next case shows).
    const combined = combineSlices([slice(1000, 1, 200), slice(3000, 1, 400)]);
    expect(combined.requestsPerSecond).toBe(2000);
    expect(combined.totalRequests).toBe(4000);
    expect(combined.durationSeconds).toBe(2);
    expect(combined.cpuMsPerRequest).toBe(0.15);
    expect(combined.dbCpuMsPerRequest).toBe(0.075);
  });

  it("counts a slice's seconds as autocannon measured them, not as asked", () => {
    const combined = combineSlices([slice(1000, 1, 100), slice(1000, 1.5, 100), slice(1000, 0.5, 100)]);
    expect(combined.requestsPerSecond).toBe(1000);
  });

  it("takes the slices' median p99 and reports no CPU when a slice could not read it", () => {
    const combined = combineSlices([slice(10, 1, 1, 4), slice(10, 1, null, 9), slice(10, 1, 1, 5)]);
    expect(combined.p99Ms).toBe(5);
    expect(combined.cpuMsPerRequest).toBeNull();
  });

  it("refuses a run with no slices", () => {
    expect(() => combineSlices([])).toThrow(/no slices/);
  });
});
