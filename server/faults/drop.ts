// The `drop-connection` fault: the status line, the headers (with the full Content-Length) and a part of the body
// go out, then the socket is destroyed, as when a provider or a proxy dies mid-response. Under @hono/node-server
// this writes to the Node response directly; elsewhere the body stream errors after the part.
import type { ServerResponse } from "node:http";
import type { Context } from "hono";
import type { AppEnv } from "../app-env.js";

/** Header @hono/node-server reads as "the response was already written" (its RESPONSE_ALREADY_SENT). */
const ALREADY_SENT = "x-hono-already-sent";

/** Replaces c.res with a response that stops after `at` (0–1) of its body. */
export async function cutBody(c: Context<AppEnv>, at: number): Promise<void> {
  const original = c.res;
  const body = new Uint8Array(await original.arrayBuffer());
  const part = body.subarray(0, Math.floor(body.length * at));
  const headers = new Headers(original.headers);
  headers.set("content-length", String(body.length));
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  c.res = undefined;
  if (outgoing?.socket) {
    const socket = outgoing.socket;
    outgoing.writeHead(original.status, Object.fromEntries(headers));
    outgoing.flushHeaders();
    if (part.length > 0) {
      outgoing.write(part);
    }
    // An empty write calls back once everything before it has reached the socket; then cut it.
    socket.write("", () => socket.destroy());
    c.res = new Response(null, { headers: { [ALREADY_SENT]: "true" } });
    return;
  }
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(part);
    },
    pull(controller) {
      controller.error(new Error("connection dropped by the drop-connection fault preset"));
    },
  });
  c.res = new Response(stream, { status: original.status, headers });
}
