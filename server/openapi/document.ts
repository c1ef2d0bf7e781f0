// buildOpenApiDocument: the OpenAPI 3.1 document of everything we serve — every v1p1 operation from the endpoint
// table, the token endpoint and JWKS, and the admin API — generated from the endpoint table and the zod schemas.
import { ONEROSTER_BASE_PATH } from "../../oneroster/index.js";
import { TOKEN_PATH } from "../auth/token-route.js";
import { adminPaths } from "./admin-paths.js";
import { oauthScheme, oneRosterPaths } from "./oneroster-paths.js";
import { type JsonSchema, oneRosterComponents, ref } from "./schemas.js";

export const OPENAPI_PATH = "/openapi.json";
export const DOCS_PATH = "/docs";

const oauthError = (description: string) => ({
  description,
  content: { "application/json": { schema: ref("OAuthError") } },
});

function tokenPaths(): Record<string, Record<string, unknown>> {
  return {
    [TOKEN_PATH]: {
      post: {
        operationId: "requestToken",
        summary: "an access token by client credentials (RFC 6749 §4.4)",
        tags: ["auth"],
        security: [{ clientBasic: [] }, {}],
        requestBody: {
          required: true,
          content: { "application/x-www-form-urlencoded": { schema: ref("TokenRequest") } },
        },
        responses: {
          "200": {
            description: "an ES256 JWT access token (RFC 6749 §5.1)",
            headers: { "Cache-Control": { schema: { type: "string", const: "no-store" } } },
            content: { "application/json": { schema: ref("TokenAnswer") } },
          },
          "400": oauthError("invalid_request, unsupported_grant_type or invalid_scope (RFC 6749 §5.2)"),
          "401": oauthError("invalid_client, with a Basic challenge"),
          "413": oauthError("the request body is too large"),
        },
      },
    },
    "/.well-known/jwks.json": {
      get: {
        operationId: "jwks",
        summary: "the public keys that verify access tokens (RFC 7517 §5)",
        tags: ["auth"],
        security: [],
        responses: {
          "200": {
            description: "a JWK set",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: { keys: { type: "array", items: { type: "object" } } },
                  required: ["keys"],
                },
              },
            },
          },
        },
      },
    },
  };
}

let cached: { origin: string; doc: Record<string, unknown> } | undefined;

/** The document for a provider at `origin` (servers and the token URL carry it); rebuilt only when it changes. */
export function buildOpenApiDocument(origin: string): Record<string, unknown> {
  if (cached?.origin === origin) {
    return cached.doc;
  }
  const admin = adminPaths();
  const schemas: Record<string, JsonSchema> = { ...oneRosterComponents(), ...admin.schemas };
  const doc = {
    openapi: "3.1.0",
    info: {
      title: "rosterlab OneRoster v1p1 provider",
      version: "1.1",
      description:
        `OneRoster v1.1 REST binding as rosterlab serves it (base ${ONEROSTER_BASE_PATH}), generated from its ` +
        "endpoint table and zod schemas; plus the token endpoint and the admin API of the test server. There is no " +
        "public OpenAPI file for v1p1: where the 1EdTech documents are silent, this describes what we do.",
    },
    servers: [{ url: origin }],
    tags: [
      { name: "rostering", description: "41 rostering reads (notes §1.3)" },
      { name: "resources", description: "4 resource reads (notes §1.4)" },
      { name: "gradebook", description: "16 gradebook operations, plus one extension (notes §1.5)" },
      { name: "auth", description: "OAuth 2 client credentials (notes §6.2)" },
      { name: "admin", description: "the test server's admin API, behind its own bearer credential" },
    ],
    paths: { ...tokenPaths(), ...oneRosterPaths(), ...admin.paths },
    components: {
      schemas,
      securitySchemes: {
        oauth2: oauthScheme(`${origin}${TOKEN_PATH}`),
        clientBasic: {
          type: "http",
          scheme: "basic",
          description: "client id and secret, form-encoded first (RFC 6749 §2.3.1)",
        },
        adminToken: {
          type: "http",
          scheme: "bearer",
          description: "the provider's admin credential, not an OAuth token",
        },
      },
    },
  };
  cached = { origin, doc };
  return doc;
}
