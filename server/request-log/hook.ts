// Records every token and OneRoster request in the request log once it has been answered: who (client id, never a
// token), what (method, path, redacted query, operation), how it went (status, body bytes as sent, duration,
// X-Total-Count, Retry-After), and which fault presets acted and which deviations were accepted. Never a body.
import type { ServerResponse } from "node:http";
import type { Context, Hono } from "hono";
import { ONEROSTER_BASE_PATH } from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";
import { TOKEN_PATH } from "../auth/token-route.js";
import type { Clock } from "../deps.js";
import { matchEndpoint } from "../faults/engine.js";
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

/** Counts the body bytes written to a Node response (what the client was sent, even when a fault cut it). */
function countBodyBytes(outgoing: ServerResponse): () => number {
  let bytes = 0;
  const size = (chunk: unknown, encoding?: unknown) =>
    typeof chunk === "string"
      ? Buffer.byteLength(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8")
      : chunk instanceof Uint8Array
        ? chunk.byteLength
        : 0;
  const write = outgoing.write.bind(outgoing) as (...args: unknown[]) => boolean;
  const end = outgoing.end.bind(outgoing) as (...args: unknown[]) => ServerResponse;
  outgoing.write = ((chunk: unknown, ...rest: unknown[]) => {
    bytes += size(chunk, rest[0]);
    return write(chunk, ...rest);
  }) as ServerResponse["write"];
  outgoing.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== "function") {
      bytes += size(chunk, rest[0]);
    }
    return end(chunk, ...rest);
  }) as ServerResponse["end"];
  return () => bytes;
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
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    const bytesSent = outgoing ? countBodyBytes(outgoing) : undefined;
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
      if (outgoing && bytesSent) {
        // Logged once the response is out (or the connection is gone), so bytes and duration are what happened.
        outgoing.once("close", () => done(entry(outgoing.headersSent ? outgoing.statusCode : answered, bytesSent())));
      } else {
        const length = c.res.headers.get("content-length");
        done(entry(answered, length !== null ? Number(length) : null));
      }
    }
  });
}
