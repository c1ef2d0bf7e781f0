// OneRosterClient: the HTTP side of a v1p1 consumer. OAuth 2 client-credentials tokens cached until shortly before
// expiry and renewed once on a 401; bounded retries with exponential backoff and jitter (p-retry) on 429, 5xx,
// timeouts and dropped connections, honouring Retry-After; a per-request timeout; a cap on concurrent requests
// (p-limit). A whole exchange (status, headers and body) is one attempt, so a body cut mid-way is retried too.
import pLimit, { type LimitFunction } from "p-limit";
import pRetry, { AbortError } from "p-retry";
import { httpStatusError, OneRosterClientError } from "./errors.js";
import { type Page, type PageCursor, type PageFetcher, type WalkOptions, walkPages } from "./pages.js";
import { basicCredentials, buildUrl, formBody, type QueryValues } from "./wire.js";

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** e.g. `https://host/ims/oneroster/v1p1` */
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to ask for; none means the provider's default for the client. */
  scope?: string;
  /** How client credentials travel: HTTP Basic (RFC 6749 §2.3.1, the default) or in the form body. */
  clientAuth?: "basic" | "post";
  fetchFn?: FetchFn;
  /** Per attempt, including reading the body. Default 30 s. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 5. */
  retries?: number;
  /** First backoff delay; doubles per retry, with jitter. Default 500 ms. */
  minRetryDelayMs?: number;
  /** Largest backoff delay. Default 30 s. */
  maxRetryDelayMs?: number;
  /** A Retry-After longer than this is cut to it. Default 120 s. */
  maxRetryAfterMs?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Renew a token this long before it expires. Default 60 s. */
  renewBeforeMs?: number;
  /** Waits between attempts (tests pass a recording one). Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch, for token lifetimes. Default Date.now. */
  now?: () => number;
  /** Observes requests, retries and token renewals (progress, logs). Never receives secrets or tokens. */
  onEvent?: (event: ClientEvent) => void;
}

export type ClientEvent =
  | { type: "request"; method: string; url: string; status: number; ms: number; attempt: number }
  | { type: "retry"; method: string; url: string; attempt: number; reason: string; waitMs: number }
  | { type: "token"; expiresInSeconds: number; renewal: boolean };

export interface ClientResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: unknown;
  url: string;
}

export interface RequestOptions {
  query?: QueryValues;
  /** A JSON value (sent with Content-Type application/json). */
  body?: unknown;
}

