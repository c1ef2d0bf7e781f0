// The request hook of the fault presets on OneRoster routes: finds the endpoint, authenticates the bearer token
// (the route checks it again and answers 401/403 itself), resolves the presets in force for this client and this
// request (X-Rosterlab-Fault header), hands the quirks to the routes through c.var.faults, and applies the transport
// faults: a delay, 5xx or 429 answers, a token refused, data changed under the pager, an empty feed, a cut body.
import type { Context, Hono, Next } from "hono";
import { ENDPOINTS, type Endpoint, ONEROSTER_BASE_PATH } from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";
import { type AuthContext, verifyBearer } from "../auth/require-token.js";
import type { ClientDirectory } from "../clients/directory.js";
import { ApiError } from "../errors.js";
import { requestHeader } from "../http/headers.js";
import { linkHeader } from "../query/paginate.js";
import { churnNear } from "../repo/churn.js";
import type { RouteDeps } from "../routes/context.js";
import { faultAnswer, tokenRefusal } from "./answers.js";
import { type FaultName, type FaultSpec, FaultSpecError, parseFaultHeader, resolveParams } from "./catalog.js";
import { cutBody } from "./drop.js";
import { isQuirkName, type QuirkName } from "./presets.js";
import type { ActiveFault } from "./store.js";
import { firesAt, type Trigger } from "./trigger.js";

/** Request header naming presets for this one request: `latency:ms=100; server-errors`. */
export const FAULT_HEADER = "X-Rosterlab-Fault";
/** Response header naming the presets that acted on this response. */
export const APPLIED_HEADER = "X-Rosterlab-Fault-Applied";

/** What the fault hook decided for one request, read by routes (quirks) and the request log (applied). */
export interface RequestFaults {
  quirks: ReadonlySet<QuirkName>;
  /** Presets that acted on this request, in order. */
  applied: FaultName[];
}

interface MatchedEndpoint {
  endpoint: Endpoint;
  /** Names `collections=` matches: the last literal path segment and the envelope key. */
  names: ReadonlySet<string>;
}

const COMPILED = ENDPOINTS.map((endpoint) => {
  const pattern = endpoint.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{\w+\\?\}/g, "[^/]+");
  const literals = endpoint.path.split("/").filter((s) => s !== "" && !s.startsWith("{"));
  return {
    endpoint,
    re: new RegExp(`^${ONEROSTER_BASE_PATH}${pattern}/?$`),
    names: new Set([literals[literals.length - 1] ?? "", endpoint.envelope]),
  };
});

/** The first path segment after the base path (`users` of `/users/{id}`), or `*` where it is a parameter. */
const firstSegment = (path: string) => {
  let start = 0;
  while (path.charCodeAt(start) === 47 /* "/" */) {
    start++;
  }
  const end = path.indexOf("/", start);
  const segment = end < 0 ? path.slice(start) : path.slice(start, end);
  return segment.startsWith("{") ? "*" : segment;
};

/** The endpoints by method and first path segment: a request tests the few patterns that can match it. */
const CANDIDATES = new Map<string, (typeof COMPILED)[number][]>();
for (const e of COMPILED) {
  const key = `${e.endpoint.method} ${firstSegment(e.endpoint.path)}`;
  CANDIDATES.set(key, [...(CANDIDATES.get(key) ?? []), e]);
}

/** The operation a method and path address, or undefined (the router answers 404/405 then). */
export function matchEndpoint(method: string, pathname: string): MatchedEndpoint | undefined {
  const m = method === "HEAD" ? "GET" : method;
  if (!pathname.startsWith(`${ONEROSTER_BASE_PATH}/`)) {
    return undefined;
  }
  const segment = firstSegment(pathname.slice(ONEROSTER_BASE_PATH.length));
  const test = (e: (typeof COMPILED)[number]) => e.re.test(pathname);
  const hit = CANDIDATES.get(`${m} ${segment}`)?.find(test) ?? CANDIDATES.get(`${m} *`)?.find(test);
  return hit ? { endpoint: hit.endpoint, names: hit.names } : undefined;
}

function appliesTo(fault: ActiveFault, match: MatchedEndpoint): boolean {
  const collections = fault.params.collections as string[] | undefined;
  return !collections || collections.some((c) => match.names.has(c));
}

const TOKEN_CACHE_MAX = 10_000;

