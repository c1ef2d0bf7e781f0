// The components of the OpenAPI document, converted from the zod schemas the code already validates with: every
// entity (as served), the PUT bodies (as accepted), envelopes, the status payload (notes §5), the token answers.
import { z } from "zod";
import {
  CategoryInputSchema,
  ENTITIES,
  ENTITY_SCHEMAS,
  type EntityName,
  LineItemInputSchema,
  LineItemSchema,
  ResultInputSchema,
  StatusInfoSchema,
} from "../../oneroster/index.js";

export type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without its own `$schema`. */
export function jsonSchema(schema: z.ZodType, io: "input" | "output" = "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", unrepresentable: "any", io });
  return rest;
}

/** `user` → `User`, `academicSession` → `AcademicSession`. */
export function schemaName(entity: EntityName): string {
  return entity.charAt(0).toUpperCase() + entity.slice(1);
}

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** Collection and single envelopes of an entity, by the names the paths use. */
export function envelopeName(entity: EntityName, kind: "collection" | "single"): string {
  return `${schemaName(entity)}${kind === "collection" ? "Collection" : "Single"}`;
}

/**
 * Records as served, where that is looser than the spec's schema: a line item PUT without category or gradingPeriod
 * is stored and served without them (notes §7.1, leniency real consumers need), so the document says so.
 */
const SERVED: Partial<Record<EntityName, z.ZodType>> = {
  lineItem: LineItemSchema.partial({ category: true, gradingPeriod: true }),
};

/** PUT bodies of the gradebook (notes §7.1). */
export const INPUT_SCHEMAS: Partial<Record<EntityName, z.ZodType>> = {
  category: CategoryInputSchema,
  lineItem: LineItemInputSchema,
  result: ResultInputSchema,
};

const TokenAnswer = z.object({
  access_token: z.string(),
  token_type: z.literal("bearer"),
  expires_in: z.number().int(),
  scope: z.string(),
});
const OAuthErrorAnswer = z.object({
  error: z.enum([
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "server_error",
  ]),
  error_description: z.string(),
});
const TokenRequest = z.object({
  grant_type: z.literal("client_credentials"),
  scope: z.string().optional().describe("space-separated scope URIs; all the client may have when absent"),
  client_id: z.string().optional().describe("client_secret_post only; prefer HTTP Basic"),
  client_secret: z.string().optional().describe("client_secret_post only; prefer HTTP Basic"),
});

/** Every v1p1 component: entities, inputs, envelopes, the status payload and the token endpoint's bodies. */
export function oneRosterComponents(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [entity, schema] of Object.entries(ENTITY_SCHEMAS) as [EntityName, z.ZodType][]) {
    const name = schemaName(entity);
    const keys = { collection: ENTITIES[entity].collectionKey, single: ENTITIES[entity].singleKey };
    out[name] = jsonSchema(SERVED[entity] ?? schema);
    const input = INPUT_SCHEMAS[entity];
    if (input) {
      out[`${name}Input`] = jsonSchema(input, "input");
    }
    const warnings = { type: "array", items: { $ref: "#/components/schemas/StatusInfo" } };
    out[envelopeName(entity, "collection")] = {
      type: "object",
      properties: { [keys.collection]: { type: "array", items: ref(name) }, statusInfoSet: warnings },
      required: [keys.collection],
      additionalProperties: false,
    };
    out[envelopeName(entity, "single")] = {
      type: "object",
      properties: { [keys.single]: ref(name), statusInfoSet: warnings },
      required: [keys.single],
      additionalProperties: false,
    };
  }
  out.StatusInfo = jsonSchema(StatusInfoSchema);
  out.StatusInfoSet = {
    type: "object",
    properties: { statusInfoSet: { type: "array", minItems: 1, items: ref("StatusInfo") } },
    required: ["statusInfoSet"],
    additionalProperties: false,
  };
  out.TokenRequest = jsonSchema(TokenRequest, "input");
  out.TokenAnswer = jsonSchema(TokenAnswer);
  out.OAuthError = jsonSchema(OAuthErrorAnswer);
  return out;
}
