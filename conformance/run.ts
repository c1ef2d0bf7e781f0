// runChecks(options) → Report: selects the checks of the chosen profile, runs them one by one against the
// provider, turns CheckFailure into findings and any other exception into a loud suite-bug result, then cleans up.
import { randomUUID } from "node:crypto";
import {
  type Area,
  type Check,
  CheckFailure,
  expandProfile,
  type Level,
  levelOf,
  type Problem,
  type ProfileChoice,
} from "./check.js";
import { ALL_CHECKS } from "./checks/index.js";
import { type BooleanSpelling, CheckContext, type ConformanceTarget, type FetchFn } from "./context.js";

export interface RunOptions extends ConformanceTarget {
  /** Defaults to the global fetch; tests and embedders inject their own. */
  fetchFn?: FetchFn;
  profile?: ProfileChoice;
  lenient?: boolean;
  /** Boolean spelling records must use: `either` (default, v1p1 is ambiguous, notes §2.1), `json` or `string`. */
  booleans?: BooleanSpelling;
  allowWrites?: boolean;
  expiredToken?: string;
  /** Run only these check ids (still limited to the profile). */
  only?: readonly string[];
  /** Replace the built-in checks (tests of the runner itself). */
  checks?: readonly Check[];
  runId?: string;
  timeoutMs?: number;
  /** Wall clock for the report's startedAt. */
  now?: () => Date;
  /** Called after each check, for progress output. */
  onResult?: (result: CheckResult) => void;
}

export type CheckStatus = "pass" | "fail" | "skip" | "error";

export interface CheckResult {
  id: string;
  title: string;
  level: Level;
  section: string;
  area: Area;
  profiles: readonly string[];
  status: CheckStatus;
  /** Why it failed, was skipped, or crashed. */
  message?: string;
  problems?: Problem[];
  notes?: string[];
  durationMs: number;
}

export type Summary = Record<Level, Record<CheckStatus, number>>;

export interface Report {
  suite: "rosterlab-conformance";
  target: { baseUrl: string; tokenUrl: string };
  profile: ProfileChoice;
  lenient: boolean;
  booleans: BooleanSpelling;
  allowWrites: boolean;
  runId: string;
  startedAt: string;
  durationMs: number;
  requestCount: number;
  results: CheckResult[];
  summary: Summary;
  /** Cleanups of written objects that failed; empty when the provider was left as found. */
  cleanupFailures: string[];
  /** Remarks about the whole run, such as fallbacks taken at the token endpoint. */
  notes: string[];
}

/** The checks a profile selects, in suite order. */
export function selectChecks(
  profile: ProfileChoice,
  checks: readonly Check[] = ALL_CHECKS,
  only?: readonly string[],
): Check[] {
  const profiles = expandProfile(profile);
  return checks.filter((c) => c.profiles.some((p) => profiles.has(p)) && (!only || only.includes(c.id)));
}

function emptySummary(): Summary {
  const zero = () => ({ pass: 0, fail: 0, skip: 0, error: 0 });
  return { MUST: zero(), SHOULD: zero(), MAY: zero() };
}

/** Runs one check; only CheckFailure is a finding, anything else is reported as a suite bug. */
async function runOne(check: Check, ctx: CheckContext): Promise<CheckResult> {
  const base = {
    id: check.id,
    title: check.title,
    level: levelOf(check),
    section: check.section,
    area: check.area,
    profiles: check.profiles,
  };
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  if (check.writes && !ctx.allowWrites) {
    return { ...base, status: "skip", message: "writes to the provider; run with --allow-writes", durationMs: 0 };
  }
  try {
    const outcome = await check.run(ctx);
    if (outcome && "skip" in outcome) {
      return { ...base, status: "skip", message: outcome.skip, durationMs: elapsed() };
    }
    return {
      ...base,
      status: "pass",
      ...(outcome && "notes" in outcome ? { notes: outcome.notes } : {}),
      durationMs: elapsed(),
    };
  } catch (err) {
    if (err instanceof CheckFailure) {
      return { ...base, status: "fail", message: err.message, problems: err.problems, durationMs: elapsed() };
    }
    const message = err instanceof Error ? `suite bug: ${err.stack ?? err.message}` : `suite bug: ${String(err)}`;
    return { ...base, status: "error", message, durationMs: elapsed() };
  }
}

/** Runs the suite against one provider and returns the report. Never throws for provider behaviour. */
export async function runChecks(options: RunOptions): Promise<Report> {
  const profile = options.profile ?? "all";
  const now = options.now ?? (() => new Date());
  const runId = options.runId ?? `rlconf-${randomUUID().slice(0, 8)}`;
  const ctx = new CheckContext({
    baseUrl: options.baseUrl,
    tokenUrl: options.tokenUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    ...(options.scope ? { scope: options.scope } : {}),
    fetchFn: options.fetchFn ?? ((input, init) => fetch(input, init)),
    profiles: expandProfile(profile),
    lenient: options.lenient ?? false,
    booleans: options.booleans ?? "either",
    allowWrites: options.allowWrites ?? false,
    ...(options.expiredToken ? { expiredToken: options.expiredToken } : {}),
    runId,
    timeoutMs: options.timeoutMs ?? 30000,
  });
  const startedAt = now().toISOString();
  const started = performance.now();
  const results: CheckResult[] = [];
  const summary = emptySummary();
  let cleanupFailures: string[] = [];
  try {
    for (const check of selectChecks(profile, options.checks ?? ALL_CHECKS, options.only)) {
      const result = await runOne(check, ctx);
      results.push(result);
      summary[result.level][result.status]++;
      options.onResult?.(result);
    }
  } finally {
    cleanupFailures = await ctx.runCleanups();
  }
  return {
    suite: "rosterlab-conformance",
    target: { baseUrl: ctx.baseUrl, tokenUrl: options.tokenUrl },
    profile,
    lenient: ctx.lenient,
    booleans: ctx.options.booleans,
    allowWrites: ctx.allowWrites,
    runId,
    startedAt,
    durationMs: Math.round(performance.now() - started),
    requestCount: ctx.requestCount,
    results,
    summary,
    cleanupFailures,
    notes: [...new Set(ctx.notes)],
  };
}

/** Exit code: 2 on a suite bug, 1 on a failure at or above the threshold level, else 0. */
export function exitCodeFor(report: Report, failOn: "must" | "should" = "must"): number {
  if (report.results.some((r) => r.status === "error")) {
    return 2;
  }
  const levels: Level[] = failOn === "should" ? ["MUST", "SHOULD"] : ["MUST"];
  return report.results.some((r) => r.status === "fail" && levels.includes(r.level)) ? 1 : 0;
}

/** Ids of the checks that failed, for tests and summaries. */
export function failedIds(report: Report, level?: Level): string[] {
  return report.results.filter((r) => r.status === "fail" && (!level || r.level === level)).map((r) => r.id);
}
