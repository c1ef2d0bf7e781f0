// Response assertions for checks. Each throws CheckFailure carrying the exchange and the part of the response
// that proves the problem; `eachOf` runs an assertion per item and bundles every problem into one failure. The
// strict envelope readers serve END-003; every other check reads records wherever the provider put them.
import { findRecord, findRecords } from "../oneroster/client/index.js";
import { type Endpoint, readStatusInfo } from "../oneroster/index.js";
import { Blocked, CheckFailure, type Problem } from "./check.js";
import type { CheckContext, HttpResult } from "./context.js";

/** Throws a finding. */
export function fail(message: string, res?: HttpResult, proof?: unknown): never {
  throw new CheckFailure({
    message,
    ...(res ? { exchange: res.exchange } : {}),
    ...(proof !== undefined ? { proof } : {}),
  });
}

/** Asserts a condition; the message says what was expected. */
export function ensure(condition: unknown, message: string, res?: HttpResult, proof?: unknown): asserts condition {
  if (!condition) {
    fail(message, res, proof);
  }
}

/**
 * Runs `fn` for every item; collects every CheckFailure and throws them together. An item that is Blocked does not
 * hide the others: the check's own findings win, and only when there are none is the first Blocked re-thrown.
 * Other errors propagate.
 */
export async function eachOf<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  const problems: Problem[] = [];
  let blocked: Blocked | undefined;
  for (const item of items) {
    try {
      await fn(item);
    } catch (err) {
      if (err instanceof CheckFailure) {
        problems.push(...err.problems);
      } else if (err instanceof Blocked) {
        blocked ??= err;
      } else {
        throw err;
      }
    }
  }
  if (problems.length > 0) {
    throw new CheckFailure(problems);
  }
  if (blocked) {
    throw blocked;
  }
}

/** Asserts the HTTP status is one of `expected`. */
export function expectStatus(res: HttpResult, expected: number | readonly number[], what: string): void {
  const list = typeof expected === "number" ? [expected] : expected;
  if (!list.includes(res.status)) {
    fail(`${what}: expected HTTP ${list.join(" or ")}, got ${res.status}`, res, { status: res.status });
  }
}

/** Asserts a JSON object body with an application/json content type; returns it. */
export function expectJsonObject(res: HttpResult, what: string): Record<string, unknown> {
  const type = res.headers.get("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    fail(`${what}: expected Content-Type application/json, got "${type}"`, res, { "content-type": type });
  }
  if (!res.json || typeof res.json !== "object" || Array.isArray(res.json)) {
    fail(`${what}: expected a JSON object body`, res);
  }
  return res.json as Record<string, unknown>;
}

/** Asserts a collection answer `{<key>: [...]}` and returns its records (notes §2.12). */
export function expectCollection(res: HttpResult, envelope: string, what: string): Record<string, unknown>[] {
  expectStatus(res, 200, what);
  const body = expectJsonObject(res, what);
  const records = body[envelope];
  if (!Array.isArray(records)) {
    fail(
      `${what}: expected an array under the envelope key "${envelope}", found keys [${Object.keys(body).join(", ")}]`,
      res,
      { keys: Object.keys(body) },
    );
  }
  const bad = records.findIndex((r) => !r || typeof r !== "object" || Array.isArray(r));
  if (bad >= 0) {
    fail(`${what}: record ${bad} under "${envelope}" is not an object`, res, { record: records[bad] });
  }
  return records as Record<string, unknown>[];
}

