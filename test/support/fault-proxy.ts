// startFaultProxy: a real node:http proxy on 127.0.0.1 in front of a provider that, for requests a rule picks, answers
// a fault itself (503, 429 with Retry-After) or forwards and then loses the answer (the write happened, the client
// sees a 503). Everything else is forwarded unchanged. It logs what reached the provider, for duplicate checks.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault =
  /** Answer this instead of forwarding (the provider never sees the request). */
  | { kind: "answer"; status: number; retryAfter?: string }
  /** Forward, then answer this instead of the provider's answer (as if the connection dropped on the way back). */
  | { kind: "lose-answer"; status: number };

export interface ProxiedRequest {
  method: string;
  /** Path and query, as the client sent them. */
  path: string;
  /** How many earlier requests had the same method and path (0 for the first). */
  seen: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Requests that reached the provider, in order. */
  forwarded: { method: string; path: string; status: number }[];
  /** Faults answered, in order. */
  faults: { method: string; path: string; status: number; kind: Fault["kind"] }[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const statusBody = (status: number) =>
  JSON.stringify({
    statusInfoSet: [
      {
        imsx_codeMajor: "failure",
        imsx_severity: "error",
        imsx_codeMinor: status === 429 ? "server_busy" : "internal_server_error",
        imsx_description: `fault proxy: ${status}`,
      },
    ],
  });

export async function startFaultProxy(
  targetOrigin: string,
  rule: (req: ProxiedRequest) => Fault | undefined,
): Promise<FaultProxy> {
  const seen = new Map<string, number>();
  const forwarded: FaultProxy["forwarded"] = [];
  const faults: FaultProxy["faults"] = [];
  const server = createServer(async (req, res) => {
    try {
      const method = req.method ?? "GET";
      const path = req.url ?? "/";
      const key = `${method} ${path}`;
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      const body = await readBody(req);
      const fault = rule({ method, path, seen: n });
      if (fault?.kind === "answer") {
        faults.push({ method, path, status: fault.status, kind: fault.kind });
        res.writeHead(fault.status, {
          "content-type": "application/json",
          ...(fault.retryAfter ? { "retry-after": fault.retryAfter } : {}),
        });
        res.end(statusBody(fault.status));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === "string" && !["host", "content-length", "connection"].includes(k)) {
          headers[k] = v;
        }
      }
      const upstream = await fetch(`${targetOrigin}${path}`, {
        method,
        headers,
        ...(body.length > 0 ? { body } : {}),
      });
      const text = await upstream.text();
      forwarded.push({ method, path, status: upstream.status });
      if (fault?.kind === "lose-answer") {
        faults.push({ method, path, status: fault.status, kind: fault.kind });
        res.writeHead(fault.status, { "content-type": "application/json" });
        res.end(statusBody(fault.status));
        return;
      }
      const out: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (!["content-length", "content-encoding", "transfer-encoding", "connection"].includes(k)) {
          out[k] = v;
        }
      });
      res.writeHead(upstream.status, out);
      res.end(text);
    } catch (err) {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    forwarded,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
