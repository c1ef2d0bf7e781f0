// CheckContext: how checks reach a provider. Only HTTP, only through the injected fetchFn; caches tokens and
// collection reads, records every exchange (secrets redacted) so a failure carries its proof, counts which operations
// of the endpoint table answered, and keeps cleanups.
import { basicCredentials, buildUrl, formBody, type RecordCheckOptions } from "../oneroster/client/index.js";
import { ALL_SCOPES, ENDPOINTS, type Endpoint, SCOPES } from "../oneroster/index.js";
import { CheckFailure, type Profile } from "./check.js";

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/** The boolean spellings records may use (notes §2.1); see the client kit's RecordCheckOptions. */
export const BOOLEAN_SPELLINGS = ["either", "json", "string"] as const;
export type BooleanSpelling = (typeof BOOLEAN_SPELLINGS)[number];

/** Where the provider is and who we are to it. */
export interface ConformanceTarget {
  /** e.g. `https://host/ims/oneroster/v1p1`, no trailing slash needed. */
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to request; defaults to the scopes the selected profiles need. */
  scope?: string;
}

export interface ContextOptions extends ConformanceTarget {
  fetchFn: FetchFn;
  profiles: ReadonlySet<Profile>;
  lenient: boolean;
  /** Which boolean spelling records may use (notes §2.1): both unless the user insists on one. */
  booleans: BooleanSpelling;
  allowWrites: boolean;
  /** A token the provider issued earlier that has since expired (AUTH-006 is skipped without one). */
  expiredToken?: string;
  /** Prefix of every sourcedId the suite writes, unique per run. */
  runId: string;
  /** Per-request timeout. */
  timeoutMs: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  /** The body, cut at BODY_EXCERPT characters. */
  body: string;
}

/** One request and what came back (or why nothing did). Secrets and tokens are never recorded. */
export interface Exchange {
  request: RecordedRequest;
  response?: RecordedResponse;
  error?: string;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: unknown;
  url: string;
  exchange: Exchange;
}

/** How a request authenticates: the default token, none, or a given bearer value. */
export type Auth =
  | { kind: "default" }
  | { kind: "none" }
  | { kind: "bearer"; token: string }
  | { kind: "scoped"; scope: string };

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  body?: string;
  auth?: Auth;
}

const BODY_EXCERPT = 1500;
/** After this many requests in a row without an answer the provider is taken as down and requests fail fast. */
const GIVE_UP_AFTER = 5;
const KEPT_HEADERS = [
  "content-type",
  "x-total-count",
  "link",
  "www-authenticate",
  "location",
  "cache-control",
  "retry-after",
];

/** Each operation of the endpoint table with a matcher for request paths, to count which ones were exercised. */
const OPERATION_MATCHERS = ENDPOINTS.map((endpoint) => ({
  endpoint,
  re: new RegExp(`^${endpoint.path.replace(/\{\w+\}/g, "[^/]+")}$`),
}));

/** Scopes the selected profiles need (notes §6.2): rostering reads also feed the gradebook checks. */
export function scopesForProfiles(profiles: ReadonlySet<Profile>): string[] {
  const scopes = new Set<string>();
  if (profiles.has("rostering-core")) {
    scopes.add(SCOPES.rosterCore);
  }
  if (profiles.has("rostering")) {
    scopes.add(SCOPES.roster);
    scopes.add(SCOPES.demographics);
  }
  if (profiles.has("resources")) {
    scopes.add(SCOPES.resource);
    scopes.add(SCOPES.rosterCore);
  }
  if (profiles.has("gradebook")) {
    scopes.add(SCOPES.gradebookRead);
    scopes.add(SCOPES.gradebookWrite);
    scopes.add(SCOPES.gradebookDelete);
    scopes.add(SCOPES.rosterCore);
    scopes.add(SCOPES.roster);
  }
  return ALL_SCOPES.filter((s) => scopes.has(s));
}

/** Which endpoint tiers each profile covers (notes §1.2). */
const PROFILE_TIERS: Record<Profile, readonly Endpoint["tier"][]> = {
  "rostering-core": ["CORE"],
  rostering: ["CORE", "REL", "DEMO"],
  resources: ["RES"],
  gradebook: ["GB"],
};

/** Redacts credentials from a header map before it is recorded. */
function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = k.toLowerCase() === "authorization" ? `${v.split(" ", 1)[0]} <redacted>` : v;
  }
  return out;
}

/** Redacts secrets and tokens inside a request or response body. */
export function redactBody(text: string): string {
  return text
    .replace(/("access_token"\s*:\s*")[^"]*"/g, '$1<redacted>"')
    .replace(/(client_secret=)[^&]*/g, "$1<redacted>");
}

/** The promise cached under `key`, made by `make` on a miss; one that rejects is dropped, so the next call retries. */
function cachedUnlessFailed<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let hit = cache.get(key);
  if (!hit) {
    hit = make();
    cache.set(key, hit);
    hit.catch(() => cache.delete(key));
  }
  return hit;
}

