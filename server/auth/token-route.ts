// POST /oauth/token: OAuth 2 client_credentials (RFC 6749 §4.4) issuing ES256 JWT access tokens (RFC 9068 shape).
// Client auth by HTTP Basic, form body or JSON body; every failure is an RFC 6749 §5.2 JSON error, never a 500.
import { and, eq, isNull } from "drizzle-orm";
import type { Context, Hono } from "hono";
import { ALL_SCOPES } from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";
import { findingCode, strictRefusal, type TokenDeviation } from "../clients/leniency.js";
import type { DbHealth } from "../db/health.js";
import { oauthClients } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import type { QuirkName } from "../faults/presets.js";
import type { QuirkStore } from "../faults/store.js";
import { BodyError, limitBody, parseJsonBody, readBodyText } from "../http/body.js";
import { TOKEN_BODY_BYTES } from "../http/limits.js";
import { errorFields } from "../log.js";
import { verifySecret } from "./secrets.js";
import { signAccessToken } from "./sign.js";

export const TOKEN_PATH = "/oauth/token";
const KNOWN_SCOPES: ReadonlySet<string> = new Set(ALL_SCOPES);
/** What a client should send, quoted in the errors that are about the request's form. */
const HOW_TO =
  "send POST with Content-Type application/x-www-form-urlencoded, body grant_type=client_credentials, and the client credentials in HTTP Basic (RFC 6749 §4.4.2, §2.3.1)";
/** Longest client_id, client_secret and scope accepted; ours are far shorter, and each is bounded before any lookup. */
const PARAM_MAX_LENGTH = { client_id: 256, client_secret: 1024, scope: 4096, grant_type: 64 } as const;
/** RFC 6749 Appendix A.1/A.2: client_id and client_secret are VSCHAR, printable ASCII (%x20-7E). */
const VSCHARS = /^[\x20-\x7e]*$/;
/** RFC 6749 Appendix A.4: scope tokens are NQCHAR without space, joined by single spaces. */
const SCOPE_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "server_error"
  | "temporarily_unavailable";

/** An RFC 6749 §5.2 error; thrown inside this module only and rendered by the route. */
class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly status: 400 | 401 | 405 | 413 | 500 | 503 = 400,
  ) {
    super(description);
  }
}

const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;

function renderOAuthError(c: Context<AppEnv>, err: OAuthError, quirks: ReadonlySet<QuirkName> = new Set()): Response {
  for (const [k, v] of Object.entries(NO_STORE)) {
    c.header(k, v);
  }
  if (err.status === 401) {
    // RFC 6749 §5.2: invalid_client via 401 carries a WWW-Authenticate challenge for the scheme used.
    const scheme = quirks.has("bearer-challenge-on-basic") ? "Bearer" : "Basic";
    c.header("WWW-Authenticate", `${scheme} realm="rosterlab"`);
  }
  if (err.status === 405) {
    c.header("Allow", "POST");
  }
  return c.json({ error: err.code, error_description: err.description }, err.status);
}

/** Request parameters; a parameter sent twice is an error (RFC 6749 §3.2). */
type Params = Map<string, string>;

function paramsFromForm(text: string): Params {
  const params: Params = new Map();
  for (const [key, value] of new URLSearchParams(text)) {
    if (params.has(key)) {
      throw new OAuthError("invalid_request", `parameter ${key} is repeated`);
    }
    params.set(key, value);
  }
  return params;
}

function paramsFromJson(text: string): Params {
  let body: unknown;
  try {
    body = parseJsonBody(text);
  } catch (e) {
    const why = e instanceof BodyError ? e.message : "body is not valid JSON";
    throw new OAuthError("invalid_request", `${why}; or ${HOW_TO}`);
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new OAuthError("invalid_request", `a JSON body must be an object of string parameters; or ${HOW_TO}`);
  }
  const params: Params = new Map();
  for (const [key, value] of Object.entries(body)) {
    if (typeof value !== "string") {
      throw new OAuthError(
        "invalid_request",
        `parameter ${key} must be a string, as in {"grant_type":"client_credentials"}`,
      );
    }
    params.set(key, value);
  }
  return params;
}

/**
 * The request's parameters, from a body whose size the route's limit already capped while it streamed in. A JSON
 * body, and parameters in the query string with an empty body, are deviations (RFC 6749 §4.4.2): noted here,
 * accepted or refused per client once the client is known.
 */
