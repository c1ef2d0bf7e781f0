// requestHeader(c, name): a request header as the Fetch API would give it, read from Node's own parse when the app is
// served by @hono/node-server. c.req.header builds a Fetch Headers object of every request header first, which cost
// a few microseconds of each uncached read (npm run bench -- --only reads --profile DIR).
import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

/** The header's value (repeated headers joined with ", ", as Headers.get joins them), or undefined. */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) {
    return c.req.header(name);
  }
  const values = incoming.headersDistinct[name.toLowerCase()];
  // One value (the usual case) is returned as Node parsed it: the same string on every call, so a Map lookup keyed
  // by it (the bearer token's cache) hashes it once per request, not once per call.
  return values === undefined ? undefined : values.length === 1 ? values[0] : values.join(", ");
}
