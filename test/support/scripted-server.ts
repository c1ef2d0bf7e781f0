// A tiny real node:http server on 127.0.0.1 that answers as a test scripts it (503s, Retry-After, stalls, bodies cut
// mid-way, pages without paging headers), for client behaviour our provider never shows; `scriptedTest` closes it.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "vitest";

export interface ScriptedRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** Answers one request; `n` counts the requests to this path, from 1. Leave `res` open to stall. */
export type ScriptedHandler = (req: ScriptedRequest, res: ServerResponse, n: number) => void | Promise<void>;

export interface ScriptedServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Every request received, in order. */
  requests: ScriptedRequest[];
  /** Requests received for one path (query ignored). */
  count(path: string): number;
  close(): Promise<void>;
}

export async function startScriptedServer(handler: ScriptedHandler): Promise<ScriptedServer> {
  const requests: ScriptedRequest[] = [];
  const perPath = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const recorded: ScriptedRequest = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(recorded);
      const path = recorded.url.split("?")[0] ?? "/";
      const n = (perPath.get(path) ?? 0) + 1;
      perPath.set(path, n);
      Promise.resolve(handler(recorded, res, n)).catch((err: unknown) => {
        res.writeHead(599).end(String(err));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed = false;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    count: (path) => perPath.get(path) ?? 0,
    close: async () => {
      if (closed) {
        return;
      }
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Stalled answers and keep-alive sockets would hold close() open.
        server.closeAllConnections();
      });
    },
  };
}

/** Writes a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A test with `scripted(handler)`: starts a scripted server that is closed after the test. */
export const scriptedTest = test.extend<{ scripted: (handler: ScriptedHandler) => Promise<ScriptedServer> }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest fixtures must destructure their context
  scripted: async ({}, use) => {
    const servers: ScriptedServer[] = [];
    await use(async (handler) => {
      const server = await startScriptedServer(handler);
      servers.push(server);
      return server;
    });
    await Promise.all(servers.map((s) => s.close()));
  },
});