async function readParams(c: Context<AppEnv>, deviations: TokenDeviation[]): Promise<Params> {
  let text: string;
  try {
    text = await readBodyText(c);
  } catch (e) {
    throw new OAuthError("invalid_request", `${(e as Error).message}; ${HOW_TO}`);
  }
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const query = new URL(c.req.url).searchParams;
  if (text.trim() === "" && query.has("grant_type")) {
    deviations.push("params-in-query");
    return paramsFromForm(query.toString());
  }
  if (text.trim() === "") {
    throw new OAuthError("invalid_request", `the request body is empty: ${HOW_TO}`);
  }
  if (type === "application/x-www-form-urlencoded" || (type === "" && !text.trim().startsWith("{"))) {
    return paramsFromForm(text);
  }
  if (type === "application/json" || type === "") {
    deviations.push("json-body");
    return paramsFromJson(text);
  }
  throw new OAuthError(
    "invalid_request",
    `unsupported Content-Type ${type}: ${HOW_TO} (application/json is also read)`,
  );
}

/** Bounds and character set of the parameters we look up or echo, so none reaches the database malformed. */
function checkParams(params: Params): void {
  for (const [name, max] of Object.entries(PARAM_MAX_LENGTH)) {
    const value = params.get(name);
    if (value !== undefined && value.length > max) {
      throw new OAuthError(
        "invalid_request",
        `${name} is longer than ${max} characters; send the value you were issued`,
      );
    }
  }
  for (const name of ["client_id", "client_secret", "grant_type"] as const) {
    const value = params.get(name);
    if (value !== undefined && !VSCHARS.test(value)) {
      throw new OAuthError(
        "invalid_request",
        `${name} may hold printable ASCII characters only (RFC 6749 Appendix A); remove control or non-ASCII characters`,
      );
    }
  }
  const scope = params.get("scope");
  if (scope !== undefined && !SCOPE_CHARS.test(scope)) {
    throw new OAuthError(
      "invalid_request",
      "scope may hold printable ASCII without quotes or backslashes, tokens separated by spaces (RFC 6749 §3.3)",
    );
  }
}

/** `application/x-www-form-urlencoded` decoding of one credential (RFC 6749 §2.3.1: '+' is a space). */
function formDecode(value: string, what: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    throw new OAuthError(
      "invalid_request",
      `malformed Basic credentials: ${what} is not valid URL encoding; percent-encode the id and secret before base64 (RFC 6749 §2.3.1)`,
    );
  }
}

interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  /** Basic credentials exactly as sent, when form-decoding changed them (tried when the decoded pair fails). */
  raw?: { clientId: string; clientSecret: string };
  /** Set when the Basic credentials were not valid form encoding: refused unless the raw pair matches. */
  undecodable?: OAuthError;
}

/**
 * client_secret_basic: base64(urlencode(id) ":" urlencode(secret)) (RFC 6749 §2.3.1, RFC 7617). A percent-encoded
 * base64 value is a deviation; `raw` keeps the undecoded pair for a client that did not form-encode.
 */
function basicCredentials(header: string, deviations: TokenDeviation[]): ClientCredentials {
  let match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  const encoded = /^Basic +((?:[A-Za-z0-9+/]|%2[Bb]|%2[Ff])+(?:=|%3[Dd])*) *$/i.exec(header);
  if (!match && encoded?.[1]) {
    deviations.push("basic-url-encoded");
    match = ["", decodeURIComponent(encoded[1])] as unknown as RegExpExecArray;
  }
  if (!match?.[1]) {
    throw new OAuthError(
      "invalid_request",
      "malformed Authorization header: send Basic followed by base64 of client_id:client_secret",
    );
  }
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) {
    throw new OAuthError(
      "invalid_request",
      "malformed Basic credentials: base64-encode client_id, a colon, then client_secret",
    );
  }
  const raw = { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
  let formDecoded: ClientCredentials | undefined;
  try {
    formDecoded = {
      clientId: formDecode(raw.clientId, "client id"),
      clientSecret: formDecode(raw.clientSecret, "client secret"),
    };
  } catch (error) {
    // Not valid form encoding: a client that did not encode may still match with its raw credentials.
    return { ...raw, raw, undecodable: error as OAuthError };
  }
  const differs = formDecoded.clientId !== raw.clientId || formDecoded.clientSecret !== raw.clientSecret;
  return differs ? { ...formDecoded, raw } : formDecoded;
}

