// The preflight: before any check runs, make sure the provider can be checked at all (token endpoint reachable,
// client credentials accepted, one authorised read of a collection of the profile). When it cannot, the run stops
// with one message that says what to fix, instead of dozens of failures that all mean "wrong secret".
import { CheckFailure } from "./check.js";
import type { CheckContext, Exchange, HttpResult } from "./context.js";
import { topLevelCollections } from "./discovery.js";

export type PreflightStage = "token" | "read";

export interface PreflightFailure {
  stage: PreflightStage;
  /** One line a person can act on. */
  message: string;
  /** The exchange that proves it (secrets redacted, as everywhere). */
  exchange?: Exchange;
}

/** `error` and `error_description` of an RFC 6749 §5.2 body, as ` code: description` ("" without one). */
function oauthError(exchange: Exchange | undefined): string {
  let body: { error?: unknown; error_description?: unknown } | undefined;
  try {
    body = exchange?.response ? JSON.parse(exchange.response.body) : undefined;
  } catch {
    body = undefined;
  }
  if (typeof body?.error !== "string") {
    return "";
  }
  return ` ${body.error}${typeof body.error_description === "string" ? `: ${body.error_description}` : ""}`;
}

function tokenProblem(ctx: CheckContext, exchange: Exchange | undefined): string {
  const url = ctx.options.tokenUrl;
  if (!exchange?.response) {
    return `cannot reach the token endpoint ${url}: ${exchange?.error ?? "no answer"}`;
  }
  const status = exchange.response.status;
  const rfc = oauthError(exchange);
  if (status === 401 || rfc.startsWith(" invalid_client")) {
    return `the token endpoint ${url} refused the client credentials (HTTP ${status}${rfc}): check the client id and the secret (ONEROSTER_CLIENT_ID, ONEROSTER_CLIENT_SECRET)`;
  }
  if (rfc.startsWith(" invalid_scope")) {
    return `the token endpoint ${url} refused the scopes "${ctx.defaultScope}" (HTTP ${status}${rfc}): name scopes the client holds with --scope`;
  }
  return `the token endpoint ${url} answered HTTP ${status}${rfc} instead of an access token: check --token-url`;
}

function describeRead(res: HttpResult | CheckFailure, path: string): string {
  if (res instanceof CheckFailure) {
    return `${path}: no answer`;
  }
  return `${path}: ${res.status}`;
}

/**
 * Runs the preflight; undefined when the suite can run. A token the provider grants is cached in the context, so
 * the checks reuse it. The read tries the profile's collections in table order until one answers 200 with JSON.
 */
export async function runPreflight(ctx: CheckContext): Promise<PreflightFailure | undefined> {
  try {
    await ctx.token();
  } catch (err) {
    if (!(err instanceof CheckFailure)) {
      throw err;
    }
    const exchange = err.problems[0]?.exchange;
    return { stage: "token", message: tokenProblem(ctx, exchange), ...(exchange ? { exchange } : {}) };
  }
  const tried: string[] = [];
  let firstAnswer: HttpResult | undefined;
  for (const endpoint of topLevelCollections(ctx)) {
    let res: HttpResult;
    try {
      res = await ctx.cachedGet(endpoint.path, { limit: 1 });
    } catch (err) {
      if (!(err instanceof CheckFailure)) {
        throw err;
      }
      const exchange = err.problems[0]?.exchange;
      return {
        stage: "read",
        message: `cannot reach the base URL ${ctx.baseUrl}: ${exchange?.error ?? "no answer"}`,
        ...(exchange ? { exchange } : {}),
      };
    }
    firstAnswer ??= res;
    if (res.status === 401) {
      return {
        stage: "read",
        message: `the provider refused the access token the token endpoint issued (GET ${endpoint.path} answered 401): is --token-url the token endpoint of this provider?`,
        exchange: res.exchange,
      };
    }
    if (res.status === 200 && res.json && typeof res.json === "object") {
      return undefined;
    }
    tried.push(describeRead(res, endpoint.path));
  }
  return {
    stage: "read",
    message: `no collection of the profile could be read under ${ctx.baseUrl} (${tried.join(", ") || "none in the profile"}): check --base-url (it ends in /ims/oneroster/v1p1) and the scopes (--scope)`,
    ...(firstAnswer ? { exchange: firstAnswer.exchange } : {}),
  };
}
