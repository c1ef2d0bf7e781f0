// PUT and DELETE of categories, line items and results (notes §7): validate the singular envelope with zod,
// call one repo verb, answer 201 on create, 200 on replace, 204 on delete.
import type { Context } from "hono";
import type { z } from "zod";
import {
  CategoryInputSchema,
  createStatusInfo,
  type Endpoint,
  LineItemInputSchema,
  ResultInputSchema,
} from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";
import { ApiError } from "../errors.js";
import { BodyError, parseJsonBody, readBodyText } from "../http/body.js";
import { SOURCED_ID_MAX_LENGTH } from "../http/limits.js";
import { presentRecord } from "../present/record.js";
import {
  deleteGradebookObject,
  type GradebookKind,
  upsertCategory,
  upsertLineItem,
  upsertResult,
} from "../repo/gradebook.js";
import { getRecord } from "../repo/records.js";
import { authorize, baseUrlOf, type RouteDeps } from "./context.js";

/** Names the first problems of a zod failure as `field: message` (the 400 must name the bad field). */
function describeIssues(envelope: string, error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${[envelope, ...i.path.map(String)].join(".")}: ${i.message}`)
    .join("; ");
}

/** The body, already capped in size while it streamed (see limitBody in routes/index.ts), parsed with bounds. */
async function readBody(c: Context<AppEnv>): Promise<unknown> {
  try {
    return parseJsonBody(await readBodyText(c));
  } catch (e) {
    if (e instanceof BodyError) {
      throw new ApiError(
        "invalid_data",
        e.reason === "empty" ? "body is empty; send the object in its envelope as JSON" : e.message,
      );
    }
    throw e;
  }
}

/** A sourcedId in a path or a reference must fit a key (notes §2.1 leaves its length open; this is ours). */
export function checkSourcedId(what: string, id: string): void {
  if (id.length > SOURCED_ID_MAX_LENGTH) {
    throw new ApiError(
      "invalid_data",
      `${what} is ${id.length} characters long; sourcedIds here are at most ${SOURCED_ID_MAX_LENGTH}`,
    );
  }
}

/** Validates the object inside the envelope; the 400 names the bad field (notes §7.1). */
function validate<T extends z.ZodType<{ sourcedId?: string | undefined }>>(
  schema: T,
  envelope: string,
  value: unknown,
  id: string,
): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ApiError("invalid_data", describeIssues(envelope, parsed.error));
  }
  const sourcedId = parsed.data.sourcedId;
  if (sourcedId !== undefined && sourcedId !== id) {
    throw new ApiError("invalid_data", `${envelope}.sourcedId '${sourcedId}' does not match the path id '${id}'`);
  }
  return parsed.data;
}

/** Every reference of a validated body fits a key, named by its field (`lineItem.class.sourcedId`). */
function checkRefs<T extends object>(envelope: string, input: T): T {
  for (const [field, value] of Object.entries(input)) {
    if (value && typeof value === "object" && typeof (value as { sourcedId?: unknown }).sourcedId === "string") {
      checkSourcedId(`${envelope}.${field}.sourcedId`, (value as { sourcedId: string }).sourcedId);
    }
  }
  return input;
}

export function putHandler(deps: RouteDeps, endpoint: Endpoint) {
  const kind = endpoint.entity as GradebookKind;
  const key = endpoint.envelope;
  return async (c: Context<AppEnv>) => {
    const quirks = await authorize(c, deps, endpoint);
    const id = c.req.param("id") ?? "";
    const body = await readBody(c);
    if (!body || typeof body !== "object" || Array.isArray(body) || !(key in body)) {
      throw new ApiError(
        "invalid_data",
        `body must be an object with the key '${key}' (singular envelope, notes §7.1)`,
      );
    }
    const value = (body as Record<string, unknown>)[key];
    const now = () => deps.clock.now();
    const { created, defaulted } =
      kind === "category"
        ? await upsertCategory(deps.db, id, validate(CategoryInputSchema, key, value, id), now)
        : kind === "lineItem"
          ? await upsertLineItem(deps.db, id, checkRefs(key, validate(LineItemInputSchema, key, value, id)), now)
          : await upsertResult(deps.db, id, checkRefs(key, validate(ResultInputSchema, key, value, id)), now);
    deps.pageCache.invalidate();
    const row = await getRecord(deps.db, kind, id, undefined, false);
    const record = row ? presentRecord(kind, row, baseUrlOf(c, deps), undefined, deps.config.booleans) : {};
    const status = created && !quirks.has("put-create-200") ? 201 : 200;
    // Defaults chosen for fields the client left out are said, as warnings beside the object (notes §3.4 shape).
    const warnings = defaulted.map((d) => createStatusInfo("success", "warning", "invaliddata", d));
    return c.json(warnings.length > 0 ? { [key]: record, statusInfoSet: warnings } : { [key]: record }, status);
  };
}

export function deleteHandler(deps: RouteDeps, endpoint: Endpoint) {
  const kind = endpoint.entity as GradebookKind;
  return async (c: Context<AppEnv>) => {
    const quirks = await authorize(c, deps, endpoint);
    const id = c.req.param("id") ?? "";
    if (quirks.has("delete-200-listed")) {
      const row = await getRecord(deps.db, kind, id, undefined, false);
      if (!row) {
        throw new ApiError("not_found", `no ${kind} with sourcedId '${id}'`);
      }
      return c.body(null, 200);
    }
    const deleted = await deleteGradebookObject(deps.db, kind, id, () => deps.clock.now(), quirks.has("no-tombstones"));
    deps.pageCache.invalidate();
    if (!deleted) {
      throw new ApiError("not_found", `no ${kind} with sourcedId '${id}'`);
    }
    return c.body(null, 204);
  };
}