/** Exactly one client authentication method per request (RFC 6749 §2.3). */
function clientCredentials(c: Context<AppEnv>, params: Params, deviations: TokenDeviation[]): ClientCredentials {
  const authorization = c.req.header("Authorization");
  const bodyId = params.get("client_id");
  const bodySecret = params.get("client_secret");
  if (authorization !== undefined && authorization.trim() !== "") {
    if (!/^Basic\b/i.test(authorization.trim())) {
      throw new OAuthError(
        "invalid_client",
        "unsupported client authentication scheme: use HTTP Basic with client_id:client_secret, or send them in the body",
        401,
      );
    }
    const basic = basicCredentials(authorization.trim(), deviations);
    if (bodySecret !== undefined) {
      throw new OAuthError(
        "invalid_request",
        "client credentials sent both in the Authorization header and the body: send them in one place only (RFC 6749 §2.3)",
      );
    }
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw new OAuthError(
        "invalid_request",
        "client_id in the body differs from the Authorization header: drop it from the body or make them agree",
      );
    }
    return basic;
  }
  if (bodyId === undefined || bodyId === "") {
    throw new OAuthError(
      "invalid_client",
      "client authentication required: send HTTP Basic client_id:client_secret, or client_id and client_secret in the body",
      401,
    );
  }
  if (bodySecret === undefined) {
    throw new OAuthError(
      "invalid_client",
      "client_secret is missing: send it beside client_id, or use HTTP Basic",
      401,
    );
  }
  return { clientId: bodyId, clientSecret: bodySecret };
}

/** RFC 6749 §3.3: space-delimited, case-sensitive; absent grants everything the client may have. */
function grantedScopes(
  requested: string | undefined,
  allowed: readonly string[],
  quirks: ReadonlySet<QuirkName>,
): string[] {
  const allowedSet = new Set(allowed);
  if (requested === undefined || requested.trim() === "") {
    if (quirks.has("token-error-codes")) {
      throw new OAuthError("invalid_request", "scope is missing");
    }
    if (quirks.has("scope-required")) {
      throw new OAuthError("invalid_scope", "name the scopes you need: this provider has no default scope");
    }
    const all = ALL_SCOPES.filter((s) => allowedSet.has(s));
    if (all.length === 0) {
      throw new OAuthError(
        "invalid_scope",
        "this client is not allowed any scope; ask the provider's operator to grant some",
      );
    }
    return all;
  }
  const tokens = [...new Set(requested.split(" ").filter((s) => s !== ""))];
  const unknown = tokens.filter((s) => !KNOWN_SCOPES.has(s));
  if (unknown.length > 0) {
    throw new OAuthError(
      "invalid_scope",
      `unknown scope: ${unknown.join(" ")}; request v1p1 scopes such as ${ALL_SCOPES[0]}, or leave scope out for all you may have`,
    );
  }
  const denied = tokens.filter((s) => !allowedSet.has(s));
  if (denied.length > 0) {
    throw new OAuthError(
      "invalid_scope",
      `scope not allowed for this client: ${denied.join(" ")}; request only ${allowed.join(" ") || "none"}`,
    );
  }
  return tokens;
}

/** The client row and whether the secret matched, tried as decoded and then as sent raw (a deviation). */
async function authenticateClient(
  deps: AppDeps,
  creds: ClientCredentials,
  deviations: TokenDeviation[],
): Promise<{ clientId: string; scopes: string[]; tokenLeniency: string } | undefined> {
  const find = async (clientId: string) =>
    (
      await deps.db
        .select({
          clientId: oauthClients.clientId,
          secretHash: oauthClients.secretHash,
          scopes: oauthClients.scopes,
          tokenLeniency: oauthClients.tokenLeniency,
        })
        .from(oauthClients)
        .where(and(eq(oauthClients.clientId, clientId), isNull(oauthClients.deletedAt)))
        .limit(1)
    )[0];
  if (!creds.undecodable) {
    const client = await find(creds.clientId);
    // verifySecret runs against a dummy hash when the client is unknown: same time, same answer.
    if ((await verifySecret(creds.clientSecret, client?.secretHash)) && client) {
      return client;
    }
  }
  if (creds.raw) {
    const client = await find(creds.raw.clientId);
    if ((await verifySecret(creds.raw.clientSecret, client?.secretHash)) && client) {
      deviations.push("basic-not-form-encoded");
      return client;
    }
  }
  if (creds.undecodable) {
    throw creds.undecodable;
  }
  return undefined;
}

