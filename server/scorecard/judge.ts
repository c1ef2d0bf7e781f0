// The consumer scorecard: verdicts on what one client did, read from its request log rows (and, for tombstones, from
// how many deletions its delta reads covered). Each verdict carries the requests that show it. Pure but for the
// injected deletion count, so it is tested on real logs of real consumers and on hand-made rows alike.
import { ENDPOINTS, type Endpoint, parseFilter } from "../../oneroster/index.js";
import type { RequestLogRow } from "../request-log/writer.js";

export type VerdictOutcome = "pass" | "fail" | "not-applicable";

export interface Evidence {
  id: number;
  at: string;
  method: string;
  path: string;
  query: string | null;
  status: number;
  note?: string;
}

export interface Verdict {
  /** Stable, never reused: CON-001… */
  id: string;
  /** Starts with MUST or SHOULD. */
  title: string;
  /** Where the rule comes from (notes § or RFC). */
  section: string;
  outcome: VerdictOutcome;
  summary: string;
  evidence: Evidence[];
}

export interface Scorecard {
  clientId: string;
  since: string | null;
  until: string | null;
  requests: number;
  verdicts: Verdict[];
  summary: Record<VerdictOutcome, number>;
}

export interface JudgeOptions {
  /** The provider's page-size cap (a larger limit yields this many records). */
  limitCap: number;
  /** Tombstones of an endpoint's records modified in (since, until]; for CON-008. */
  countDeletions(endpoint: Endpoint, since: Date, until: Date): Promise<number>;
}

/** A page size below this, on a walk of more than MANY_PAGES pages, is wasteful. */
export const SMALL_PAGE = 100;
export const MANY_PAGES = 20;
/** More requests in flight at once than this is unkind to a provider. */
export const MAX_CONCURRENCY = 8;
/** After a 429 without Retry-After, a client waits at least this long. */
export const MIN_BACKOFF_MS = 250;
/**
 * Time a client is given to read a 429 or 401 before its other requests count as ignoring it. Log times are when the
 * provider's handler started, which lags behind the client on a busy machine; a request of another walk already on
 * its way could not know. A refused request sent again is judged without this allowance.
 */
export const REACTION_MS = 1000;
/** Evidence rows kept per verdict (the count is in the summary). */
const MAX_EVIDENCE = 12;

const BY_OPERATION = new Map(ENDPOINTS.map((e) => [e.operationId, e]));

function evidence(row: RequestLogRow, note?: string): Evidence {
  return {
    id: row.id,
    at: row.at.toISOString(),
    method: row.method,
    path: row.path,
    query: row.query,
    status: row.status,
    ...(note ? { note } : {}),
  };
}

function params(row: RequestLogRow): URLSearchParams {
  return new URLSearchParams(row.query ?? "");
}

/** The same method, path and query: a request sent again. */
const sameRequest = (a: RequestLogRow, b: RequestLogRow) =>
  a.method === b.method && a.path === b.path && a.query === b.query;

const endOf = (row: RequestLogRow) => row.at.getTime() + row.durationMs;

interface Walk {
  key: string;
  path: string;
  endpoint: Endpoint;
  filter: string | undefined;
  rows: RequestLogRow[];
}

