// runChecks(options) → Report: a preflight (token, one authorised read) that stops the run with one message when the
// provider cannot be checked at all; then the checks of the chosen profiles one by one, CheckFailure as a finding,
// Blocked as "blocked by <check>", anything else as a loud suite bug; cleanups; root causes and operation coverage.
import { randomUUID } from "node:crypto";
import { ENDPOINTS } from "../oneroster/index.js";
import {
  AREAS,
  type Area,
  Blocked,
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
import { type PreflightFailure, runPreflight } from "./preflight.js";

export interface RunOptions extends ConformanceTarget {
  /** Defaults to the global fetch; tests and embedders inject their own. */
  fetchFn?: FetchFn;
  /** One profile or several (`["rostering", "gradebook"]`); default all. */
  profile?: ProfileChoice | readonly ProfileChoice[];
  lenient?: boolean;
  /** Boolean spelling records must use: `either` (default, v1p1 is ambiguous, notes §2.1), `json` or `string`. */
  booleans?: BooleanSpelling;
  allowWrites?: boolean;
  expiredToken?: string;
  /** Run only these checks: ids (`PAG-003`) or areas (`paging`); still limited to the profile. */
  only?: readonly string[];
  /** Leave out these checks: ids or areas. */
  skip?: readonly string[];
  /** Replace the built-in checks (tests of the runner itself). */
  checks?: readonly Check[];
  /** False to go straight to the checks (tests of the runner itself). Default true. */
  preflight?: boolean;
  runId?: string;
  timeoutMs?: number;
  /** Wall clock for the report's startedAt. */
  now?: () => Date;
  /** Called after each check, for progress output. */
  onResult?: (result: CheckResult) => void;
}

export type CheckStatus = "pass" | "fail" | "skip" | "blocked" | "error";

export interface CheckResult {
  id: string;
  title: string;
  level: Level;
  section: string;
  area: Area;
  profiles: readonly string[];
  status: CheckStatus;
  /** Why it failed, was skipped or blocked, or crashed. */
  message?: string;
  problems?: Problem[];
  notes?: string[];
  /** For a blocked check: the check whose failure keeps this one from judging its rule. */
  blockedBy?: string;
  /** For a passed check: what it could not exercise (it passed only for the rest). */
  partial?: string[];
  durationMs: number;
}

export type Summary = Record<Level, Record<CheckStatus, number>>;

/** One failed check and the checks its failure blocked (directly or through another blocked check). */
export interface RootCause {
  id: string;
  level: Level;
  title: string;
  blocks: string[];
}

/** Which operations of the endpoint table the run exercised (answered 2xx at least once). */
export interface Coverage {
  /** Operations in the table: the 61 of v1p1 plus the one extension. */
  total: number;
  /** Operations of the selected profiles. */
  selected: number;
  exercised: string[];
  /** Operations of the selected profiles never answered 2xx, each with the reason. */
  missed: { operationId: string; reason: string }[];
}

export interface Report {
  suite: "rosterlab-conformance";
  target: { baseUrl: string; tokenUrl: string };
  profile: string;
  lenient: boolean;
  booleans: BooleanSpelling;
  allowWrites: boolean;
  runId: string;
  startedAt: string;
  durationMs: number;
  requestCount: number;
  /** Set when the preflight stopped the run: no check ran. */
  preflightFailure?: PreflightFailure;
  results: CheckResult[];
  summary: Summary;
  /** The failed checks, each with what it blocked: the report leads with these. */
  rootCauses: RootCause[];
  coverage: Coverage;
  /** Cleanups of written objects that failed; empty when the provider was left as found. */
  cleanupFailures: string[];
  /** Remarks about the whole run, such as fallbacks taken at the token endpoint. */
  notes: string[];
}

/** Whether a selector (`PAG-003`, `paging`) names this check. */
function selects(check: Check, selector: string): boolean {
  return check.id === selector || check.area === selector;
}

/** Selectors of --only/--skip that name neither a check id nor an area (the CLI refuses them). */
export function unknownSelectors(selectors: readonly string[], checks: readonly Check[] = ALL_CHECKS): string[] {
  return selectors.filter((s) => !(AREAS as readonly string[]).includes(s) && !checks.some((c) => c.id === s));
}

/** The checks the profiles select, in suite order, narrowed by `only` and `skip` (ids or areas). */
export function selectChecks(
  profile: ProfileChoice | readonly ProfileChoice[],
  checks: readonly Check[] = ALL_CHECKS,
  only?: readonly string[],
  skip?: readonly string[],
): Check[] {
  const profiles = expandProfile(profile);
  return checks.filter(
    (c) =>
      c.profiles.some((p) => profiles.has(p)) &&
      (!only || only.some((s) => selects(c, s))) &&
      !(skip ?? []).some((s) => selects(c, s)),
  );
}

function emptySummary(): Summary {
  const zero = () => ({ pass: 0, fail: 0, skip: 0, blocked: 0, error: 0 });
  return { MUST: zero(), SHOULD: zero(), MAY: zero() };
}

/** Runs one check; CheckFailure is a finding, Blocked a blocked result, anything else a suite bug. */
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
      ...(outcome?.notes?.length ? { notes: outcome.notes } : {}),
      ...(outcome?.partial?.length ? { partial: outcome.partial } : {}),
      durationMs: elapsed(),
    };
  } catch (err) {
    if (err instanceof CheckFailure) {
      return { ...base, status: "fail", message: err.message, problems: err.problems, durationMs: elapsed() };
    }
    if (err instanceof Blocked) {
      const message = `blocked by ${err.by}: ${err.message}`;
      return { ...base, status: "blocked", blockedBy: err.by, message, problems: err.problems, durationMs: elapsed() };
    }
    const message = err instanceof Error ? `suite bug: ${err.stack ?? err.message}` : `suite bug: ${String(err)}`;
    return { ...base, status: "error", message, durationMs: elapsed() };
  }
}