/** Asserts a single-object answer `{<key>: {...}}` and returns the record (notes §2.12). */
export function expectSingle(res: HttpResult, envelope: string, what: string): Record<string, unknown> {
  expectStatus(res, 200, what);
  const body = expectJsonObject(res, what);
  const record = body[envelope];
  if (!record || typeof record !== "object" || Array.isArray(record)) {
    fail(
      `${what}: expected an object under the envelope key "${envelope}", found keys [${Object.keys(body).join(", ")}]`,
      res,
      { keys: Object.keys(body) },
    );
  }
  return record as Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/**
 * Records of a collection answer, for checks whose concern is not the envelope: found under whatever key the provider
 * used (the key is END-003's concern, reported once there). A status other than 200 is the calling check's own
 * finding; an answer with no records array at all blocks on END-003.
 */
export function recordsOf(res: HttpResult, endpoint: Endpoint, what = `${endpoint.operationId} ${res.url}`) {
  expectStatus(res, 200, what);
  const found = findRecords(res.json, endpoint.envelope);
  if (!found) {
    throw new Blocked("END-003", { message: `${what}: the answer holds no records array`, exchange: res.exchange });
  }
  return found.records.filter(isRecord);
}

/** The record of a single-object answer under whatever key the provider used (see recordsOf). */
export function recordOf(res: HttpResult, envelope: string, what: string): Record<string, unknown> {
  expectStatus(res, 200, what);
  const found = findRecord(res.json, envelope);
  if (!found) {
    throw new Blocked("END-003", { message: `${what}: the answer holds no record object`, exchange: res.exchange });
  }
  return found.record;
}

/** Compact codeMinor tokens a strict reading accepts, keyed by the lenient (normalised) token (notes §5.3). */
const STRICT_TOKENS: Record<string, string[]> = {
  unknownobject: ["unknownobject"],
  invaliddata: ["invaliddata"],
  unauthorisedrequest: ["unauthorisedrequest"],
  forbidden: ["forbidden"],
  invalidfilterfield: ["invalid_filter_field"],
  invalidselectionfield: ["invalid_selection_field"],
  invalidblankselectionfield: ["invalid_blank_selection_field"],
  invalidsortfield: ["invalid_sort_field"],
};

/** 1.1 prose spellings and synonyms accepted with --lenient, normalised (notes §5.3). */
const LENIENT_SYNONYMS: Record<string, string[]> = {
  unauthorisedrequest: ["unauthorisedrequest", "unauthorizedrequest", "unauthorized", "unauthorised"],
  invaliddata: ["invaliddata", "invalidfilterfield"],
};

/**
 * Asserts the body is a OneRoster status payload (notes §5.2) whose entry matches `codeMajor`, `severity` and
 * one of `codeMinors` (given as compact tokens, e.g. `unknownobject`). Strict: the `statusInfoSet` wrapper with
 * `imsx_` keys and compact tokens. Lenient: any of the three shapes and the 1.1 prose spellings.
 */
export function expectStatusPayload(
  ctx: CheckContext,
  res: HttpResult,
  want: { codeMajor: "failure" | "success"; severity: "error" | "warning"; codeMinors: readonly string[] },
  what: string,
): void {
  const norm = (s: string) => s.toLowerCase().replace(/[\s_]/g, "");
  const entries = readStatusInfo(res.json);
  if (entries.length === 0) {
    fail(`${what}: expected a status payload (statusInfoSet with imsx_codeMajor, imsx_severity, imsx_codeMinor)`, res);
  }
  if (!ctx.lenient) {
    const set = (res.json as { statusInfoSet?: unknown }).statusInfoSet;
    const raw = Array.isArray(set) ? (set as Record<string, unknown>[]) : [];
    const ok = raw.some(
      (e) =>
        e.imsx_codeMajor === want.codeMajor &&
        e.imsx_severity === want.severity &&
        typeof e.imsx_codeMinor === "string" &&
        want.codeMinors.some((m) => (STRICT_TOKENS[norm(m)] ?? [m]).includes(e.imsx_codeMinor as string)),
    );
    if (!ok) {
      fail(
        `${what}: expected statusInfoSet[] with imsx_codeMajor=${want.codeMajor}, imsx_severity=${want.severity}, imsx_codeMinor ${want.codeMinors.join(" or ")} (--lenient accepts other spellings and shapes)`,
        res,
        { statusInfoSet: set ?? null },
      );
    }
    return;
  }
  const accepted = new Set(want.codeMinors.flatMap((m) => LENIENT_SYNONYMS[norm(m)] ?? [norm(m)]));
  const ok = entries.some(
    (e) =>
      e.codeMajor === want.codeMajor &&
      (e.severity === undefined || e.severity === want.severity) &&
      e.codeMinor !== undefined &&
      accepted.has(e.codeMinor),
  );
  if (!ok) {
    fail(`${what}: expected a status entry ${want.codeMajor}/${want.severity}/${want.codeMinors.join(" or ")}`, res, {
      statusInfo: entries,
    });
  }
}

/** Asserts the status payload of an error answer: codeMajor failure, severity error, codeMinor `codeMinor` (§5.2). */
export function expectErrorPayload(ctx: CheckContext, res: HttpResult, codeMinor: string, what: string): void {
  expectStatusPayload(ctx, res, { codeMajor: "failure", severity: "error", codeMinors: [codeMinor] }, what);
}

/** Asserts the status payload of a warning: codeMajor success, severity warning, codeMinor `codeMinor` (§5.2). */
export function expectWarningPayload(ctx: CheckContext, res: HttpResult, codeMinor: string, what: string): void {
  expectStatusPayload(ctx, res, { codeMajor: "success", severity: "warning", codeMinors: [codeMinor] }, what);
}
