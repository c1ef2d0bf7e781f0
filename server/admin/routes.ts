// The admin surface under /admin, behind its own bearer credential (never an OAuth token): quirk presets
// and the district clock (advance, and the mass-withdrawal day). Answers in JSON; errors use the same status
// payload as the data endpoints.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env.js";
import { ApiError, renderError } from "../errors.js";
import { registerFaultAdminRoutes } from "../faults/admin-routes.js";
import { BodyError, limitBody, parseJsonBody, readBodyText } from "../http/body.js";
import { ADMIN_BODY_BYTES } from "../http/limits.js";
import type { RouteDeps } from "../routes/context.js";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Constant-time comparison of the presented admin credential with the configured one. */
export function adminTokenMatches(presented: string | undefined, expected: string): boolean {
  return presented !== undefined && timingSafeEqual(digest(presented), digest(expected));
}

const MassWithdrawalBody = z.object({
  schools: z.array(z.string().min(1)).min(1).optional(),
  share: z.number().gt(0).max(1).optional(),
});
const AdvanceBody = z.object({
  days: z.number().int().min(1).max(3650),
  churnRate: z.number().min(0).max(1).optional(),
});

/** The clock's refusals (an error with a `code`) as status payloads; anything else stays an unexpected error. */
function clockRefusal(error: unknown): ApiError | undefined {
  const code = error && typeof error === "object" && "code" in error ? (error as { code: unknown }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "NOT_SEEDED") {
    return new ApiError("conflict", message);
  }
  if (code === "BAD_DAYS" || code === "BAD_SHARE") {
    return new ApiError("invalid_data", message);
  }
  if (code === "UNKNOWN_SCHOOL") {
    return new ApiError("not_found", message);
  }
  return undefined;
}

/** The JSON body (bounded while it streamed in); `empty` stands for a body with nothing in it, when allowed. */
async function jsonBody(c: Context<AppEnv>, empty?: unknown): Promise<unknown> {
  try {
    const text = await readBodyText(c);
    return empty !== undefined && text.trim() === "" ? empty : parseJsonBody(text);
  } catch (e) {
    throw new ApiError("invalid_data", e instanceof BodyError ? e.message : "body is not valid JSON");
  }
}

export function registerAdminRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.use("/admin/*", async (c, next) => {
    const expected = deps.config.adminToken;
    if (!expected) {
      throw new ApiError("forbidden", "the admin API is disabled: start the server with ROSTERLAB_ADMIN_TOKEN set");
    }
    const header = c.req.header("authorization") ?? "";
    const presented = /^Bearer (.+)$/i.exec(header)?.[1];
    if (!adminTokenMatches(presented, expected)) {
      throw new ApiError(
        "unauthorized",
        "admin credential missing or wrong: send Authorization: Bearer <admin token>",
        {
          "WWW-Authenticate": 'Bearer realm="rosterlab-admin"',
        },
      );
    }
    await next();
  });
  app.use(
    "/admin/*",
    limitBody(ADMIN_BODY_BYTES, (c, error) => {
      const refusal =
        error.reason === "too_large"
          ? new ApiError("payload_too_large", `admin request bodies are at most ${ADMIN_BODY_BYTES} bytes`)
          : new ApiError("invalid_data", error.message);
      return c.json(renderError(refusal, c.get("requestId")), refusal.status);
    }),
  );

  app.get("/admin/clock", async (c) => {
    if (!deps.districtClock) {
      throw new ApiError("not_found", "no district clock in this server");
    }
    return c.json(await deps.districtClock.status());
  });

  app.post("/admin/clock/advance", async (c) => {
    if (!deps.districtClock) {
      throw new ApiError("not_found", "no district clock in this server");
    }
    const parsed = AdvanceBody.safeParse(await jsonBody(c));
    if (!parsed.success) {
      throw new ApiError(
        "invalid_data",
        'body must be {"days": N} with N a whole number from 1 to 3650 (and optionally "churnRate" from 0 to 1)',
      );
    }
    const { days, churnRate } = parsed.data;
    const summary = await deps.districtClock
      .advance(days, churnRate === undefined ? {} : { churnRate })
      .catch((error: unknown) => {
        throw clockRefusal(error) ?? error;
      });
    deps.pageCache.invalidate();
    return c.json(summary);
  });

  registerFaultAdminRoutes(app, deps);
  app.post("/admin/clock/mass-withdrawal", async (c) => {
    const clock = deps.districtClock;
    if (!clock?.massWithdrawal) {
      throw new ApiError("not_found", "no district clock with a mass-withdrawal day in this server");
    }
    const parsed = MassWithdrawalBody.safeParse(await jsonBody(c, {}));
    if (!parsed.success) {
      throw new ApiError(
        "invalid_data",
        'body must be {"schools": ["sourcedId", …], "share": S} (both optional; S above 0 and at most 1)',
      );
    }
    const { schools, share } = parsed.data;
    const summary = await clock
      .massWithdrawal({ ...(schools ? { schoolIds: schools } : {}), ...(share !== undefined ? { share } : {}) })
      .catch((error: unknown) => {
        throw clockRefusal(error) ?? error;
      });
    deps.pageCache.invalidate();
    return c.json(summary);
  });
}
