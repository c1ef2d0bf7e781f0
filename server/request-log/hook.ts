// Records every token and OneRoster request in the request log once it has been answered: who (client id, never a
// token), what (method, path, redacted query, operation), how it went (status, body bytes as sent, duration,
// X-Total-Count, Retry-After), and which fault presets acted and which deviations were accepted. Never a body.
import type { Context, Hono } from "hono";
import { ONEROSTER_BASE_PATH } from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";
import { TOKEN_PATH } from "../auth/token-route.js";
import type { Clock } from "../deps.js";
import { matchEndpoint } from "../faults/engine.js";
import { CountingResponse } from "../http/node-server.js";
import { redactQuery } from "./redact.js";
import type { RequestLog } from "./writer.js";

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `at`; null when absent or unreadable. */
function retryAfterMs(value: string | null, at: Date): number | null {
  if (value === null) {
    return null;
  }
  if (/^\s*\d+\s*$/.test(value)) {
    return Number(value) * 1000;
  }
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, when - at.getTime());
}

function loggable(path: string): boolean {
  return path === TOKEN_PATH || path === ONEROSTER_BASE_PATH || path.startsWith(`${ONEROSTER_BASE_PATH}/`);
}

export function registerRequestLogHook(app: Hono<AppEnv>, deps: { requestLog: RequestLog; clock: Clock }): void {
  app.use("*", async (c: Context<AppEnv>, next) => {
    // The target as sent (set by the first middleware), so the path is the one the client asked for.
    const target = c.get("target");
    const queryAt = target.indexOf("?");
    const path = queryAt < 0 ? target : target.slice(0, queryAt);
    if (!loggable(path)) {
      await next();
      return;
    }
    const at = deps.clock.now();
    const started = performance.now();
    const done = deps.requestLog.begin();
    // Served by serveApp, the response counts its body bytes; under app.request() (tests) there is no response.
    const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
    const counted = outgoing instanceof CountingResponse ? outgoing : undefined;
    try {
      await next();
    } finally {
      const method = c.req.method;
      const matched = c.get("operation");
      const operation =
        path === TOKEN_PATH
          ? "token"
          : matched !== undefined
            ? matched
            : (matchEndpoint(method, path)?.endpoint.operationId ?? null);
      const answered = c.res.status;
      // Only a 200 carries X-Total-Count, and only a refusal Retry-After (each Headers lookup has a cost).
      const total = answered === 200 ? c.res.headers.get("x-total-count") : null;
      const retryAfter = answered >= 300 ? c.res.headers.get("retry-after") : null;
      const entry = (status: number, bytes: number | null) => ({
        at,
        requestId: c.get("requestId"),
        clientId: c.get("clientId") ?? null,
        method,
        path,
        query: queryAt < 0 ? null : redactQuery(target.slice(queryAt)),
        operation,
        status,
        durationMs: Math.round(performance.now() - started),
        bytes,
        total: total !== null && /^\d+$/.test(total) ? Number(total) : null,
        retryAfterMs: retryAfterMs(retryAfter, at),
        faults: [...(c.get("faults")?.applied ?? [])],
        findings: [...(c.get("findings") ?? [])],
      });
      if (counted) {
        // Logged once the response is out (or the connection is gone), so bytes and duration are what happened. A
        // response closes once, so a plain listener does (once() would wrap it).
        counted.on("close", () => done(entry(counted.headersSent ? counted.statusCode : answered, counted.bodyBytes)));
      } else {
        const length = c.res.headers.get("content-length");
        done(entry(answered, length !== null ? Number(length) : null));
      }
    }
  });
}
