// Per-request helpers every OneRoster route shares: the absolute base URL, token and scope checks, the active quirks.
import type { Context } from "hono";
import { type Endpoint, ONEROSTER_BASE_PATH, SCOPES } from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";
import { type AuthContext, requireScope, verifyBearer } from "../auth/require-token.js";
import type { PageCache } from "../cache/page-cache.js";
import type { DbHealth } from "../db/health.js";
import type { AppDeps } from "../deps.js";
import type { QuirkName } from "../faults/presets.js";
import type { QuirkStore } from "../faults/store.js";
import { requestHeader } from "../http/headers.js";

export interface RouteDeps extends AppDeps {
  dbHealth: DbHealth;
  quirkStore: QuirkStore;
  pageCache: PageCache;
  /** Verified bearer tokens by Authorization header, so a token's signature is checked once, not per request. */
  tokenCache: Map<string, AuthContext>;
}

/** Bound on remembered tokens; past it the memory is simply cleared (re-verifying is only slower). */
const TOKEN_CACHE_MAX = 10_000;

/**
 * The query parameters of one parse of the query string, first value of each name (as c.req.query(name) gives it).
 * c.req.query(name) parses the whole query again for every name absent from it once any value is percent-encoded.
 */
export function queryReader(c: Context<AppEnv>): (name: string) => string | undefined {
  // Hono builds this record without a prototype, so a name like `constructor` is only ever a parameter.
  const all: Record<string, string | undefined> = c.req.query();
  return (name) => all[name];
}

/**
 * Origin for hrefs and links: the configured public URL, else the request's own origin, parsed once per request (a
 * list read asks for it for its hrefs, its Link header and its page key).
 */
export function originOf(c: Context<AppEnv>, deps: AppDeps): string {
  if (deps.config.publicUrl !== undefined) {
    return deps.config.publicUrl;
  }
  let origin = c.get("origin");
  if (origin === undefined) {
    origin = new URL(c.req.url).origin;
    c.set("origin", origin);
  }
  return origin;
}

export function baseUrlOf(c: Context<AppEnv>, deps: AppDeps): string {
  return `${originOf(c, deps)}${ONEROSTER_BASE_PATH}`;
}

/** The operations the `terms-need-roster-scope` quirk guards with roster.readonly only. */
const TERMS_OPERATIONS: ReadonlySet<string> = new Set(["getAllTerms", "getTerm"]);

/** Verifies the bearer token and the endpoint's scope (401, then 403), and returns the quirks in force. */
export async function authorize(
  c: Context<AppEnv>,
  deps: RouteDeps,
  endpoint: Endpoint,
): Promise<ReadonlySet<QuirkName>> {
  // The fault hook (faults/engine.ts) has resolved this client's quirks; without it, the provider-wide ones.
  const quirks = c.get("faults")?.quirks ?? (await deps.quirkStore.active());
  const acceptExpired = quirks.has("accept-expired-tokens");
  const header = requestHeader(c, "authorization");
  const known = header ? deps.tokenCache.get(header) : undefined;
  let auth: AuthContext;
  if (known && (acceptExpired || known.expiresAtMs > deps.clock.now().getTime())) {
    auth = known;
  } else {
    // First sight of this token, or it has expired since: full verification (which names the exact fault).
    auth = await verifyBearer(deps, header, { acceptExpired });
    if (header) {
      if (deps.tokenCache.size >= TOKEN_CACHE_MAX) {
        deps.tokenCache.clear();
      }
      deps.tokenCache.set(header, auth);
    }
  }
  c.set("auth", auth);
  const termsQuirk = quirks.has("terms-need-roster-scope") && TERMS_OPERATIONS.has(endpoint.operationId);
  requireScope(auth, termsQuirk ? [SCOPES.roster] : endpoint.scopes);
  return quirks;
}

/**
 * Answers a GET from the page cache, or renders it and stores it under the data generation the request started
 * in (a page rendered across a data change is not stored). Only 200 pages are cached; errors are thrown.
 */
export async function servePage(
  c: Context<AppEnv>,
  deps: RouteDeps,
  quirks: ReadonlySet<QuirkName>,
  render: () => Promise<{ body?: unknown; text?: string; headers?: Record<string, string> }>,
): Promise<Response> {
  // With the page store off there is nothing to look up or store, so no key is built.
  const key = deps.pageCache.enabled ? pageKey(c, deps, quirks) : undefined;
  const hit = key === undefined ? undefined : deps.pageCache.get(key);
  if (hit) {
    return c.body(hit.body, hit.status, hit.headers);
  }
  const generation = deps.pageCache.generation();
  const rendered = await render();
  const page = {
    status: 200 as const,
    // UTF-8 bytes, encoded once here (JSON text that Postgres built is taken as it is). Sent as a string, a body
    // would be measured by Hono for Content-Length, again for the request log's byte count, then encoded on write.
    body: Buffer.from(rendered.text ?? JSON.stringify(rendered.body)),
    headers: { "Content-Type": "application/json", ...rendered.headers },
  };
  if (key !== undefined) {
    deps.pageCache.set(key, generation, page);
  }
  return c.body(page.body, page.status, page.headers);
}

/** `{ <key>: data }`, plus `statusInfoSet` when there are warnings (notes §3.4). */
export function envelopeWith(key: string, data: unknown, warnings: readonly unknown[]): Record<string, unknown> {
  return warnings.length > 0 ? { [key]: data, statusInfoSet: warnings } : { [key]: data };
}

/** `{"<key>":<json text>}` plus `statusInfoSet`: envelopeWith for data already in JSON text, byte for byte. */
export function envelopeText(key: string, json: string, warnings: readonly unknown[]): string {
  const rest = warnings.length > 0 ? `,"statusInfoSet":${JSON.stringify(warnings)}` : "";
  return `{${JSON.stringify(key)}:${json}${rest}}`;
}

/**
 * Cache key of a GET page: everything that shapes its bytes (origin in hrefs, the target as sent, quirks in force).
 * Two spellings of one URL are two keys: only a repeat costs nothing, and parsing the URL cost every miss.
 */
function pageKey(c: Context<AppEnv>, deps: AppDeps, quirks: ReadonlySet<QuirkName>): string {
  const inForce = quirks.size === 0 ? "" : [...quirks].sort().join(",");
  return `${originOf(c, deps)}${c.get("target")}|${inForce}`;
}
