// GET /openapi.json (the OpenAPI 3.1 document) and GET /docs (the same, as a page): public, like any API reference.
import type { Hono } from "hono";
import type { AppEnv } from "../app-env.js";
import type { AppDeps } from "../deps.js";
import { originOf } from "../routes/context.js";
import { renderDocsPage } from "./docs-page.js";
import { buildOpenApiDocument, DOCS_PATH, OPENAPI_PATH } from "./document.js";

export function registerOpenApiRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get(OPENAPI_PATH, (c) => c.json(buildOpenApiDocument(originOf(c, deps))));
  app.get(DOCS_PATH, (c) => {
    const origin = originOf(c, deps);
    return c.html(renderDocsPage(buildOpenApiDocument(origin), `${origin}${OPENAPI_PATH}`));
  });
}
