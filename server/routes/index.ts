// Mounts every operation of the endpoint table under /ims/oneroster/v1p1 (notes §1), and answers 405 with
// an Allow header for a known path with the wrong method.
import type { Context, Hono } from "hono";
import { ENDPOINTS, type Endpoint, ONEROSTER_BASE_PATH } from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";
import { ApiError, renderError } from "../errors.js";
import { limitBody } from "../http/body.js";
import { PUT_BODY_BYTES } from "../http/limits.js";
import type { RouteDeps } from "./context.js";
import { checkSourcedId, deleteHandler, putHandler } from "./gradebook.js";
import { collectionHandler, singleHandler } from "./read.js";

/** `/schools/{schoolId}/classes` → `/ims/oneroster/v1p1/schools/:schoolId/classes` */
export function honoPath(template: string): string {
  return ONEROSTER_BASE_PATH + template.replace(/\{(\w+)\}/g, ":$1");
}

/** Every path parameter is a sourcedId, bounded before any lookup (http/limits.ts). */
function withBoundedIds(handler: (c: Context<AppEnv>) => Promise<Response>) {
  return (c: Context<AppEnv>) => {
    for (const [name, value] of Object.entries(c.req.param() as Record<string, string>)) {
      checkSourcedId(`path parameter ${name}`, value);
    }
    return handler(c);
  };
}

/** The 413 of a PUT body over PUT_BODY_BYTES, as a status payload; the body stops being read at the limit. */
const putTooLarge = limitBody(PUT_BODY_BYTES, (c) =>
  c.json(
    renderError(
      new ApiError(
        "payload_too_large",
        `body is larger than ${PUT_BODY_BYTES} bytes; a gradebook object is far smaller`,
      ),
      c.get("requestId"),
    ),
    413,
  ),
);

function handlerFor(deps: RouteDeps, endpoint: Endpoint): (c: Context<AppEnv>) => Promise<Response> {
  switch (endpoint.kind) {
    case "collection":
      return collectionHandler(deps, endpoint);
    case "single":
      return singleHandler(deps, endpoint);
    case "put":
      return putHandler(deps, endpoint);
    case "delete":
      return deleteHandler(deps, endpoint);
  }
}

export function registerOneRosterRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  const methodsByPath = new Map<string, Set<string>>();
  for (const endpoint of ENDPOINTS) {
    const path = honoPath(endpoint.path);
    const handler = withBoundedIds(handlerFor(deps, endpoint));
    if (endpoint.method === "PUT") {
      app.on(endpoint.method, path, putTooLarge, handler);
    } else {
      app.on(endpoint.method, path, handler);
    }
    const methods = methodsByPath.get(path) ?? new Set<string>();
    methods.add(endpoint.method);
    if (endpoint.method === "GET") {
      methods.add("HEAD");
    }
    methodsByPath.set(path, methods);
  }
  for (const [path, methods] of methodsByPath) {
    const allow = [...methods].join(", ");
    app.all(path, () => {
      throw new ApiError("method_not_allowed", `method not allowed here; allowed: ${allow}`, { Allow: allow });
    });
  }
}
