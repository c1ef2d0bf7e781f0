// createApp(deps): builds the Hono app — request ids, input bounds, the database gate, the token endpoint, JWKS,
// /health, every OneRoster route, the admin API, and the one error renderer. No I/O at import time; main.ts serves it.
import { randomUUID } from "node:crypto";
import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { ONEROSTER_BASE_PATH } from "../oneroster/index.js";
import { registerAdminRoutes } from "./admin/routes.js";
import type { AppEnv } from "./app-env.js";
import { registerJwksRoute } from "./auth/keys.js";
import { registerTokenRoute, TOKEN_PATH } from "./auth/token-route.js";
import { createPageCache } from "./cache/page-cache.js";
import { registerClientAdminRoutes } from "./clients/admin-routes.js";
import { createClientDirectory } from "./clients/directory.js";
import { registerDashboardRoutes } from "./dashboard/routes.js";
import { createDbHealth, type DbHealth } from "./db/health.js";
import type { AppDeps } from "./deps.js";
import { ApiError, renderError } from "./errors.js";
import { registerFaultHook } from "./faults/engine.js";
import { createFaultStore } from "./faults/store.js";
import { requestHeader } from "./http/headers.js";
import { URL_MAX_LENGTH } from "./http/limits.js";
import { errorFields } from "./log.js";
import { DOCS_PATH, OPENAPI_PATH } from "./openapi/document.js";
import { registerOpenApiRoutes } from "./openapi/routes.js";
import { registerRequestLogAdminRoutes } from "./request-log/admin-routes.js";
import { registerRequestLogHook } from "./request-log/hook.js";
import { createRequestLog } from "./request-log/writer.js";
import { originOf, type RouteDeps } from "./routes/context.js";
import { HEALTH_PATH, registerHealthRoute } from "./routes/health.js";
import { registerOneRosterRoutes } from "./routes/index.js";
import { registerScorecardRoutes } from "./scorecard/admin-routes.js";

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

/** True when a raw path or query string carries a NUL, encoded or not. */
function hasNul(raw: string): boolean {
  return raw.includes("%00") || raw.includes("\u0000");
}

/** The request target as the client sent it (path and query), without scheme and host. */
function requestTarget(c: Context<AppEnv>): string {
  const url = c.req.url;
  const afterScheme = url.indexOf("//");
  const pathStart = url.indexOf("/", afterScheme + 2);
  return pathStart < 0 ? "/" : url.slice(pathStart);
}