async function issueToken(c: Context<AppEnv>, deps: AppDeps, quirks: ReadonlySet<QuirkName>): Promise<Response> {
  const deviations: TokenDeviation[] = [];
  const params = await readParams(c, deviations);
  checkParams(params);
  const grantType = params.get("grant_type");
  if (grantType === undefined || grantType === "") {
    throw new OAuthError("invalid_request", "grant_type is missing: add grant_type=client_credentials");
  }
  if (grantType !== "client_credentials" && quirks.has("token-error-codes")) {
    throw new OAuthError("invalid_grant", `grant_type ${grantType} failed`);
  }
  if (grantType !== "client_credentials") {
    throw new OAuthError("unsupported_grant_type", `grant_type ${grantType} is not supported: use client_credentials`);
  }
  const creds = clientCredentials(c, params, deviations);
  checkParams(
    new Map([
      ["client_id", creds.clientId],
      ["client_secret", creds.clientSecret],
    ]),
  );
  const client = await authenticateClient(deps, creds, deviations);
  if (!client) {
    deps.log.info("token refused", { reason: "invalid_client" });
    throw new OAuthError(
      "invalid_client",
      "client authentication failed: check client_id and client_secret against the credentials you were issued",
      401,
    );
  }
  // The request log attributes this request to the client, with the deviations a lenient client got away with.
  c.set("clientId", client.clientId);
  if (deviations.length > 0) {
    if (client.tokenLeniency !== "lenient") {
      throw new OAuthError("invalid_request", strictRefusal(deviations));
    }
    c.set("findings", [...new Set(deviations)].map(findingCode));
  }
  const scopes = grantedScopes(params.get("scope"), client.scopes, quirks);
  const scope = scopes.join(" ");
  const ttl = deps.config.tokenTtlSeconds;
  const accessToken = await signAccessToken(deps.keys, deps.config, client.clientId, scope, deps.clock.now());
  deps.log.info("token issued", { clientId: client.clientId, scope });
  for (const [k, v] of Object.entries(NO_STORE)) {
    c.header(k, v);
  }
  // RFC 6749 §5.1; token_type is case-insensitive, lower case as the notes §6.2 example.
  return c.json({ access_token: accessToken, token_type: "bearer", expires_in: ttl, scope }, 200);
}

/** Mounts POST /oauth/token (and a 405 for other methods on that path). */
export function registerTokenRoute(
  app: Hono<AppEnv>,
  deps: AppDeps & { quirkStore?: QuirkStore; dbHealth: DbHealth },
): void {
  app.use(
    TOKEN_PATH,
    limitBody(TOKEN_BODY_BYTES, (c, error) =>
      renderOAuthError(
        c,
        error.reason === "too_large"
          ? new OAuthError(
              "invalid_request",
              `request body is larger than ${TOKEN_BODY_BYTES} bytes; a token request is grant_type, scope and credentials only`,
              413,
            )
          : new OAuthError("invalid_request", `${error.message}; ${HOW_TO}`),
      ),
    ),
  );
  app.post(TOKEN_PATH, async (c) => {
    const quirks = (await deps.quirkStore?.active()) ?? new Set<QuirkName>();
    try {
      return await issueToken(c, deps, quirks);
    } catch (err) {
      if (err instanceof OAuthError) {
        return renderOAuthError(c, err, quirks);
      }
      if (deps.dbHealth.noteFailure(err) !== undefined) {
        // RFC 6749 names temporarily_unavailable for the authorization endpoint (§4.1.2.1); it says the same here.
        c.header("Retry-After", String(deps.dbHealth.retryAfterSeconds));
        return renderOAuthError(
          c,
          new OAuthError(
            "temporarily_unavailable",
            "the provider's database is unavailable; retry after Retry-After seconds",
            503,
          ),
        );
      }
      deps.log.error("token endpoint failed", errorFields(err));
      return renderOAuthError(
        c,
        new OAuthError("server_error", "the token could not be issued; try again, and report it if it persists", 500),
      );
    }
  });
  app.on(["GET", "PUT", "PATCH", "DELETE", "OPTIONS"], TOKEN_PATH, (c) =>
    renderOAuthError(c, new OAuthError("invalid_request", `the token endpoint accepts POST only: ${HOW_TO}`, 405)),
  );
}