export class CheckContext {
  readonly baseUrl: string;
  readonly profiles: ReadonlySet<Profile>;
  readonly lenient: boolean;
  readonly allowWrites: boolean;
  /** How records are judged (lenient variants, boolean spelling); passed to the client kit's record checks. */
  readonly recordOptions: RecordCheckOptions;
  readonly runId: string;
  readonly expiredToken?: string;
  /** Number of HTTP requests made so far. */
  requestCount = 0;
  /** Requests in a row that got no answer at all. */
  private unanswered = 0;
  /** Things the report should mention about the whole run (fallbacks the suite had to take). */
  readonly notes: string[] = [];
  /** operationIds of the endpoint table answered 2xx at least once: the operations the run really exercised. */
  readonly exercised = new Set<string>();
  /** The last HTTP status each called operation answered. */
  readonly called = new Map<string, number>();
  /** Operations a check could not call, with the reason (no parent record to call it with…). */
  readonly notCallable = new Map<string, string>();
  private readonly basePath: string;
  private readonly tokens = new Map<string, Promise<string>>();
  private readonly getCache = new Map<string, Promise<HttpResult>>();
  private readonly memo = new Map<string, Promise<unknown>>();
  private readonly cleanups: { label: string; fn: () => Promise<void> }[] = [];

  constructor(readonly options: ContextOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.basePath = new URL(this.baseUrl).pathname.replace(/\/+$/, "");
    this.profiles = options.profiles;
    this.lenient = options.lenient;
    this.allowWrites = options.allowWrites;
    this.recordOptions = { lenient: options.lenient, booleans: options.booleans };
    this.runId = options.runId;
    if (options.expiredToken) {
      this.expiredToken = options.expiredToken;
    }
  }

  /** The scope string requested for the default token. */
  get defaultScope(): string {
    return this.options.scope ?? scopesForProfiles(this.profiles).join(" ");
  }

  /** Endpoints of the selected profiles, in table order; `kinds` narrows by operation kind. */
  endpoints(kinds?: readonly Endpoint["kind"][]): Endpoint[] {
    const tiers = new Set([...this.profiles].flatMap((p) => PROFILE_TIERS[p]));
    return ENDPOINTS.filter((e) => tiers.has(e.tier) && (!kinds || kinds.includes(e.kind)));
  }

  /** Absolute URL for a path under the base URL (or an absolute URL as given), with a query string. */
  url(pathOrUrl: string, query?: RequestOptions["query"]): string {
    return buildUrl(this.baseUrl, pathOrUrl, query);
  }

  /** Sends one request through fetchFn and records it. A network error becomes a CheckFailure. */
  async request(method: string, pathOrUrl: string, opts: RequestOptions = {}): Promise<HttpResult> {
    const url = this.url(pathOrUrl, opts.query);
    const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
    const auth = opts.auth ?? { kind: "default" };
    if (auth.kind === "default") {
      headers.authorization = `Bearer ${await this.token()}`;
    } else if (auth.kind === "scoped") {
      headers.authorization = `Bearer ${await this.token(auth.scope)}`;
    } else if (auth.kind === "bearer") {
      headers.authorization = `Bearer ${auth.token}`;
    }
    return this.send(url, { method, headers, ...(opts.body !== undefined ? { body: opts.body } : {}) });
  }

  /** GET with the default token. */
  get(pathOrUrl: string, opts: Omit<RequestOptions, "body"> = {}): Promise<HttpResult> {
    return this.request("GET", pathOrUrl, opts);
  }

  /** PUT of a JSON body, given as text so a check can also send a malformed one. */
  putJson(pathOrUrl: string, body: string, auth?: Auth): Promise<HttpResult> {
    return this.request("PUT", pathOrUrl, { auth, headers: { "content-type": "application/json" }, body });
  }

  /** GET with the default token, answered from cache when the same URL was read before (reads only). */
  cachedGet(pathOrUrl: string, query?: RequestOptions["query"]): Promise<HttpResult> {
    const key = this.url(pathOrUrl, query);
    return cachedUnlessFailed(this.getCache, key, () => this.get(key));
  }

  /** Forgets cached reads, after the suite wrote something. */
  clearCache(): void {
    this.getCache.clear();
  }