/** The quirks of a request no preset acts on (shared: nothing adds to a request's quirks once decided). */
const NO_QUIRKS: ReadonlySet<QuirkName> = new Set();

/** The token's claims, expired or not (routes refuse expired ones); undefined when it is missing or invalid. */
async function authenticate(deps: RouteDeps, header: string | undefined): Promise<AuthContext | undefined> {
  if (!header) {
    return undefined;
  }
  try {
    const auth = await verifyBearer(deps, header, { acceptExpired: true });
    if (deps.tokenCache.size < TOKEN_CACHE_MAX) {
      deps.tokenCache.set(header, auth);
    }
    return auth;
  } catch {
    return undefined;
  }
}

/** Presets for this request: the client's, then the header's (which win, and fire without counting). */
function requestFaults(c: Context<AppEnv>, stored: readonly ActiveFault[]): readonly ActiveFault[] {
  const header = requestHeader(c, FAULT_HEADER);
  if (!header) {
    return stored;
  }
  let specs: FaultSpec[];
  try {
    specs = parseFaultHeader(header);
  } catch (error) {
    if (error instanceof FaultSpecError) {
      throw new ApiError("invalid_data", `${FAULT_HEADER}: ${error.message}`);
    }
    throw error;
  }
  const byName = new Map(stored.map((f) => [f.name, f]));
  for (const spec of specs) {
    byName.set(spec.name, { name: spec.name, params: resolveParams(spec), given: spec.params, source: "request" });
  }
  return [...byName.values()];
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Counts the request for a counted preset and says whether it fires; a per-request preset always fires. */
async function fires(deps: RouteDeps, fault: ActiveFault): Promise<{ fired: boolean; n?: number }> {
  if (fault.counterScope === undefined) {
    return { fired: true };
  }
  const n = await deps.quirkStore.count(fault.counterScope, fault.name);
  return { fired: firesAt(fault.params as unknown as Trigger, n), n };
}

function pageParams(c: Context<AppEnv>, deps: RouteDeps): { offset: number; limit: number } | undefined {
  const num = (raw: string | undefined, fallback: number) =>
    raw === undefined ? fallback : /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  const offset = num(c.req.query("offset"), 0);
  const limit = Math.min(num(c.req.query("limit"), 100), deps.config.limitCap);
  return Number.isSafeInteger(offset) && Number.isSafeInteger(limit) && limit > 0 ? { offset, limit } : undefined;
}

/** The hook's work for one matched, authenticated request; returns a response when a fault answers instead. */
async function applyFaults(
  c: Context<AppEnv>,
  next: Next,
  deps: RouteDeps,
  match: MatchedEndpoint,
  auth: AuthContext,
  all: readonly ActiveFault[],
): Promise<Response | undefined> {
  const quirks = new Set(all.map((f) => f.name).filter(isQuirkName));
  const applied: FaultName[] = [];
  c.set("faults", { quirks, applied });
  const now = deps.clock.now().getTime();
  const expired = auth.expiresAtMs <= now && !quirks.has("accept-expired-tokens");
  const scoped = match.endpoint.scopes.length === 0 || match.endpoint.scopes.some((s) => auth.scopes.has(s));
  const transport = new Map(all.filter((f) => !isQuirkName(f.name)).map((f) => [f.name, f]));
  if (expired || !scoped || transport.size === 0) {
    // The route answers 401/403 itself; faults act only on requests the provider would otherwise serve.
    await next();
    return undefined;
  }
  const mark = (name: FaultName) => {
    applied.push(name);
    c.header(APPLIED_HEADER, applied.join(", "));
  };

  const tokenFault = transport.get("token-expiry");
  if (tokenFault) {
    const { uses, seconds } = tokenFault.params as { uses?: number; seconds?: number };
    let refuse = tokenFault.counterScope === undefined;
    if (!refuse && seconds !== undefined) {
      refuse = now - (auth.issuedAtMs ?? 0) >= seconds * 1000;
    }
    if (!refuse && uses !== undefined && tokenFault.counterScope !== undefined) {
      const n = await deps.quirkStore.count(tokenFault.counterScope, "token-expiry", auth.tokenId ?? "");
      refuse = n > uses;
    }
    if (refuse) {
      mark("token-expiry");
      const why = uses !== undefined ? `after ${uses} requests` : `${seconds} seconds after issue`;
      return tokenRefusal(c, `token expired (fault preset token-expiry refuses tokens ${why}); request a new token`);
    }
  }

  const latency = transport.get("latency");
  if (latency && (await fires(deps, latency)).fired) {
    mark("latency");
    await (deps.sleep ?? defaultSleep)(latency.params.ms as number);
  }

  for (const name of ["rate-limit", "rate-limit-no-retry-after", "server-errors"] as const) {
    const fault = transport.get(name);
    if (!fault) {
      continue;
    }
    const { fired, n } = await fires(deps, fault);
    if (fired) {
      mark(name);
      return faultAnswer(c, name, fault.params, n, deps.clock.now());
    }
  }

  const empty = transport.get("empty-feed");
  if (empty) {
    mark("empty-feed");
    if (match.endpoint.kind === "collection") {
      const url = new URL(c.req.url);
      const page = pageParams(c, deps) ?? { offset: 0, limit: 100 };
      const link = linkHeader({
        url: `${deps.config.publicUrl ?? url.origin}${url.pathname}`,
        params: [...url.searchParams.entries()],
        offset: page.offset,
        limit: page.limit,
        total: 0,
      });
      return c.json({ [match.endpoint.envelope]: [] }, 200, { "X-Total-Count": "0", ...(link ? { Link: link } : {}) });
    }
    if (match.endpoint.kind === "single") {
      throw new ApiError("not_found", `no ${match.endpoint.entity} with sourcedId '${c.req.param("id") ?? ""}'`);
    }
  }

  const churn = transport.get("data-churn");
  const page = pageParams(c, deps);
  if (churn && match.endpoint.kind === "collection" && match.endpoint.params.length === 0 && page) {
    const perRequest = churn.counterScope === undefined;
    if (perRequest || page.offset > 0) {
      const { fired, n } = await fires(deps, churn);
      if (fired) {
        const { action, where } = churn.params as { action: string; where: string };
        const changed = await churnNear(deps.db, {
          entity: match.endpoint.entity,
          ...(match.endpoint.subset ? { subset: match.endpoint.subset } : {}),
          position: where === "behind" ? Math.max(0, page.offset - page.limit) : page.offset + page.limit,
          insert: action !== "delete",
          delete: action !== "insert",
          now: deps.clock.now(),
          tag: String(n ?? now),
        });
        deps.pageCache.invalidate();
        if (changed.inserted || changed.deleted) {
          mark("data-churn");
        }
      }
    }
  }

  const drop = transport.get("drop-connection");
  const cut = drop ? (await fires(deps, drop)).fired : false;
  await next();
  if (cut && drop) {
    mark("drop-connection");
    await cutBody(c, drop.params.at as number);
  }
  return undefined;
}

export interface FaultHookDeps extends RouteDeps {
  /** Refuses tokens of deleted clients and tokens issued before a secret rotation. */
  clients: ClientDirectory;
}

/** Mounts the hook on every OneRoster path; it must come before the routes. */
export function registerFaultHook(app: Hono<AppEnv>, deps: FaultHookDeps): void {
  app.use(`${ONEROSTER_BASE_PATH}/*`, async (c, next) => {
    const match = matchEndpoint(c.req.method, c.req.path);
    // The request log names the operation from this, instead of matching the path again.
    c.set("operation", match?.endpoint.operationId ?? null);
    // The usual request waits for nothing here: its token, its client's standing and the presets (none) are known
    // from memory; only what is not known is awaited.
    const header = match ? requestHeader(c, "authorization") : undefined;
    const auth = header === undefined ? undefined : (deps.tokenCache.get(header) ?? (await authenticate(deps, header)));
    if (!match || !auth) {
      await next();
      return;
    }
    c.set("clientId", auth.clientId);
    const known = deps.clients.revokedCached(auth.clientId, auth.issuedAtMs);
    const revoked = known === null ? await deps.clients.revoked(auth.clientId, auth.issuedAtMs) : known;
    if (revoked) {
      return tokenRefusal(c, revoked);
    }
    const stored = deps.quirkStore.noneCached() ?? (await deps.quirkStore.forClient(auth.clientId));
    const all = requestFaults(c, stored).filter((f) => appliesTo(f, match));
    if (all.length === 0) {
      // No preset in force: nothing to decide or to build.
      c.set("faults", { quirks: NO_QUIRKS, applied: [] });
      await next();
      return;
    }
    const answer = await applyFaults(c, next, deps, match, auth, all);
    return answer ?? undefined;
  });
}
