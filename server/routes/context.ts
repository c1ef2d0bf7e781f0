// Per-request helpers every OneRoster route shares: the absolute base URL, token and scope checks, the active quirks.
import type { Context } from "hono";
import { type Endpoint, ONEROSTER_BASE_PATH } from "../../oneroster/index.js";
import type { AppEnv } from "../app-env.js";
import { requireScope, verifyBearer } from "../auth/require-token.js";
import type { AppDeps } from "../deps.js";
import type { QuirkName } from "../faults/presets.js";
import type { QuirkStore } from "../faults/store.js";

export interface RouteDeps extends AppDeps {
  quirkStore: QuirkStore;
}

/** Origin for hrefs and links: the configured public URL, else the request's own origin. */
export function originOf(c: Context<AppEnv>, deps: AppDeps): string {
  return deps.config.publicUrl ?? new URL(c.req.url).origin;
}

export function baseUrlOf(c: Context<AppEnv>, deps: AppDeps): string {
  return `${originOf(c, deps)}${ONEROSTER_BASE_PATH}`;
}

/** Verifies the bearer token and the endpoint's scope (401, then 403), and returns the quirks in force. */
export async function authorize(c: Context<AppEnv>, deps: RouteDeps, endpoint: Endpoint): Promise<ReadonlySet<QuirkName>> {
  const quirks = await deps.quirkStore.active();
  const auth = await verifyBearer(deps, c.req.header("authorization"), { acceptExpired: quirks.has("accept-expired-tokens") });
  c.set("auth", auth);
  requireScope(auth, endpoint.scopes);
  return quirks;
}
