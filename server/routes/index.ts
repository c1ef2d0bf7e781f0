// Mounts every operation of the endpoint table under /ims/oneroster/v1p1 (notes §1), and answers 405 with
// an Allow header for a known path with the wrong method.
import type { Context, Hono } from "hono";
import { ENDPOINTS, type Endpoint, ONEROSTER_BASE_PATH } from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";
import { ApiError } from "../errors.js";
import type { RouteDeps } from "./context.js";
import { deleteHandler, putHandler } from "./gradebook.js";
import { collectionHandler, singleHandler } from "./read.js";

/** `/schools/{schoolId}/classes` → `/ims/oneroster/v1p1/schools/:schoolId/classes` */
export function honoPath(template: string): string {
  return ONEROSTER_BASE_PATH + template.replace(/\{(\w+)\}/g, ":$1");
}

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
    app.on(endpoint.method, path, handlerFor(deps, endpoint));
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
