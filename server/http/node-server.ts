// Serves the Hono app on Node's HTTP server with the connection settings a provider needs: keep-alive that outlives
// common clients' idle reuse, bounded header size and time, and malformed requests answered with a status payload.
// Its responses count the body bytes they are given, for the request log.
import { createServer, ServerResponse, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener, RequestError } from "@hono/node-server";
import type { Hono } from "hono";
import type { AppEnv } from "../app-env.js";
import { ApiError, type ErrorKind, renderError } from "../errors.js";
import { HEADERS_MAX_BYTES } from "./limits.js";

export type NodeServer = ReturnType<typeof createServer>;

/**
 * Idle keep-alive connections are closed after 65 s, and the server says so in `Keep-Alive: timeout=65`. Clients
 * that pool connections (Node's agent, undici, Python's urllib3, Go, Java) reuse an idle socket well within
 * that, or read the header, so a reused connection is never closed under a request; the classic race was Node's
 * 5 s default against clients that keep sockets 4-60 s.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Headers must arrive within this; longer than the keep-alive timeout, as Node requires to avoid its own race. */
export const HEADERS_TIMEOUT_MS = 66_000;
/** A whole request (headers and body) must arrive within this. */
export const REQUEST_TIMEOUT_MS = 120_000;

/** Bytes of a chunk given to write() or end(), as Node will encode it. */
function chunkBytes(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === "string") {
    return Buffer.byteLength(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
  }
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

/**
 * The server's response class: it counts the body bytes passed to write() and end(), so the request log records what
 * a client was sent (a body a fault cut short included). Counting on the class, rather than wrapping each response's
 * methods, spares every request two bound functions, two closures and two own properties on the response.
 */
export class CountingResponse extends ServerResponse {
  /** Body bytes handed to Node so far. */
  bodyBytes = 0;

  // biome-ignore lint/suspicious/noExplicitAny: Node's overloads (chunk, encoding?, callback?) pass through as given.
  override write(chunk: any, ...rest: any[]): boolean {
    this.bodyBytes += chunkBytes(chunk, rest[0]);
    return (super.write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }

  // biome-ignore lint/suspicious/noExplicitAny: as write(); end(callback) has no chunk.
  override end(chunk?: any, ...rest: any[]): this {
    if (typeof chunk !== "function") {
      this.bodyBytes += chunkBytes(chunk, rest[0]);
    }
    return (super.end as (...args: unknown[]) => this)(chunk, ...rest);
  }
}

/** The answer to a request Node could not parse: a status payload on the raw socket, then close. */
function clientErrorResponse(code: string | undefined): string {
  const [kind, message]: [ErrorKind, string] =
    code === "HPE_HEADER_OVERFLOW"
      ? ["headers_too_large", `request line and headers exceed ${HEADERS_MAX_BYTES} bytes; shorten the URL or headers`]
      : code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? ["request_timeout", "the request did not arrive in time"]
        : ["invalid_data", `malformed HTTP request${code ? ` (${code})` : ""}`];
  const error = new ApiError(kind, message);
  const body = JSON.stringify(renderError(error));
  return [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? "Bad Request"}`,
    "Content-Type: application/json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}

/** Applies the connection settings above to a Node server (main.ts and the tests' servers share them). */
export function configureNodeServer(server: NodeServer): void {
  const http = server as NodeServer & {
    keepAliveTimeout?: number;
    headersTimeout?: number;
    requestTimeout?: number;
  };
  http.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  http.headersTimeout = HEADERS_TIMEOUT_MS;
  http.requestTimeout = REQUEST_TIMEOUT_MS;
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    const s = socket as typeof socket & { _httpMessage?: unknown };
    if (err.code === "ECONNRESET" || !s.writable || s._httpMessage) {
      s.destroy();
      return;
    }
    s.end(clientErrorResponse(err.code));
  });
}

/**
 * The answer to a request Node parsed but whose target no URL can hold (a backslash in the path, a broken absolute URL,
 * a Host header that is no host): @hono/node-server refuses those before the app runs, with an empty 400 of its own.
 */
function unusableTargetResponse(error: unknown): Response {
  const err =
    error instanceof RequestError
      ? new ApiError("invalid_data", `the request target cannot be read as a URL (${error.message}); percent-encode it`)
      : new ApiError("internal", "internal error before the request reached the provider");
  return new Response(JSON.stringify(renderError(err)), {
    status: err.status,
    headers: { "Content-Type": "application/json" },
  });
}

/** Serves `app` on host:port (0 picks a free port) and resolves once listening. */
export function serveApp(
  app: Hono<AppEnv>,
  port: number,
  hostname: string,
): Promise<{ server: NodeServer; port: number }> {
  return new Promise((resolve, reject) => {
    const listener = getRequestListener(app.fetch, { hostname, errorHandler: unusableTargetResponse });
    const server = createServer(
      {
        maxHeaderSize: HEADERS_MAX_BYTES,
        // Node's option is typed generic over the request class; this one is built for the default one.
        ServerResponse: CountingResponse as unknown as typeof ServerResponse,
      },
      listener,
    );
    configureNodeServer(server);
    server.once("error", reject);
    server.listen(port, hostname, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}