  /** Memoises a discovery step shared by several checks (ids, resolved parameters, write fixtures). */
  once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let hit = this.memo.get(key) as Promise<T> | undefined;
    if (!hit) {
      hit = fn();
      this.memo.set(key, hit);
    }
    return hit;
  }

  /** Posts a token request with the given form fields and Basic credentials (or none). RFC 6749 §4.4. */
  tokenRequest(
    form: Record<string, string>,
    credentials: { id: string; secret: string } | null = {
      id: this.options.clientId,
      secret: this.options.clientSecret,
    },
  ): Promise<HttpResult> {
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    if (credentials) {
      headers.authorization = basicCredentials(credentials.id, credentials.secret);
    }
    return this.send(this.options.tokenUrl, { method: "POST", headers, body: formBody(form) });
  }

  /** An access token for a scope string (default: the profiles' scopes); cached per scope. */
  token(scope: string = this.defaultScope): Promise<string> {
    return cachedUnlessFailed(this.tokens, scope, () => this.fetchToken(scope));
  }

  private async fetchToken(scope: string): Promise<string> {
    const creds = { id: this.options.clientId, secret: this.options.clientSecret };
    const grant = { grant_type: "client_credentials" };
    const first = await this.tokenRequest({ ...grant, ...(scope ? { scope } : {}) }, creds);
    const accessToken = (res: HttpResult) =>
      res.status === 200 ? (res.json as { access_token?: unknown } | undefined)?.access_token : undefined;
    let token = accessToken(first);
    // Real providers differ (notes §6.2, §6.3): some grant only their default scopes, some want the client
    // credentials in the form body. Both fallbacks apply to the default token only, never to a scoped probe.
    if (typeof token !== "string" && scope === this.defaultScope) {
      if (scope) {
        token = accessToken(await this.tokenRequest(grant, creds));
        if (typeof token === "string") {
          this.notes.push(
            `the token endpoint refused the scopes "${scope}"; the suite runs with the client's default scopes`,
          );
        }
      }
      if (typeof token !== "string") {
        token = accessToken(
          await this.tokenRequest(
            { ...grant, ...(scope ? { scope } : {}), client_id: creds.id, client_secret: creds.secret },
            null,
          ),
        );
        if (typeof token === "string") {
          this.notes.push(
            "the token endpoint refused HTTP Basic client authentication; the suite sends credentials in the form body",
          );
        }
      }
    }
    if (typeof token !== "string") {
      throw new CheckFailure({
        message: `could not obtain an access token for scope "${scope}": token endpoint answered ${first.status}`,
        exchange: first.exchange,
      });
    }
    return token;
  }

  /** Registers an undo step for something the suite wrote; run by runChecks at the end, newest first. */
  addCleanup(label: string, fn: () => Promise<void>): void {
    this.cleanups.push({ label, fn });
  }

  /** Registers a DELETE of a path as a cleanup whatever it answers, for an object the provider should not hold. */
  deleteLater(path: string): void {
    this.addCleanup(`DELETE ${path}`, async () => {
      await this.request("DELETE", path);
    });
  }

  /** Runs every cleanup, newest first; returns the labels of those that failed and why. */
  async runCleanups(): Promise<string[]> {
    const failed: string[] = [];
    while (this.cleanups.length > 0) {
      const step = this.cleanups.pop();
      if (!step) {
        break;
      }
      try {
        await step.fn();
      } catch (err) {
        failed.push(`${step.label}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return failed;
  }

  /** Records which operation of the table a request called (Link URLs may carry another origin: paths decide). */
  private countOperation(method: string, url: string, status: number): void {
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      return;
    }
    if (!path.startsWith(`${this.basePath}/`)) {
      return;
    }
    const rest = path.slice(this.basePath.length);
    const hit = OPERATION_MATCHERS.find((m) => m.endpoint.method === method && m.re.test(rest));
    if (!hit) {
      return;
    }
    this.called.set(hit.endpoint.operationId, status);
    if (status >= 200 && status < 300) {
      this.exercised.add(hit.endpoint.operationId);
    }
  }

  private async send(
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ): Promise<HttpResult> {
    const request: RecordedRequest = {
      method: init.method,
      url,
      headers: redactHeaders(init.headers),
      ...(init.body !== undefined ? { body: redactBody(init.body).slice(0, BODY_EXCERPT) } : {}),
    };
    if (this.unanswered >= GIVE_UP_AFTER) {
      // A provider that is down would otherwise cost one timeout per request for the rest of the run.
      const reason = `not sent: the last ${GIVE_UP_AFTER} requests got no answer`;
      throw new CheckFailure({ message: `${init.method} ${url} ${reason}`, exchange: { request, error: reason } });
    }
    this.requestCount++;
    let res: Response;
    try {
      res = await this.options.fetchFn(url, { ...init, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (err) {
      this.unanswered++;
      // fetch's own message ("fetch failed") says little; its cause names the failure (ECONNREFUSED, ENOTFOUND…).
      const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
      const reason = err instanceof Error ? `${err.name}: ${err.message}${cause}` : String(err);
      throw new CheckFailure({
        message: `${init.method} ${url} got no answer (${reason})`,
        exchange: { request, error: reason },
      });
    }
    this.unanswered = 0;
    const text = await res.text();
    let json: unknown;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const v = res.headers.get(name);
      if (v !== null) {
        headers[name] = v;
      }
    }
    const exchange: Exchange = {
      request,
      response: { status: res.status, headers, body: redactBody(text).slice(0, BODY_EXCERPT) },
    };
    this.countOperation(init.method, url, res.status);
    return { status: res.status, headers: res.headers, text, json, url, exchange };
  }
}
