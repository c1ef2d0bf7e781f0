// Admin routes of the fault presets (behind the admin credential of admin/routes.ts): GET/PUT /admin/quirks for the
// provider-wide set (quirks and transport faults, with parameters), PUT/DELETE /admin/quirks/{name} for one preset,
// and the request counters the counted presets keep.
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env.js";
import { ApiError } from "../errors.js";
import { BodyError, parseJsonBody, readBodyText } from "../http/body.js";
import type { RouteDeps } from "../routes/context.js";
import {
  describeFaults,
  type FaultSpec,
  FaultSpecError,
  formatFaultSpec,
  isFaultName,
  parseFaultInput,
} from "./catalog.js";
import { QUIRKS } from "./presets.js";
import { PROVIDER_SCOPE, type SwitchedFault } from "./store.js";

export const QuirksBody = z.object({ quirks: z.array(z.unknown()) });

/** The JSON body, bounded in size while it streams and in nesting depth (server/http/body.ts); undefined when empty. */
export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  try {
    const text = await readBodyText(c);
    return text.trim() === "" ? undefined : parseJsonBody(text);
  } catch (e) {
    throw new ApiError("invalid_data", e instanceof BodyError ? e.message : "body is not valid JSON");
  }
}

/** Fault specs from a JSON list; a bad one is a 400 that names it and says what to change. */
export function specsFrom(values: readonly unknown[]): FaultSpec[] {
  const specs: FaultSpec[] = [];
  for (const value of values) {
    try {
      specs.push(parseFaultInput(value));
    } catch (error) {
      if (error instanceof FaultSpecError) {
        throw new ApiError("invalid_data", error.message);
      }
      throw error;
    }
  }
  const names = specs.map((s) => s.name);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) {
    throw new ApiError("invalid_data", `preset given twice: ${[...new Set(twice)].join(", ")}`);
  }
  return specs;
}

/** A switched preset as JSON: its spec string, parameters as given, where it comes from and until when. */
export function switchedJson(s: SwitchedFault) {
  return {
    name: s.name,
    spec: formatFaultSpec(s),
    params: s.params,
    source: s.source,
    since: s.since.toISOString(),
    until: s.until?.toISOString() ?? null,
  };
}

export function registerFaultAdminRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  const store = deps.quirkStore;
  const state = async () => {
    const on = await store.list(PROVIDER_SCOPE);
    return {
      active: on.map((s) => formatFaultSpec(s)),
      faults: on.map(switchedJson),
      counters: await store.counters(PROVIDER_SCOPE),
    };
  };

  app.get("/admin/quirks", async (c) => {
    // `available` keeps its old shape (name → description); `presets` adds the kind and parameters.
    const presets = describeFaults();
    const available = Object.fromEntries(Object.entries(presets).map(([n, p]) => [n, p.description]));
    return c.json({ ...(await state()), available: { ...QUIRKS, ...available }, presets });
  });

  app.put("/admin/quirks", async (c) => {
    const parsed = QuirksBody.safeParse(await readJson(c));
    if (!parsed.success) {
      throw new ApiError(
        "invalid_data",
        'body must be {"quirks": [preset, …]}, each a name, a spec such as "latency:ms=200" or {"name": …, "params": {…}}',
      );
    }
    await store.replace(PROVIDER_SCOPE, specsFrom(parsed.data.quirks));
    deps.pageCache.invalidate();
    return c.json(await state());
  });

  app.put("/admin/quirks/:name", async (c) => {
    const name = c.req.param("name");
    if (!isFaultName(name)) {
      throw new ApiError("not_found", `unknown fault preset: ${name}; GET /admin/quirks lists them`);
    }
    const body = (await readJson(c)) ?? {};
    if (typeof body !== "object" || Array.isArray(body) || body === null) {
      throw new ApiError("invalid_data", 'body must be the parameters as an object, e.g. {"every": 5}, or empty');
    }
    const [spec] = specsFrom([{ name, params: body }]);
    const switched = await store.switchOn(PROVIDER_SCOPE, spec as FaultSpec);
    deps.pageCache.invalidate();
    return c.json(switchedJson(switched));
  });

  app.delete("/admin/quirks/:name", async (c) => {
    const name = c.req.param("name");
    if (!isFaultName(name) || !(await store.switchOff(PROVIDER_SCOPE, name))) {
      throw new ApiError("not_found", `fault preset ${name} is not switched on provider-wide`);
    }
    deps.pageCache.invalidate();
    return c.body(null, 204);
  });
}