/**
 * A blocked result stands only when its blocker failed (or was blocked, or crashed) in this run: a check blocked by
 * itself, by a check that passed or by one that was not selected is reported as failed with the same problems, so a
 * broken prerequisite is never hidden from the exit code.
 */
function settleBlocked(results: CheckResult[]): void {
  const byId = new Map(results.map((r) => [r.id, r]));
  for (const r of results) {
    if (r.status !== "blocked" || !r.blockedBy) {
      continue;
    }
    const blocker = byId.get(r.blockedBy);
    const problemText = r.message?.replace(/^blocked by [A-Z]+-\d+: /, "") ?? "";
    if (!blocker) {
      r.status = "fail";
      r.message = `${problemText} (a prerequisite owned by ${r.blockedBy}, which was not selected)`;
      delete r.blockedBy;
    } else if (r.blockedBy === r.id || blocker.status === "pass" || blocker.status === "skip") {
      r.status = "fail";
      r.message = problemText;
      delete r.blockedBy;
    }
  }
}

/** The check at the root of a chain of blocks (a check blocked by a blocked check is blocked by the latter's root). */
function rootOf(id: string, byId: Map<string, CheckResult>): string {
  const seen = new Set<string>();
  let current = id;
  for (;;) {
    const next = byId.get(current)?.status === "blocked" ? byId.get(current)?.blockedBy : undefined;
    if (next === undefined || seen.has(current)) {
      return current;
    }
    seen.add(current);
    current = next;
  }
}

function rootCausesOf(results: readonly CheckResult[]): RootCause[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  const order: Record<Level, number> = { MUST: 0, SHOULD: 1, MAY: 2 };
  return results
    .filter((r) => r.status === "fail" || r.status === "error")
    .map((r) => ({
      id: r.id,
      level: r.level,
      title: r.title,
      blocks: results.filter((b) => b.status === "blocked" && rootOf(b.id, byId) === r.id).map((b) => b.id),
    }))
    .sort((a, b) => order[a.level] - order[b.level] || b.blocks.length - a.blocks.length);
}

