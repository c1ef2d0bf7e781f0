// GET /admin/clients/{id}/scorecard?since=&until= (behind the admin credential): the consumer scorecard of one
// client over a time window, each verdict with the requests that show it. Read from the request log.
import type { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env.js";
import type { Db } from "../db/client.js";
import type { AppDeps } from "../deps.js";
import { ApiError } from "../errors.js";
import { countDeletions } from "../repo/deletions.js";
import type { RequestLog, RequestLogRow } from "../request-log/writer.js";
import { judgeConsumer, type Scorecard } from "./judge.js";

const Window = z.strictObject({
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});

/** Rows judged at most; a longer window is judged on its first rows, and says so. */
const MAX_ROWS = 200_000;

/** Every log row of a client in a window, oldest first. */
async function rowsOf(log: RequestLog, clientId: string, since?: Date, until?: Date): Promise<RequestLogRow[]> {
  const rows: RequestLogRow[] = [];
  let cursor: number | undefined;
  for (;;) {
    const page = await log.list({
      clientId,
      order: "asc",
      limit: 1000,
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    rows.push(...page);
    const last = page[page.length - 1];
    if (page.length < 1000 || !last || rows.length >= MAX_ROWS) {
      return rows;
    }
    cursor = last.id;
  }
}

/** The scorecard of a client over a window (both ends optional). */
export async function scorecardFor(
  deps: { db: Db; config: AppDeps["config"]; requestLog: RequestLog },
  clientId: string,
  window: { since?: Date; until?: Date },
): Promise<Scorecard> {
  await deps.requestLog.settle();
  const rows = await rowsOf(deps.requestLog, clientId, window.since, window.until);
  return judgeConsumer(clientId, window, rows, {
    limitCap: deps.config.limitCap,
    countDeletions: (endpoint, since, until) => countDeletions(deps.db, endpoint, since, until),
  });
}

export function registerScorecardRoutes(
  app: Hono<AppEnv>,
  deps: { db: Db; config: AppDeps["config"]; requestLog: RequestLog },
): void {
  app.get("/admin/clients/:id/scorecard", async (c) => {
    const parsed = Window.safeParse(c.req.query());
    if (!parsed.success) {
      throw new ApiError("invalid_data", "takes since and until, ISO date-times with a zone");
    }
    const window = {
      ...(parsed.data.since ? { since: new Date(parsed.data.since) } : {}),
      ...(parsed.data.until ? { until: new Date(parsed.data.until) } : {}),
    };
    const card = await scorecardFor(deps, c.req.param("id"), window);
    if (card.requests === 0) {
      throw new ApiError("not_found", `no requests from client ${c.req.param("id")} in this window`);
    }
    return c.json(card);
  });
}
