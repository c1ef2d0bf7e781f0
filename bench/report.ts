// Turns repeated provider/ceiling load runs into medians and ratios, and renders them as a table or JSON.
// Pure: no I/O beyond the strings it returns.
import pc from "picocolors";
import type { LoadResult } from "./load.js";

export interface FigureRuns {
  backend: "pglite" | "postgres";
  figure: string;
  /** Path and query as sent, relative to the OneRoster base URL. */
  request: string;
  responseBytes: number;
  /** Records in the measured page and X-Total-Count of the query. */
  records: number;
  totalCount: number | null;
  /** Ratio the issue sets as the target for this figure, if any. */
  target?: number;
  provider: LoadResult[];
  ceiling: LoadResult[];
}

export interface FigureSummary {
  backend: "pglite" | "postgres";
  figure: string;
  request: string;
  responseBytes: number;
  records: number;
  totalCount: number | null;
  runs: number;
  requestsPerSecond: number;
  p99Ms: number;
  ceilingRequestsPerSecond: number;
  ceilingP99Ms: number;
  /** Median CPU the serving process spent per request (Linux), provider and ceiling. */
  cpuMsPerRequest: number | null;
  ceilingCpuMsPerRequest: number | null;
  /** Median share of one core the load generator used while loading the ceiling (near 1: the ceiling is autocannon-bound). */
  ceilingLoadgenCoreShare: number;
  /** median provider req/s ÷ median ceiling req/s. */
  ratio: number;
  perRunRatios: number[];
  target: number | null;
  meetsTarget: boolean | null;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) {
    return Number.NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function medianOrNull(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === values.length && known.length > 0 ? Number(median(known).toFixed(3)) : null;
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

export function summarize(runs: FigureRuns): FigureSummary {
  const reqs = median(runs.provider.map((r) => r.requestsPerSecond));
  const ceiling = median(runs.ceiling.map((r) => r.requestsPerSecond));
  const ratio = ceiling > 0 ? reqs / ceiling : 0;
  return {
    backend: runs.backend,
    figure: runs.figure,
    request: runs.request,
    responseBytes: runs.responseBytes,
    records: runs.records,
    totalCount: runs.totalCount,
    runs: runs.provider.length,
    requestsPerSecond: round(reqs, 1),
    p99Ms: median(runs.provider.map((r) => r.p99Ms)),
    ceilingRequestsPerSecond: round(ceiling, 1),
    ceilingP99Ms: median(runs.ceiling.map((r) => r.p99Ms)),
    cpuMsPerRequest: medianOrNull(runs.provider.map((r) => r.cpuMsPerRequest)),
    ceilingCpuMsPerRequest: medianOrNull(runs.ceiling.map((r) => r.cpuMsPerRequest)),
    ceilingLoadgenCoreShare: round(
      median(runs.ceiling.map((r) => (r.loadgenCpuMsPerRequest * r.totalRequests) / 1000 / r.durationSeconds)),
      2,
    ),
    ratio: round(ratio, 3),
    perRunRatios: runs.provider.map((p, i) => {
      const c = runs.ceiling[i]?.requestsPerSecond ?? 0;
      return c > 0 ? round(p.requestsPerSecond / c, 3) : 0;
    }),
    target: runs.target ?? null,
    meetsTarget: runs.target === undefined ? null : ratio >= runs.target,
  };
}

function pad(text: string, width: number, right: boolean): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** A fixed-width table: one line per figure, ratio coloured against its target when colour is on. */
export function renderTable(rows: readonly FigureSummary[], colour = pc.isColorSupported): string {
  const header = [
    "backend",
    "figure",
    "req/s",
    "p99 ms",
    "cpu ms/req",
    "ceiling req/s",
    "ceiling p99",
    "ceiling cpu",
    "ratio",
    "target",
    "bytes",
  ];
  const cells = rows.map((r) => [
    r.backend,
    r.figure,
    r.requestsPerSecond.toFixed(0),
    r.p99Ms.toFixed(0),
    r.cpuMsPerRequest === null ? "?" : r.cpuMsPerRequest.toFixed(2),
    r.ceilingRequestsPerSecond.toFixed(0),
    r.ceilingP99Ms.toFixed(0),
    r.ceilingCpuMsPerRequest === null ? "?" : r.ceilingCpuMsPerRequest.toFixed(2),
    r.ratio.toFixed(3),
    r.target === null ? "" : `>= ${r.target}`,
    String(r.responseBytes),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  const targetColumn = header.indexOf("target");
  const numeric = (i: number) => i >= 2 && i !== targetColumn;
  const line = (c: string[]) => c.map((v, i) => pad(v, widths[i] ?? 0, numeric(i))).join("  ");
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  ")];
  rows.forEach((r, idx) => {
    let text = line(cells[idx] ?? []);
    if (colour && r.meetsTarget !== null) {
      text = r.meetsTarget ? pc.green(text) : pc.red(text);
    }
    out.push(text);
  });
  return out.join("\n");
}