function coverageOf(ctx: CheckContext): Coverage {
  // The one extension (notes §1.3 notes) belongs to the gradebook profile, where END-007 (MAY) calls it.
  const selected = new Set(
    [...ctx.endpoints(), ...ENDPOINTS.filter((e) => e.extension && ctx.profiles.has("gradebook"))].map(
      (e) => e.operationId,
    ),
  );
  const missed: Coverage["missed"] = [];
  for (const e of ENDPOINTS) {
    if (!selected.has(e.operationId) || ctx.exercised.has(e.operationId)) {
      continue;
    }
    const status = ctx.called.get(e.operationId);
    const reason =
      ctx.notCallable.get(e.operationId) ??
      (status !== undefined
        ? `called, but never answered 2xx (last answer ${status})`
        : (e.kind === "put" || e.kind === "delete") && !ctx.allowWrites
          ? "a write: run with --allow-writes"
          : "not called by the selected checks");
    missed.push({
      operationId: e.operationId,
      reason: e.extension ? `${reason} (an extension, not one of the 61)` : reason,
    });
  }
  return {
    total: ENDPOINTS.length,
    selected: selected.size,
    exercised: ENDPOINTS.filter((e) => ctx.exercised.has(e.operationId)).map((e) => e.operationId),
    missed,
  };
}

function summarise(results: readonly CheckResult[]): Summary {
  const summary = emptySummary();
  for (const r of results) {
    summary[r.level][r.status]++;
  }
  return summary;
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
  let cleanupFailures: string[] = [];
  const preflightFailure = options.preflight === false ? undefined : await runPreflight(ctx);
  if (!preflightFailure) {
    try {
      for (const check of selectChecks(profile, options.checks ?? ALL_CHECKS, options.only, options.skip)) {
        const result = await runOne(check, ctx);
        results.push(result);
        options.onResult?.(result);
      }
    } finally {
      cleanupFailures = await ctx.runCleanups();
    }
    settleBlocked(results);
  }
  return {
    suite: "rosterlab-conformance",
    target: { baseUrl: ctx.baseUrl, tokenUrl: options.tokenUrl },
    profile: typeof profile === "string" ? profile : profile.join(","),
    lenient: ctx.lenient,
    booleans: ctx.options.booleans,
    allowWrites: ctx.allowWrites,
    runId,
    startedAt,
    durationMs: Math.round(performance.now() - started),
    requestCount: ctx.requestCount,
    ...(preflightFailure ? { preflightFailure } : {}),
    results,
    summary: summarise(results),
    rootCauses: rootCausesOf(results),
    coverage: coverageOf(ctx),
    cleanupFailures,
    notes: [...new Set(ctx.notes)],
  };
}

/** The levels whose failure sets exit code 1 under `--fail-on`. */
export function failingLevels(failOn: "must" | "should" = "must"): Level[] {
  return failOn === "should" ? ["MUST", "SHOULD"] : ["MUST"];
}

/**
 * Exit code: 3 when the preflight stopped the run, 2 on a suite bug, 1 on a failure at or above the threshold level
 * (a check blocked by such a failure adds nothing: its root cause already counts), else 0.
 */
export function exitCodeFor(report: Report, failOn: "must" | "should" = "must"): number {
  if (report.preflightFailure) {
    return 3;
  }
  if (report.results.some((r) => r.status === "error")) {
    return 2;
  }
  const levels = failingLevels(failOn);
  return report.results.some((r) => r.status === "fail" && levels.includes(r.level)) ? 1 : 0;
}

/** Ids of the checks that failed, for tests and summaries. */
export function failedIds(report: Report, level?: Level): string[] {
  return report.results.filter((r) => r.status === "fail" && (!level || r.level === level)).map((r) => r.id);
}

/** Ids of the checks blocked by a prerequisite, as `ID<BLOCKER`, for tests and summaries. */
export function blockedIds(report: Report): string[] {
  return report.results.filter((r) => r.status === "blocked").map((r) => `${r.id}<${r.blockedBy ?? "?"}`);
}