/** A delta filter's lower bound (`dateLastModified>'T'` or `>=`), if the filter has one. */
export function deltaSince(filter: string | undefined): Date | undefined {
  if (!filter) {
    return undefined;
  }
  try {
    const expr = parseFilter(filter);
    for (const p of expr.predicates) {
      if (p.field === "dateLastModified" && (p.operator === ">" || p.operator === ">=")) {
        const at = new Date(p.value);
        return Number.isNaN(at.getTime()) ? undefined : at;
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** True when a filter keeps tombstones out (`status='active'` or `status!='tobedeleted'`). */
function hidesTombstones(filter: string | undefined): boolean {
  if (!filter) {
    return false;
  }
  try {
    const expr = parseFilter(filter);
    return (
      expr.logical !== "OR" &&
      expr.predicates.some(
        (p) =>
          p.field === "status" &&
          ((p.operator === "=" && p.value === "active") || (p.operator === "!=" && p.value === "tobedeleted")),
      )
    );
  } catch {
    return false;
  }
}

/** A single read of a page this small is a look-up (`?limit=1` to find an id), not a walk of the collection. */
export const LOOKUP_LIMIT = 10;

function isLookup(walk: Walk): boolean {
  return (
    walk.rows.length === 1 &&
    walk.rows.every((r) => {
      const p = params(r);
      return Number(p.get("offset") ?? "0") === 0 && Number(p.get("limit") ?? "100") < LOOKUP_LIMIT;
    })
  );
}

/** Collection reads grouped into walks: same path and parameters but limit/offset; a read at offset 0 starts one. */
function walksOf(rows: RequestLogRow[]): Walk[] {
  const open = new Map<string, Walk>();
  const walks: Walk[] = [];
  for (const row of rows) {
    const endpoint = row.operation ? BY_OPERATION.get(row.operation) : undefined;
    if (endpoint?.kind !== "collection" || row.method !== "GET") {
      continue;
    }
    const p = params(row);
    const offset = Number(p.get("offset") ?? "0");
    p.delete("offset");
    p.delete("limit");
    p.sort();
    const key = `${row.path}?${p}`;
    let walk = open.get(key);
    if (!walk || (offset === 0 && walk.rows.some((r) => r.status === 200))) {
      walk = { key, path: row.path, endpoint, filter: p.get("filter") ?? undefined, rows: [] };
      open.set(key, walk);
      walks.push(walk);
    }
    walk.rows.push(row);
  }
  return walks;
}

/** What a walk read: covered ranges of [0, total) by its 200 answers, with the last total seen. */
function coverage(walk: Walk, limitCap: number): { total: number; read: number; complete: boolean; pageSize: number } {
  const ok = walk.rows.filter((r) => r.status === 200 && r.total !== null);
  const total = ok[ok.length - 1]?.total ?? 0;
  const ranges = ok
    .map((r) => {
      const p = params(r);
      const offset = Number(p.get("offset") ?? "0");
      const limit = Math.min(Number(p.get("limit") ?? "100"), limitCap);
      return [offset, Math.min(offset + limit, total)] as const;
    })
    .sort((a, b) => a[0] - b[0]);
  let reach = 0;
  for (const [from, to] of ranges) {
    if (from > reach) {
      break;
    }
    reach = Math.max(reach, to);
  }
  const first = ok[0] ? Math.min(Number(params(ok[0]).get("limit") ?? "100"), limitCap) : 100;
  return { total, read: reach, complete: ok.length > 0 && reach >= total, pageSize: first };
}

const verdict = (
  v: Pick<Verdict, "id" | "title" | "section">,
  outcome: VerdictOutcome,
  summary: string,
  rows: Evidence[] = [],
): Verdict => ({ ...v, outcome, summary, evidence: rows.slice(0, MAX_EVIDENCE) });

function pagedToTheEnd(walks: Walk[], opts: JudgeOptions): Verdict {
  const v = {
    id: "CON-001",
    title: "MUST page every collection it reads to the end (by X-Total-Count or Link, not by a short page)",
    section: "notes §4",
  };
  if (walks.length === 0) {
    return verdict(v, "not-applicable", "no collection was read");
  }
  const short = walks.map((w) => ({ w, c: coverage(w, opts.limitCap) })).filter(({ c }) => !c.complete);
  if (short.length === 0) {
    return verdict(v, "pass", `${walks.length} collection walk(s), every one read to the end`);
  }
  return verdict(
    v,
    "fail",
    `${short.length} of ${walks.length} walk(s) stopped early`,
    short.map(({ w, c }) => {
      const last = w.rows[w.rows.length - 1] as RequestLogRow;
      return evidence(last, `read records 0–${c.read} of ${c.total} of ${w.key}`);
    }),
  );
}

function usedDeltas(walks: Walk[], opts: JudgeOptions): Verdict {
  const v = {
    id: "CON-002",
    title: "SHOULD read changes with a dateLastModified filter after its first full run, and not re-read everything",
    section: "notes §8",
  };
  const full = new Map<string, Walk[]>();
  const deltas = new Map<string, Walk[]>();
  for (const w of walks.filter((w) => w.endpoint.params.length === 0)) {
    const into = deltaSince(w.filter) ? deltas : w.filter ? undefined : full;
    into?.set(w.path, [...(into.get(w.path) ?? []), w]);
  }
  const rereads: Evidence[] = [];
  let laterDeltas = 0;
  for (const [path, fulls] of full) {
    const firstComplete = fulls.find((w) => coverage(w, opts.limitCap).complete);
    if (!firstComplete) {
      continue;
    }
    const after = (firstComplete.rows[firstComplete.rows.length - 1] as RequestLogRow).at.getTime();
    for (const again of fulls.filter(
      (w) => w !== firstComplete && (w.rows[0] as RequestLogRow).at.getTime() >= after,
    )) {
      rereads.push(evidence(again.rows[0] as RequestLogRow, `full re-read of ${path}`));
    }
    laterDeltas += (deltas.get(path) ?? []).filter((w) => (w.rows[0] as RequestLogRow).at.getTime() >= after).length;
  }
  if (rereads.length > 0) {
    return verdict(v, "fail", `${rereads.length} full re-read(s) of collections already read in full`, rereads);
  }
  if (laterDeltas === 0) {
    return verdict(v, "not-applicable", "no run after a first full run in this window");
  }
  const shown = [...deltas.values()].flat().map((w) => evidence(w.rows[0] as RequestLogRow, "delta read"));
  return verdict(v, "pass", `${laterDeltas} delta walk(s) after the first full run, no full re-read`, shown);
}

function honouredRateLimits(rows: RequestLogRow[]): Verdict {
  const v = {
    id: "CON-003",
    title: "MUST wait after a 429: at least its Retry-After, and with some backoff when there is none",
    section: "RFC 6585 §4, RFC 9110 §10.2.3",
  };
  const limited = rows.filter((r) => r.status === 429);
  if (limited.length === 0) {
    return verdict(v, "not-applicable", "the client was never answered 429");
  }
  const hasty: Evidence[] = [];
  let judged = 0;
  for (const r of limited) {
    // Two requests show whether the client waited, each measured start to start (a row's duration ends when the
    // server saw the connection close, which lags on a busy event loop and would blame the client for it):
    // - the refused request sent again (same method, path and query), whenever it comes;
    // - any other request sent once the client has had time to read the 429 (REACTION_MS after it was answered).
    const same = (n: RequestLogRow) => sameRequest(n, r);
    const again = rows.find((n) => n.id !== r.id && n.at.getTime() >= r.at.getTime() && same(n));
    const other = rows.find((n) => n.id !== r.id && !same(n) && n.at.getTime() >= endOf(r) + REACTION_MS);
    const next = [again, other]
      .filter((n): n is RequestLogRow => n !== undefined)
      .sort((a, b) => a.at.getTime() - b.at.getTime())[0];
    if (!next) {
      continue;
    }
    judged++;
    const waited = next.at.getTime() - r.at.getTime();
    const needed = r.retryAfterMs ?? MIN_BACKOFF_MS;
    if (waited < needed) {
      hasty.push(evidence(r, `asked to wait ${needed} ms, came back after ${Math.max(0, waited)} ms`));
      hasty.push(evidence(next));
    }
  }
  if (hasty.length > 0) {
    return verdict(v, "fail", `${hasty.length / 2} of ${judged} 429 answer(s) not honoured`, hasty);
  }
  return judged === 0
    ? verdict(v, "not-applicable", "no request followed a 429")
    : verdict(
        v,
        "pass",
        `waited as asked after each of ${judged} 429 answer(s)`,
        limited.map((r) => evidence(r)),
      );
}

function renewedTokens(rows: RequestLogRow[]): Verdict {
  const v = {
    id: "CON-004",
    title: "MUST get a new token when the provider refuses one (401), instead of failing or repeating it",
    section: "notes §6.2, RFC 6750 §3.1",
  };
  const refused = rows.filter((r) => r.status === 401 && r.operation !== "token");
  if (refused.length === 0) {
    return verdict(v, "not-applicable", "no data request was refused a token");
  }
  const problems: Evidence[] = [];
  let streak = 0;
  let renewed = 0;
  // A 401 sent before the client could have read an earlier one (REACTION_MS after it was answered) was already on
  // its way (a concurrent client's other walks): it does not repeat the mistake, unless it is the same request.
  let knownAt = Number.NEGATIVE_INFINITY;
  let lastCounted: RequestLogRow | undefined;
  for (const [i, r] of rows.entries()) {
    if (r.operation === "token" && r.status === 200) {
      streak = 0;
      knownAt = Number.NEGATIVE_INFINITY;
      lastCounted = undefined;
      continue;
    }
    if (r.status === 401 && r.operation !== "token") {
      if (r.at.getTime() >= knownAt || (lastCounted !== undefined && sameRequest(r, lastCounted))) {
        streak++;
        lastCounted = r;
        knownAt = endOf(r) + REACTION_MS;
        if (streak === 3) {
          problems.push(evidence(r, "a third 401 in a row without asking for a new token"));
        }
      }
      const after = rows.slice(i + 1);
      const token = after.findIndex((n) => n.operation === "token" && n.status === 200);
      if (token < 0) {
        problems.push(evidence(r, "no new token was asked for after this 401"));
      } else if (after.slice(token + 1).some((n) => n.operation !== "token" && n.status < 400)) {
        renewed++;
      }
    } else if (r.operation !== "token") {
      streak = 0;
    }
  }
  if (problems.length > 0) {
    return verdict(v, "fail", `${refused.length} refused request(s); the client did not renew as it should`, problems);
  }
  return verdict(
    v,
    "pass",
    `renewed its token after ${refused.length} refusal(s) and went on (${renewed} successful continuation(s))`,
    refused.map((r) => evidence(r)),
  );
}

function pageSizesAndConcurrency(rows: RequestLogRow[], walks: Walk[], opts: JudgeOptions): Verdict {
  const v = {
    id: "CON-005",
    title: `SHOULD use reasonable page sizes (at least ${SMALL_PAGE} on long walks) and at most ${MAX_CONCURRENCY} requests at once`,
    section: "notes §4",
  };
  if (rows.length === 0) {
    return verdict(v, "not-applicable", "no requests");
  }
  const problems: Evidence[] = [];
  for (const w of walks) {
    const c = coverage(w, opts.limitCap);
    if (c.total > c.pageSize * MANY_PAGES && c.pageSize < SMALL_PAGE) {
      problems.push(evidence(w.rows[0] as RequestLogRow, `pages of ${c.pageSize} for ${c.total} records`));
    }
  }
  // Peak of requests in flight, from arrival times and durations.
  const events = rows.flatMap((r) => [
    { t: r.at.getTime(), d: 1, r },
    { t: endOf(r), d: -1, r },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let inFlight = 0;
  let peak = 0;
  let peakAt = 0;
  for (const e of events) {
    inFlight += e.d;
    if (inFlight > peak) {
      peak = inFlight;
      peakAt = e.t;
    }
  }
  if (peak > MAX_CONCURRENCY) {
    const overlapping = rows.filter((r) => r.at.getTime() <= peakAt && endOf(r) > peakAt);
    problems.push(...overlapping.map((r) => evidence(r, `one of ${peak} requests in flight at once`)));
  }
  if (problems.length > 0) {
    return verdict(v, "fail", `page sizes or concurrency out of bounds (peak ${peak} in flight)`, problems);
  }
  return verdict(v, "pass", `page sizes fine on ${walks.length} walk(s); at most ${peak} request(s) in flight`);
}

async function readTombstones(walks: Walk[], opts: JudgeOptions): Promise<Verdict> {
  const v = {
    id: "CON-006",
    title: "MUST read deletions: delta reads keep tobedeleted records (tombstones) in view",
    section: "notes §8",
  };
  const deltas = walks.filter((w) => deltaSince(w.filter));
  if (deltas.length === 0) {
    return verdict(v, "not-applicable", "no delta reads");
  }
  const hiding = deltas.filter((w) => hidesTombstones(w.filter));
  if (hiding.length > 0) {
    return verdict(
      v,
      "fail",
      `${hiding.length} delta read(s) filtered tombstones out, so deletions never reach the client`,
      hiding.map((w) => evidence(w.rows[0] as RequestLogRow, "status filter hides tobedeleted records")),
    );
  }
  let covered = 0;
  const shown: Evidence[] = [];
  for (const w of deltas.filter((w) => w.endpoint.params.length === 0)) {
    const since = deltaSince(w.filter) as Date;
    const first = w.rows[0] as RequestLogRow;
    const n = await opts.countDeletions(w.endpoint, since, first.at);
    if (n > 0) {
      covered += n;
      shown.push(evidence(first, `${n} tombstone(s) in this delta`));
    }
  }
  return covered === 0
    ? verdict(v, "not-applicable", "no deletions happened inside the client's delta windows")
    : verdict(v, "pass", `delta reads covered ${covered} deletion(s) and kept tombstones in view`, shown);
}

function gradebookWrites(rows: RequestLogRow[]): Verdict {
  const v = {
    id: "CON-007",
    title: "MUST push gradebook writes that validate (no 400 or 422 answers)",
    section: "notes §7.1",
  };
  const writes = rows.filter((r) => {
    const e = r.operation ? BY_OPERATION.get(r.operation) : undefined;
    return e && (e.kind === "put" || e.kind === "delete");
  });
  // Only writes the provider judged count: a 401, 429 or 5xx never reached validation.
  const judged = writes.filter((r) => r.status < 300 || r.status === 400 || r.status === 404 || r.status === 422);
  if (judged.length === 0) {
    return verdict(v, "not-applicable", "no gradebook write reached validation");
  }
  const bad = judged.filter((r) => r.status === 400 || r.status === 422);
  return bad.length > 0
    ? verdict(
        v,
        "fail",
        `${bad.length} of ${judged.length} write(s) did not validate`,
        bad.map((r) => evidence(r)),
      )
    : verdict(v, "pass", `${judged.length} write(s), every one accepted`);
}

function tokenRequests(rows: RequestLogRow[]): Verdict {
  const v = {
    id: "CON-008",
    title: "SHOULD request tokens as RFC 6749 says (form body, Basic credentials form-encoded)",
    section: "RFC 6749 §2.3.1, §4.4.2",
  };
  const tokens = rows.filter((r) => r.operation === "token");
  if (tokens.length === 0) {
    return verdict(v, "not-applicable", "no token requests in this window");
  }
  const deviating = tokens.filter((r) => r.findings.length > 0);
  const refused = tokens.filter((r) => r.status === 400);
  const bad = [
    ...deviating.map((r) => evidence(r, r.findings.join(", "))),
    ...refused.map((r) => evidence(r, "refused")),
  ];
  return bad.length > 0
    ? verdict(v, "fail", `${bad.length} of ${tokens.length} token request(s) deviated from RFC 6749`, bad)
    : verdict(v, "pass", `${tokens.length} token request(s), all by the RFC`);
}

/** Every verdict for one client's rows (any order; they are judged in arrival order). */
export async function judgeConsumer(
  clientId: string,
  window: { since?: Date; until?: Date },
  logRows: readonly RequestLogRow[],
  opts: JudgeOptions,
): Promise<Scorecard> {
  const rows = [...logRows].sort((a, b) => a.at.getTime() - b.at.getTime() || a.id - b.id);
  const walks = walksOf(rows).filter((w) => !isLookup(w));
  const verdicts = [
    pagedToTheEnd(walks, opts),
    usedDeltas(walks, opts),
    honouredRateLimits(rows),
    renewedTokens(rows),
    pageSizesAndConcurrency(rows, walks, opts),
    await readTombstones(walks, opts),
    gradebookWrites(rows),
    tokenRequests(rows),
  ];
  const summary: Record<VerdictOutcome, number> = { pass: 0, fail: 0, "not-applicable": 0 };
  for (const x of verdicts) {
    summary[x.outcome]++;
  }
  return {
    clientId,
    since: window.since?.toISOString() ?? null,
    until: window.until?.toISOString() ?? null,
    requests: rows.length,
    verdicts,
    summary,
  };
}
