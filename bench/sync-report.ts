// The sync figure's arithmetic (issue 7, item 11): per size, median full sync against the median ceiling (fetch
// every page + raw COPY of the same rows), median delta after a 1 % churn as a share of the median full sync, peak
// RSS, and whether memory stays flat from the smallest size to the largest. Pure: no I/O beyond returned strings.
import pc from "picocolors";
import { median } from "./report.js";

/** Targets of issue 7, item 11. */
export const SYNC_TARGETS = {
  /** full sync ÷ ceiling, at most. */
  fullOverCeiling: 2,
  /** delta after a 1 % churn ÷ full sync, at most. */
  deltaOverFull: 0.05,
  /**
   * "Peak memory flat from district to large": the largest size's peak RSS over the smallest's, at most. large holds
   * four times the records of district; memory that grows with the data would show as ~2× or more.
   */
  rssGrowth: 1.25,
} as const;

/** One measured job (a child process): wall time of the measured part and the process's peak RSS. */
export interface JobFigure {
  ms: number;
  peakRssMb: number;
  records: number;
}

/** One run of the sync figure on one size. */
export interface SyncRun {
  full: JobFigure;
  fetch: JobFigure;
  copy: JobFigure;
  delta: JobFigure;
  /** The churn before the delta: the rate asked of the clock and the share of users + enrollments it touched. */
  churn: { rate: number; touched: number; of: number };
}

export interface SyncFigure {
  size: string;
  runs: number;
  /** Records read by a full sync (all six collections) and rows the COPY ceiling wrote. */
  records: number;
  rows: number;
  fullS: number;
  fetchS: number;
  copyS: number;
  /** Median over runs of (fetch + copy) of the same run. */
  ceilingS: number;
  /** median full ÷ median ceiling. */
  ratio: number;
  perRunRatios: number[];
  deltaS: number;
  /** median delta ÷ median full. */
  deltaShare: number;
  perRunDeltaShares: number[];
  /** Median share of users + enrollments the churn touched. */
  churnShare: number;
  deltaRecords: number;
  /** Median peak RSS of the full sync's process, and of the delta's. */
  peakRssMb: number;
  deltaPeakRssMb: number;
  meetsRatio: boolean;
  meetsDelta: boolean;
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

/** Medians and ratios of one size's runs. Throws on no runs (a figure without a measurement is a bench bug). */
export function summarizeSync(size: string, runs: readonly SyncRun[]): SyncFigure {
  if (runs.length === 0) {
    throw new Error(`no sync runs for ${size}`);
  }
  const full = median(runs.map((r) => r.full.ms)) / 1000;
  const ceiling = median(runs.map((r) => r.fetch.ms + r.copy.ms)) / 1000;
  const delta = median(runs.map((r) => r.delta.ms)) / 1000;
  const ratio = full / ceiling;
  const deltaShare = delta / full;
  return {
    size,
    runs: runs.length,
    records: median(runs.map((r) => r.full.records)),
    rows: median(runs.map((r) => r.copy.records)),
    fullS: round(full, 2),
    fetchS: round(median(runs.map((r) => r.fetch.ms)) / 1000, 2),
    copyS: round(median(runs.map((r) => r.copy.ms)) / 1000, 2),
    ceilingS: round(ceiling, 2),
    ratio: round(ratio, 3),
    perRunRatios: runs.map((r) => round(r.full.ms / (r.fetch.ms + r.copy.ms), 3)),
    deltaS: round(delta, 2),
    deltaShare: round(deltaShare, 4),
    perRunDeltaShares: runs.map((r) => round(r.delta.ms / r.full.ms, 4)),
    churnShare: round(median(runs.map((r) => (r.churn.of > 0 ? r.churn.touched / r.churn.of : 0))), 4),
    deltaRecords: median(runs.map((r) => r.delta.records)),
    peakRssMb: median(runs.map((r) => r.full.peakRssMb)),
    deltaPeakRssMb: median(runs.map((r) => r.delta.peakRssMb)),
    meetsRatio: ratio <= SYNC_TARGETS.fullOverCeiling,
    meetsDelta: deltaShare <= SYNC_TARGETS.deltaOverFull,
  };
}

export interface MemoryGrowth {
  from: string;
  to: string;
  /** Peak RSS of the full sync at `to` ÷ at `from`. */
  ratio: number;
  flat: boolean;
}

/** Peak RSS growth from the size with the fewest records to the one with the most; undefined with one size. */
export function memoryGrowth(figures: readonly SyncFigure[]): MemoryGrowth | undefined {
  if (figures.length < 2) {
    return undefined;
  }
  const sorted = [...figures].sort((a, b) => a.records - b.records);
  const small = sorted[0] as SyncFigure;
  const big = sorted.at(-1) as SyncFigure;
  const ratio = big.peakRssMb / small.peakRssMb;
  return { from: small.size, to: big.size, ratio: round(ratio, 2), flat: ratio <= SYNC_TARGETS.rssGrowth };
}

/**
 * A churn rate for the next advance that should touch `target` of the records, from what `rate` touched last
 * time. The clock's events scale with the rate, so one proportional step converges; bounded to the clock's [0, 1].
 */
export function nextChurnRate(rate: number, touchedShare: number, target: number): number {
  if (!(touchedShare > 0) || !(rate > 0)) {
    return rate;
  }
  return Math.min(1, Math.max(1e-6, round((rate * target) / touchedShare, 6)));
}

function pad(text: string, width: number, right: boolean): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** One line per size; a figure that misses a target is red when colour is on. */
export function renderSyncTable(rows: readonly SyncFigure[], colour = pc.isColorSupported): string {
  const header = [
    "size",
    "runs",
    "records",
    "full s",
    "fetch s",
    "copy s",
    "ceiling s",
    "full/ceiling",
    "churn %",
    "delta s",
    "delta/full",
    "peak RSS MB",
    "delta RSS MB",
  ];
  const cells = rows.map((r) => [
    r.size,
    String(r.runs),
    String(r.records),
    r.fullS.toFixed(2),
    r.fetchS.toFixed(2),
    r.copyS.toFixed(2),
    r.ceilingS.toFixed(2),
    `${r.ratio.toFixed(2)} (<= ${SYNC_TARGETS.fullOverCeiling})`,
    (r.churnShare * 100).toFixed(2),
    r.deltaS.toFixed(2),
    `${(r.deltaShare * 100).toFixed(1)}% (<= ${SYNC_TARGETS.deltaOverFull * 100}%)`,
    String(r.peakRssMb),
    String(r.deltaPeakRssMb),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  const line = (c: string[]) => c.map((v, i) => pad(v, widths[i] ?? 0, i >= 1)).join("  ");
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  ")];
  rows.forEach((r, idx) => {
    const text = line(cells[idx] ?? []);
    out.push(colour ? (r.meetsRatio && r.meetsDelta ? pc.green(text) : pc.red(text)) : text);
  });
  const growth = memoryGrowth(rows);
  if (growth) {
    const text = `peak RSS ${growth.to} ÷ ${growth.from}: ${growth.ratio.toFixed(2)} (flat means <= ${SYNC_TARGETS.rssGrowth})`;
    out.push(colour ? (growth.flat ? pc.green(text) : pc.red(text)) : text);
  }
  return out.join("\n");
}