/** The 503 every request gets while the database is down (Retry-After) or its engine has failed. */
export function databaseDownError(health: DbHealth): ApiError {
  return health.state() === "failed"
    ? new ApiError("unavailable", "the database engine has failed; the provider is stopping and must be restarted")
    : new ApiError("unavailable", "the database is unavailable; retry after the time in Retry-After", {
        "Retry-After": String(health.retryAfterSeconds),
      });
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const dbHealth =
    deps.dbHealth ??
    createDbHealth(deps.db, {
      onFatal: (error) => {
        deps.log.error("database engine failed", errorFields(error));
        deps.onFatal?.(error);
      },
    });
  const routeDeps: RouteDeps = {
    ...deps,
    dbHealth,
    quirkStore: createFaultStore(deps.db, deps.clock, [
      ...[...(deps.quirks ?? [])].map((name) => ({ name, params: {} })),
      ...(deps.faults ?? []),
    ]),
    pageCache: deps.pageCache ?? createPageCache(0),
    tokenCache: new Map(),
  };
  const requestLog =
    deps.requestLog ??
    createRequestLog(deps.db, deps.clock, deps.log, {
      retentionDays: deps.config.requestLogDays,
      maxRows: deps.config.requestLogMaxRows,
    });
  // The log writes nothing while the database breaker is open, so an outage stays free of connection attempts.
  requestLog.whenAvailable(() => dbHealth.state() === "ok");
  const testServerDeps = { ...routeDeps, clients: createClientDirectory(deps.db), requestLog };

  app.use("*", async (c, next) => {
    const given = requestHeader(c, "x-request-id");
    const requestId = given && REQUEST_ID_RE.test(given) ? given : randomUUID();
    c.set("requestId", requestId);
    c.header("X-Request-Id", requestId);
    const target = requestTarget(c);
    c.set("target", target);
    if (target.length > URL_MAX_LENGTH) {
      throw new ApiError(
        "uri_too_long",
        `the request target is ${target.length} characters; the limit is ${URL_MAX_LENGTH}. Shorten the filter (fewer OR terms, or several requests)`,
      );
    }
    // Postgres text cannot hold NUL, so such an id or value could never match anything: refuse it up front.
    if (hasNul(target)) {
      throw new ApiError(
        "invalid_data",
        "the request contains a NUL character (%00), which no OneRoster value can hold",
      );
    }
    // During an outage every request answers 503 at once instead of queueing for a connection (see db/health.ts).
    if (dbHealth.state() !== "ok" && new URL(c.req.url).pathname !== HEALTH_PATH) {
      throw databaseDownError(dbHealth);
    }
    await next();
  });
  registerRequestLogHook(app, testServerDeps);

  app.get("/", (c) => {
    const origin = originOf(c, deps);
    return c.json({
      name: "rosterlab OneRoster v1p1 provider",
      baseUrl: `${origin}${ONEROSTER_BASE_PATH}`,
      tokenUrl: `${origin}${TOKEN_PATH}`,
      jwksUrl: `${origin}/.well-known/jwks.json`,
      healthUrl: `${origin}${HEALTH_PATH}`,
      openapiUrl: `${origin}${OPENAPI_PATH}`,
      docsUrl: `${origin}${DOCS_PATH}`,
    });
  });
  registerHealthRoute(app, routeDeps);
  registerOpenApiRoutes(app, deps);
  registerTokenRoute(app, routeDeps);
  registerJwksRoute(app, deps.keys);
  registerFaultHook(app, testServerDeps);
  registerOneRosterRoutes(app, routeDeps);
  registerAdminRoutes(app, routeDeps);
  registerClientAdminRoutes(app, testServerDeps);
  registerRequestLogAdminRoutes(app, testServerDeps);
  registerScorecardRoutes(app, testServerDeps);
  registerDashboardRoutes(app, testServerDeps);

  app.notFound((c) => {
    const err = new ApiError("not_found", `no such endpoint: ${c.req.method} ${new URL(c.req.url).pathname}`);
    return c.json(renderError(err, c.get("requestId")), 404);
  });

  app.onError((error, c) => {
    const requestId = c.get("requestId");
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.headers)) {
        c.header(name, value);
      }
      return c.json(renderError(error, requestId), error.status);
    }
    if (error instanceof HTTPException && error.status < 500) {
      const mapped = new ApiError(
        error.status === 413 ? "payload_too_large" : "invalid_data",
        error.message || "bad request",
      );
      return c.json(renderError(mapped, requestId), mapped.status);
    }
    if (dbHealth.noteFailure(error) !== undefined) {
      const down = databaseDownError(dbHealth);
      deps.log.error("database unavailable", { requestId, state: dbHealth.state(), ...errorFields(error) });
      for (const [name, value] of Object.entries(down.headers)) {
        c.header(name, value);
      }
      return c.json(renderError(down, requestId), down.status);
    }
    // Unexpected: one log line with the request id and the error (never its SQL parameters); the client sees a
    // generic payload only.
    deps.log.error("unhandled error", {
      requestId,
      method: c.req.method,
      // The route pattern, not the path: a path can hold a student's sourcedId, which logs never carry.
      route: c.req.routePath,
      ...errorFields(error),
    });
    const generic = new ApiError("internal", `internal error; quote request id ${requestId} when reporting it`);
    return c.json(renderError(generic, requestId), 500);
  });
  return app;
}
