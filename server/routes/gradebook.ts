// PUT and DELETE of categories, line items and results (notes §7): validate the singular envelope with zod,
// call one repo verb, answer 201 on create, 200 on replace, 204 on delete.
import type { Context } from "hono";
import type { z } from "zod";
import { CategoryInputSchema, type Endpoint, LineItemInputSchema, ResultInputSchema } from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";
import { ApiError } from "../errors.js";
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

/** Largest PUT body accepted; a gradebook object is a few hundred bytes. */
export const MAX_BODY_BYTES = 1_000_000;

/** Names the first problems of a zod failure as `field: message` (the 400 must name the bad field). */
function describeIssues(envelope: string, error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${[envelope, ...i.path.map(String)].join(".")}: ${i.message}`)
    .join("; ");
}

/** True when any string (key or value) in a parsed JSON value holds a NUL character. */
function containsNul(value: unknown): boolean {
  if (typeof value === "string") {
    return value.includes("\u0000");
  }
  if (Array.isArray(value)) {
    return value.some(containsNul);
  }
  if (value && typeof value === "object") {
    return Object.entries(value).some(([k, v]) => k.includes("\u0000") || containsNul(v));
  }
  return false;
}

async function readBody(c: Context<AppEnv>): Promise<unknown> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    throw new ApiError("payload_too_large", `body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  const text = await c.req.text();
  if (text.length > MAX_BODY_BYTES) {
    throw new ApiError("payload_too_large", `body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  if (text.trim() === "") {
    throw new ApiError("invalid_data", "body is empty; send the object in its envelope as JSON");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError("invalid_data", "body is not valid JSON");
  }
  // Postgres text cannot hold NUL; a \u0000 escape would otherwise fail deep in the write.
  if (containsNul(parsed)) {
    throw new ApiError("invalid_data", "body contains a NUL character (\\u0000), which no OneRoster value can hold");
  }
  return parsed;
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

/** Validates and stores one object under `id`; `created` is true when it was new. */
function store(deps: RouteDeps, kind: GradebookKind, key: string, id: string, value: unknown, now: Date) {
  switch (kind) {
    case "category":
      return upsertCategory(deps.db, id, validate(CategoryInputSchema, key, value, id), now);
    case "lineItem":
      return upsertLineItem(deps.db, id, validate(LineItemInputSchema, key, value, id), now);
    case "result":
      return upsertResult(deps.db, id, validate(ResultInputSchema, key, value, id), now);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

const INPUT_SCHEMAS = { category: CategoryInputSchema, lineItem: LineItemInputSchema, result: ResultInputSchema };

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
    let value = (body as Record<string, unknown>)[key];
    const base = baseUrlOf(c, deps);
    // Quirk presets (server/faults/presets.ts) that break PUT on purpose; none is on by default.
    const existing = quirks.size > 0 ? await getRecord(deps.db, kind, id, undefined, false) : undefined;
    if (existing && quirks.has("put-merge") && isObject(value)) {
      const { dateLastModified: _stamp, ...stored } = presentRecord(kind, existing, base);
      value = { ...stored, ...value };
    }
    const bodyId = isObject(value) && typeof value.sourcedId === "string" ? value.sourcedId : undefined;
    const renamed = existing !== undefined && quirks.has("put-renames") && bodyId !== undefined && bodyId !== id;
    const targetId = renamed && bodyId !== undefined ? bodyId : id;
    if (existing && quirks.has("put-invalid-500")) {
      try {
        validate(INPUT_SCHEMAS[kind], key, value, targetId);
      } catch {
        return c.html("<html><body><h1>500 Internal Server Error</h1></body></html>", 500);
      }
    }
    if (!existing && quirks.has("put-cannot-create")) {
      validate(INPUT_SCHEMAS[kind], key, value, id);
      throw new ApiError("not_found", `no ${kind} with sourcedId '${id}'`);
    }
    if (existing && quirks.has("put-update-noop")) {
      validate(INPUT_SCHEMAS[kind], key, value, id);
      return c.json({ [key]: presentRecord(kind, existing, base) }, 200);
    }
    const now =
      existing && quirks.has("put-keeps-dlm") && existing.dateLastModified instanceof Date
        ? existing.dateLastModified
        : deps.clock.now();
    if (renamed) {
      await deleteGradebookObject(deps.db, kind, id, now, true);
    }
    const { created } = await store(deps, kind, key, targetId, value, now);
    deps.pageCache.invalidate();
    const row = await getRecord(deps.db, kind, targetId, undefined, false);
    const record = row ? presentRecord(kind, row, base) : {};
    const status = created && !renamed && !quirks.has("put-create-200") ? 201 : 200;
    return c.json({ [key]: record }, status);
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
    const deleted = await deleteGradebookObject(deps.db, kind, id, deps.clock.now(), quirks.has("no-tombstones"), {
      keepResults: quirks.has("delete-keeps-results"),
    });
    deps.pageCache.invalidate();
    if (!deleted) {
      throw new ApiError("not_found", `no ${kind} with sourcedId '${id}'`);
    }
    return c.body(null, 204);
  };
}
