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
  restoreStamp,
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

/** Validates and stores one object under `id`; `created` is true when it was new. */
function store(deps: RouteDeps, kind: GradebookKind, key: string, id: string, value: unknown, now: () => Date) {
  switch (kind) {
    case "category":
      return upsertCategory(deps.db, id, validate(CategoryInputSchema, key, value, id), now);
    case "lineItem":
      return upsertLineItem(deps.db, id, checkRefs(key, validate(LineItemInputSchema, key, value, id)), now);
    case "result":
      return upsertResult(deps.db, id, checkRefs(key, validate(ResultInputSchema, key, value, id)), now);
  }
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
    const present = (row: Record<string, unknown>) => presentRecord(kind, row, base, undefined, deps.config.booleans);
    // Quirk presets (server/faults/presets.ts) that break PUT on purpose; none is on by default.
    const existing = quirks.size > 0 ? await getRecord(deps.db, kind, id, undefined, false) : undefined;
    if (existing && quirks.has("put-merge") && isObject(value)) {
      const { dateLastModified: _stamp, ...stored } = present(existing);
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
      return c.json({ [key]: present(existing) }, 200);
    }
    const now = () => deps.clock.now();
    if (renamed) {
      await deleteGradebookObject(deps.db, kind, id, now, true);
    }
    const { created, defaulted } = await store(deps, kind, key, targetId, value, now);
    if (existing && quirks.has("put-keeps-dlm") && existing.dateLastModified instanceof Date) {
      await restoreStamp(deps.db, kind, targetId, existing.dateLastModified);
    }
    deps.pageCache.invalidate();
    const row = await getRecord(deps.db, kind, targetId, undefined, false);
    const record = row ? present(row) : {};
    const status = created && !renamed && !quirks.has("put-create-200") ? 201 : 200;
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
    const deleted = await deleteGradebookObject(
      deps.db,
      kind,
      id,
      () => deps.clock.now(),
      quirks.has("no-tombstones"),
      {
        keepResults: quirks.has("delete-keeps-results"),
      },
    );
    deps.pageCache.invalidate();
    if (!deleted) {
      throw new ApiError("not_found", `no ${kind} with sourcedId '${id}'`);
    }
    return c.body(null, 204);
  };
}
