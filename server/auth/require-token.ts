// Bearer-token checks for data requests: verifyBearer (jose, ES256, iss, aud, exp against the injected clock) and
// requireScope. Both throw ApiError (401 unauthorisedrequest / 403 forbidden); the router calls them per endpoint.
import { errors, type JWTPayload, jwtVerify } from "jose";
import type { AppDeps } from "../deps.js";
import { ApiError } from "../errors.js";
import { TOKEN_ALG } from "./keys.js";

export interface AuthContext {
  clientId: string;
  scopes: ReadonlySet<string>;
  /** The token's `exp`, in epoch milliseconds (a required claim). */
  expiresAtMs: number;
  /** The token's `iat`, in epoch milliseconds (a required claim of ours). */
  issuedAtMs?: number;
  /** The token's `jti`, when it has one (ours always do): counts a token's uses without keeping the token. */
  tokenId?: string;
}

/** The JWT `typ` of our access tokens (RFC 9068 §2.1). */
export const ACCESS_TOKEN_TYP = "at+jwt";
const REALM = "rosterlab";

/** RFC 6750 §3: a request without credentials gets the challenge without an error code; a bad token gets one. */
function challenge(description?: string): Record<string, string> {
  const value =
    description === undefined
      ? `Bearer realm="${REALM}"`
      : `Bearer realm="${REALM}", error="invalid_token", error_description="${description.replace(/["\\]/g, "")}"`;
  return { "WWW-Authenticate": value };
}

function unauthorized(description: string, withErrorCode = true): ApiError {
  return new ApiError("unauthorized", description, challenge(withErrorCode ? description : undefined));
}

/** Maps a jose failure to a description that says what is wrong, without echoing the token. */
function describeJoseError(err: unknown): string {
  if (err instanceof errors.JWTExpired) {
    return "token expired";
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return "token signature is invalid";
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (claim === "aud") {
      return "token audience is wrong";
    }
    if (claim === "iss") {
      return "token issuer is wrong";
    }
    if (claim === "typ") {
      return "token type is wrong";
    }
    if (claim === "nbf") {
      return "token is not valid yet";
    }
    return `token claim ${claim} is invalid`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return `token algorithm is not accepted (${TOKEN_ALG} only)`;
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) {
    return "token is malformed";
  }
  return "token is invalid";
}

/** The claims we issue, checked after the signature: a missing or mistyped claim makes the token invalid. */
function toAuthContext(payload: JWTPayload): AuthContext {
  const clientId = typeof payload.client_id === "string" ? payload.client_id : payload.sub;
  if (typeof clientId !== "string" || clientId === "" || typeof payload.scope !== "string") {
    throw unauthorized("token lacks client_id or scope claims");
  }
  return {
    clientId,
    scopes: new Set(payload.scope.split(" ").filter((s) => s !== "")),
    expiresAtMs: (payload.exp ?? 0) * 1000,
    issuedAtMs: (payload.iat ?? 0) * 1000,
    ...(typeof payload.jti === "string" ? { tokenId: payload.jti } : {}),
  };
}

/**
 * Verifies `Authorization: Bearer <jwt>` (RFC 6750 §2.1) with our public key: ES256 only, issuer and audience from
 * config, expiry against deps.clock. `acceptExpired` implements the `accept-expired-tokens` quirk: an otherwise
 * valid token whose only fault is `exp` is accepted.
 */
export async function verifyBearer(
  deps: AppDeps,
  authorization: string | undefined,
  opts: { acceptExpired?: boolean } = {},
): Promise<AuthContext> {
  if (authorization === undefined || authorization.trim() === "") {
    throw unauthorized("missing bearer token: send Authorization: Bearer <access token>", false);
  }
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
  if (!match?.[1]) {
    throw unauthorized("malformed Authorization header: expected Bearer <access token>");
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(match[1], deps.keys.publicKey, {
      algorithms: [TOKEN_ALG],
      issuer: deps.config.issuer,
      audience: deps.config.audience,
      typ: ACCESS_TOKEN_TYP,
      currentDate: deps.clock.now(),
      requiredClaims: ["exp", "iat"],
    }));
  } catch (err) {
    // jose checks exp last, after the signature, iss, aud and typ, so a JWTExpired payload is otherwise valid.
    if (opts.acceptExpired && err instanceof errors.JWTExpired && err.claim === "exp") {
      payload = err.payload;
    } else {
      throw unauthorized(describeJoseError(err));
    }
  }
  return toAuthContext(payload);
}

/** Throws 403 forbidden unless the token holds at least one of `anyOf` (notes §6.2). An empty list allows all. */
export function requireScope(auth: AuthContext, anyOf: readonly string[]): void {
  if (anyOf.length === 0 || anyOf.some((s) => auth.scopes.has(s))) {
    return;
  }
  throw new ApiError("forbidden", `token lacks scope: needs one of ${anyOf.join(" ")}`);
}
