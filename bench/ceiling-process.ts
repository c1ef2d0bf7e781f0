// Bench child: the ceiling. The same Hono + @hono/node-server stack answering each benched path with the exact
// bytes and header shape the provider sent once, so provider/ceiling isolates the provider's own work.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { announceReady, readInputLine } from "./child.js";

/** One precomputed answer; `path` is the pathname (the query string is ignored when routing). */
export interface CeilingRoute {
  path: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface CeilingInfo {
  origin: string;
}

const routes = JSON.parse(await readInputLine()) as CeilingRoute[];
const app = new Hono();
for (const route of routes) {
  // The body is a prebuilt string: no query, no presenter, no JSON.stringify per request.
  app.get(route.path, (c) => c.body(route.body, route.status as 200, route.headers));
}
const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve, reject) => {
  const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (a: AddressInfo) =>
    resolve({ server: s, port: a.port }),
  );
  s.once("error", reject);
});
const info: CeilingInfo = { origin: `http://127.0.0.1:${port}` };
announceReady(
  info,
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      if ("closeAllConnections" in server && typeof server.closeAllConnections === "function") {
        server.closeAllConnections();
      }
    }),
);
