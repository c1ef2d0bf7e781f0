// The answers transport faults give instead of data: 5xx and 429 with a OneRoster status payload (notes §5), and
// a 401 for a token the `token-expiry` preset or a revocation refuses (RFC 6750 §3.1 invalid_token), each saying why.
import type { Context } from "hono";
import { type CodeMinor, createStatusInfo } from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";

type FaultStatus = 401 | 429 | 500 | 502 | 503 | 504;

function statusPayload(c: Context<AppEnv>, status: FaultStatus, codeMinor: CodeMinor, description: string): Response {
  const body = { statusInfoSet: [createStatusInfo("failure", "error", codeMinor, description, c.get("requestId"))] };
  return c.json(body, status);
}

/** 429 (with or without Retry-After) or a 5xx from a counted preset; `n` is the request count when counted. */
export function faultAnswer(
  c: Context<AppEnv>,
  name: "rate-limit" | "rate-limit-no-retry-after" | "server-errors",
  params: Record<string, unknown>,
  n: number | undefined,
  now: Date,
): Response {
  const which = n === undefined ? "for this request" : `at request ${n}`;
  if (name === "server-errors") {
    const status = params.status as 500 | 502 | 503 | 504;
    const minor: CodeMinor = status === 500 ? "internal_server_error" : "server_busy";
    return statusPayload(c, status, minor, `fault preset server-errors answered ${status} ${which}; try again`);
  }
  if (name === "rate-limit") {
    const seconds = params.retryAfter as number;
    // RFC 9110 §10.2.3: delay-seconds or an HTTP-date.
    c.header(
      "Retry-After",
      params.retryAfterAs === "date" ? new Date(now.getTime() + seconds * 1000).toUTCString() : String(seconds),
    );
    return statusPayload(
      c,
      429,
      "server_busy",
      `fault preset rate-limit ${which}: too many requests; honour Retry-After`,
    );
  }
  return statusPayload(c, 429, "server_busy", `fault preset rate-limit-no-retry-after ${which}: too many requests`);
}

/** 401 invalid_token for a token refused mid-run (expired by a fault, or revoked): get a new token and repeat. */
export function tokenRefusal(c: Context<AppEnv>, description: string): Response {
  const short = description.split(/[;(:]/)[0]?.trim() ?? "invalid token";
  c.header("WWW-Authenticate", `Bearer realm="rosterlab", error="invalid_token", error_description="${short}"`);
  return statusPayload(c, 401, "unauthorisedrequest", description);
}
