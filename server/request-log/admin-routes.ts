// GET /admin/requests (behind the admin credential): the request log, newest first by default, filterable by client,
// time window, status and operation, paged with a cursor; DELETE clears it (for one client, up to a time). Both wait
// for this process's requests in flight first.
import type { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env.js";
import { ApiError } from "../errors.js";
import { MAX_LIST, type RequestLog, type RequestLogRow } from "./writer.js";

export const RequestLogQuery = z.strictObject({
  client: z.string().min(1).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  status: z.coerce.number().int().min(100).max(599).optional(),
  operation: z.string().min(1).optional(),
  cursor: z.coerce.number().int().min(0).optional(),
  order: z.enum(["asc", "desc"]).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIST).optional(),
});

/** A log row as JSON: ISO times, everything else as stored. */
export function requestJson(row: RequestLogRow) {
  return { ...row, at: row.at.toISOString() };
}

export function registerRequestLogAdminRoutes(app: Hono<AppEnv>, deps: { requestLog: RequestLog }): void {
  app.get("/admin/requests", async (c) => {
    const parsed = RequestLogQuery.safeParse(c.req.query());
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "query"}: ${i.message}`).join("; ");
      throw new ApiError(
        "invalid_data",
        `bad query (${problems}); takes client, since, until (ISO date-times), status, operation, cursor, order (asc|desc), limit (1–${MAX_LIST})`,
      );
    }
    const q = parsed.data;
    await deps.requestLog.settle();
    const limit = q.limit ?? 100;
    const rows = await deps.requestLog.list({
      ...(q.client !== undefined ? { clientId: q.client } : {}),
      ...(q.since !== undefined ? { since: new Date(q.since) } : {}),
      ...(q.until !== undefined ? { until: new Date(q.until) } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.operation !== undefined ? { operation: q.operation } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      ...(q.order !== undefined ? { order: q.order } : {}),
      limit,
    });
    const last = rows[rows.length - 1];
    return c.json({ requests: rows.map(requestJson), cursor: rows.length === limit && last ? last.id : null });
  });

  app.delete("/admin/requests", async (c) => {
    const parsed = RequestLogQuery.pick({ client: true, until: true }).safeParse(c.req.query());
    if (!parsed.success) {
      throw new ApiError("invalid_data", "takes client and until (an ISO date-time) only");
    }
    await deps.requestLog.settle();
    const deleted = await deps.requestLog.clear({
      ...(parsed.data.client !== undefined ? { clientId: parsed.data.client } : {}),
      ...(parsed.data.until !== undefined ? { until: new Date(parsed.data.until) } : {}),
    });
    return c.json({ deleted });
  });
}
