// GET /health: liveness (the process answers) and readiness (the database answers `select 1`), without a token,
// for Docker HEALTHCHECK, orchestrator probes and CI wait loops. 200 when ready, 503 with Retry-After when not.
import type { Hono } from "hono";
import { createStatusInfo } from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";
import type { RouteDeps } from "./context.js";

export const HEALTH_PATH = "/health";

export function registerHealthRoute(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.get(HEALTH_PATH, async (c) => {
    const probe = await deps.dbHealth.probe();
    c.header("Cache-Control", "no-store");
    const body = {
      status: probe.ok ? "ok" : "unavailable",
      live: true,
      ready: probe.ok,
      database: { driver: deps.driver, state: probe.state, ...(probe.error ? { error: probe.error } : {}) },
    };
    if (probe.ok) {
      return c.json(body, 200);
    }
    c.header("Retry-After", String(deps.dbHealth.retryAfterSeconds));
    const info = createStatusInfo("failure", "error", "server_busy", probe.error, c.get("requestId"));
    return c.json({ ...body, statusInfoSet: [info] }, 503);
  });
}