/** HTTP statuses worth another attempt: timeouts, rate limits and server-side failures (notes §5.1). */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** A failed attempt that may succeed later; carries the wait the provider asked for. */
class RetryableFailure extends Error {
  constructor(
    message: string,
    readonly code: "HTTP_STATUS" | "NETWORK" | "TIMEOUT",
    readonly retryAfterMs?: number,
    readonly response?: ClientResponse,
  ) {
    super(message);
  }
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in ms; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === "") {
    return undefined;
  }
  if (/^\s*\d+\s*$/.test(value)) {
    return Number(value) * 1000;
  }
  // Every HTTP-date form starts with a day name; anything else (`1.5`, `-5`) is unreadable, not a date in 2001.
  if (!/^\s*[A-Za-z]{3}/.test(value)) {
    return undefined;
  }
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function parseJson(text: string): unknown {
  if (text.length === 0) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class OneRosterClient {
  readonly baseUrl: string;
  private readonly fetchFn: FetchFn;
  private readonly limit: LimitFunction;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private token?: { value: string; renewAt: number };
  private pendingToken?: Promise<string>;
  /**
   * No request leaves before this instant (ms since the epoch). A 429 sets it, so every request of this client
   * waits out the provider's Retry-After (or the backoff), not only the one refused (RFC 6585 §4).
   */
  private notBefore = 0;
  /** Requests sent, retries included. */
  requestCount = 0;
  /** Retries made. */
  retryCount = 0;
  /** Tokens obtained. */
  tokenCount = 0;

  constructor(readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.fetchFn = options.fetchFn ?? ((input, init) => fetch(input, init));
    this.limit = pLimit(options.concurrency ?? 4);
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? Date.now;
  }

  /** A valid access token: the cached one until shortly before expiry, else a new one (one request at a time). */
  async accessToken(): Promise<string> {
    if (this.token && this.now() < this.token.renewAt) {
      return this.token.value;
    }
    this.pendingToken ??= this.fetchToken().finally(() => {
      this.pendingToken = undefined;
    });
    return this.pendingToken;
  }

  /** Forgets a token the provider refused, so the next call gets a fresh one. */
  private dropToken(value: string): void {
    if (this.token?.value === value) {
      this.token = undefined;
    }
  }

  private async fetchToken(): Promise<string> {
    const o = this.options;
    const form: Record<string, string> = { grant_type: "client_credentials", ...(o.scope ? { scope: o.scope } : {}) };
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    if ((o.clientAuth ?? "basic") === "basic") {
      headers.authorization = basicCredentials(o.clientId, o.clientSecret);
    } else {
      form.client_id = o.clientId;
      form.client_secret = o.clientSecret;
    }
    let res: ClientResponse;
    try {
      res = await this.exchange("POST", o.tokenUrl, headers, formBody(form));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new OneRosterClientError("TOKEN_FAILED", `token request to ${o.tokenUrl} failed: ${why}`, {
        url: o.tokenUrl,
        cause: err,
      });
    }
    const body = (res.json ?? {}) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    if (res.status !== 200 || typeof body.access_token !== "string") {
      // RFC 6749 §5.2: error and error_description say what to change.
      const rfc = typeof body.error === "string" ? ` (${body.error}${errorDescription(res.json)})` : "";
      throw new OneRosterClientError(
        "TOKEN_FAILED",
        `the token endpoint ${o.tokenUrl} answered ${res.status}${rfc}; check the client id, secret and scopes`,
        { status: res.status, url: o.tokenUrl },
      );
    }
    const ttl = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 3600;
    const renewBefore = Math.min(o.renewBeforeMs ?? 60_000, (ttl * 1000) / 2);
    const renewal = this.tokenCount > 0;
    this.tokenCount++;
    this.token = { value: body.access_token, renewAt: this.now() + ttl * 1000 - renewBefore };
    o.onEvent?.({ type: "token", expiresInSeconds: ttl, renewal });
    return body.access_token;
  }

  /**
   * Sends one request with the bearer token and the retry policy. Returns the answer for any status that is not
   * worth retrying (the caller judges 4xx); throws OneRosterClientError when every attempt failed.
   */
  request(method: string, pathOrUrl: string, options: RequestOptions = {}): Promise<ClientResponse> {
    const url = buildUrl(this.baseUrl, pathOrUrl, options.query);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    return this.limit(async () => {
      let renewed = false;
      for (;;) {
        const token = await this.accessToken();
        const headers: Record<string, string> = { accept: "application/json", authorization: `Bearer ${token}` };
        if (body !== undefined) {
          headers["content-type"] = "application/json";
        }
        const res = await this.exchange(method, url, headers, body);
        // A token can expire or be revoked mid-run: renew once, then let a second 401 through (notes §6.2).
        if (res.status === 401 && !renewed) {
          renewed = true;
          this.dropToken(token);
          continue;
        }
        return res;
      }
    });
  }

  /** GET that must answer 200; anything else throws HTTP_STATUS with the provider's status payload. */
  async getOk(pathOrUrl: string, query?: QueryValues): Promise<ClientResponse> {
    const res = await this.request("GET", pathOrUrl, query ? { query } : {});
    if (res.status !== 200) {
      throw httpStatusError("GET", res);
    }
    return res;
  }

  /** Every page of a collection (see walkPages), fetched through this client. */
  pages(options: WalkOptions): AsyncGenerator<Page<ClientResponse>> {
    const fetchPage: PageFetcher<ClientResponse> = (path, query) => this.request("GET", path, { query });
    return walkPages(fetchPage, options);
  }

  /** One attempt-loop of a raw exchange: timeout per attempt, retries with backoff and Retry-After. */
  private async exchange(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<ClientResponse> {
    const o = this.options;
    const timeoutMs = o.timeoutMs ?? 30_000;
    let attempt = 0;
    // True while a retry has just served its wait (onFailedAttempt): it is not held a second time.
    let waited = false;
    const once = async (): Promise<ClientResponse> => {
      const held = waited ? 0 : this.notBefore - this.now();
      waited = false;
      if (held > 0) {
        await this.sleep(held);
      }
      attempt++;
      this.requestCount++;
      const started = performance.now();
      let res: Response;
      let text: string;
      try {
        const signal = AbortSignal.timeout(timeoutMs);
        res = await this.fetchFn(url, { method, headers, ...(body !== undefined ? { body } : {}), signal });
        // Reading the body belongs to the attempt: a connection dropped mid-body is retried like any other.
        text = await res.text();
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
        const why = err instanceof Error ? `${err.name}: ${err.message}${causeOf(err)}` : String(err);
        throw new RetryableFailure(
          timedOut ? `no answer within ${timeoutMs} ms` : `no answer (${why})`,
          timedOut ? "TIMEOUT" : "NETWORK",
        );
      }
      const answer: ClientResponse = { status: res.status, headers: res.headers, text, json: parseJson(text), url };
      o.onEvent?.({ type: "request", method, url, status: res.status, ms: performance.now() - started, attempt });
      if (RETRY_STATUSES.has(res.status)) {
        if (res.status === 429) {
          // Held at once, before the retry policy runs: other walks must not slip a request in meanwhile.
          const asked = retryAfterMs(res.headers.get("retry-after"), this.now()) ?? o.minRetryDelayMs ?? 500;
          this.notBefore = Math.max(this.notBefore, this.now() + Math.min(asked, o.maxRetryAfterMs ?? 120_000));
        }
        throw new RetryableFailure(
          `answered ${res.status}`,
          "HTTP_STATUS",
          retryAfterMs(res.headers.get("retry-after"), this.now()),
          answer,
        );
      }
      return answer;
    };
    const minDelay = o.minRetryDelayMs ?? 500;
    const maxDelay = o.maxRetryDelayMs ?? 30_000;
    try {
      return await pRetry(once, {
        retries: o.retries ?? 5,
        // p-retry decides whether to retry; every wait goes through this.sleep (below), so it waits no time itself.
        minTimeout: 0,
        maxTimeout: 0,
        shouldRetry: ({ error }) => error instanceof RetryableFailure,
        onFailedAttempt: async ({ error, retriesLeft, attemptNumber }) => {
          if (!(error instanceof RetryableFailure) || retriesLeft === 0) {
            return;
          }
          this.retryCount++;
          // Exponential backoff with jitter (doubling from minDelay, up to maxDelay); a longer Retry-After
          // (RFC 9110 §10.2.3), bounded by maxRetryAfterMs, wins.
          const backoff = Math.min(maxDelay, Math.round((1 + Math.random()) * minDelay * 2 ** (attemptNumber - 1)));
          const asked = Math.min(error.retryAfterMs ?? 0, o.maxRetryAfterMs ?? 120_000);
          const waitMs = Math.max(backoff, asked);
          if (error.response?.status === 429) {
            this.notBefore = Math.max(this.notBefore, this.now() + waitMs);
          }
          o.onEvent?.({ type: "retry", method, url, attempt: attemptNumber, reason: error.message, waitMs });
          if (waitMs > 0) {
            await this.sleep(waitMs);
          }
          waited = true;
        },
      });
    } catch (err) {
      if (err instanceof RetryableFailure) {
        if (err.response) {
          // Out of retries on a retryable status: hand the last answer back; callers judge it like any other.
          return err.response;
        }
        throw new OneRosterClientError(err.code, `${method} ${url}: ${err.message} after ${attempt} attempts`, {
          url,
          attempts: attempt,
        });
      }
      if (err instanceof AbortError) {
        throw err.originalError;
      }
      throw err;
    }
  }
}

function errorDescription(json: unknown): string {
  const d = (json as { error_description?: unknown } | undefined)?.error_description;
  return typeof d === "string" ? `: ${d}` : "";
}

function causeOf(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? ` (${cause.message})` : "";
}

export type { PageCursor };
