// Admin routes of OAuth clients (behind the admin credential): list, create (the secret is shown once), show, update
// (name, scopes, token leniency), rotate the secret, delete; and each client's own fault presets, kept in the same
// fault_switches table as the provider-wide ones under the scope `client:<id>`.
import type { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env.js";
import { ApiError } from "../errors.js";
import { readJson, specsFrom, switchedJson } from "../faults/admin-routes.js";
import { formatFaultSpec, isFaultName } from "../faults/catalog.js";
import { clientScope } from "../faults/store.js";
import type { RouteDeps } from "../routes/context.js";
import type { ClientDirectory } from "./directory.js";
import {
  ClientError,
  clientJson,
  createClient,
  deleteClient,
  getClient,
  listClients,
  rotateClientSecret,
  TOKEN_LENIENCIES,
  updateClient,
} from "./store.js";

const Leniency = z.enum(TOKEN_LENIENCIES);
export const CreateClientBody = z.strictObject({
  clientId: z.string().optional(),
  name: z.string(),
  scopes: z.array(z.string()).optional(),
  tokenLeniency: Leniency.optional(),
  /** A secret of the team's own choosing (at least 16 characters); generated when absent. */
  clientSecret: z.string().optional(),
  faults: z.array(z.unknown()).optional(),
});
export const UpdateClientBody = z.strictObject({
  name: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  tokenLeniency: Leniency.optional(),
});
export const ClientFaultsBody = z.union([
  z.strictObject({ faults: z.array(z.unknown()) }),
  z.strictObject({ quirks: z.array(z.unknown()) }),
]);

/** ClientError → status payload; anything else stays unexpected. */
async function clientCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ClientError) {
      const kind = error.code === "NOT_FOUND" ? "not_found" : error.code === "EXISTS" ? "conflict" : "invalid_data";
      throw new ApiError(kind, error.message);
    }
    throw error;
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown, shape: string): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
    throw new ApiError("invalid_data", `body must be ${shape} (${problems})`);
  }
  return parsed.data;
}

export function registerClientAdminRoutes(app: Hono<AppEnv>, deps: RouteDeps & { clients: ClientDirectory }): void {
  const store = deps.quirkStore;
  const faultsOf = async (clientId: string) => {
    const scope = clientScope(clientId);
    const on = await store.list(scope);
    return {
      active: on.map((s) => formatFaultSpec(s)),
      faults: on.map(switchedJson),
      counters: await store.counters(scope),
    };
  };

  // Admin reads are fresh and refresh this process's cached view of clients (another process may have written).
  app.get("/admin/clients", async (c) => {
    deps.clients.invalidate();
    const clients = await listClients(deps.db);
    return c.json({ clients: clients.map(clientJson) });
  });

  app.post("/admin/clients", async (c) => {
    const body = parse(
      CreateClientBody,
      await readJson(c),
      '{"name": …, "clientId"?: …, "scopes"?: […], "tokenLeniency"?: "strict"|"lenient", "clientSecret"?: …, "faults"?: […]}',
    );
    const specs = specsFrom(body.faults ?? []);
    const { client, clientSecret } = await clientCall(() =>
      createClient(
        deps.db,
        {
          name: body.name,
          ...(body.clientId !== undefined ? { clientId: body.clientId } : {}),
          ...(body.scopes !== undefined ? { scopes: body.scopes } : {}),
          ...(body.tokenLeniency !== undefined ? { tokenLeniency: body.tokenLeniency } : {}),
          ...(body.clientSecret !== undefined ? { clientSecret: body.clientSecret } : {}),
        },
        deps.clock.now(),
      ),
    );
    await store.replace(clientScope(client.clientId), specs);
    deps.clients.invalidate();
    return c.json({ client: clientJson(client), clientSecret, ...(await faultsOf(client.clientId)) }, 201);
  });

  app.get("/admin/clients/:id", async (c) => {
    deps.clients.invalidate();
    const client = await clientCall(() => getClient(deps.db, c.req.param("id")));
    return c.json({ client: clientJson(client), ...(await faultsOf(client.clientId)) });
  });

  app.patch("/admin/clients/:id", async (c) => {
    const body = parse(UpdateClientBody, await readJson(c), '{"name"?: …, "scopes"?: […], "tokenLeniency"?: …}');
    const changes = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    const client = await clientCall(() => updateClient(deps.db, c.req.param("id"), changes, deps.clock.now()));
    return c.json({ client: clientJson(client) });
  });

  app.post("/admin/clients/:id/rotate", async (c) => {
    const { client, clientSecret } = await clientCall(() =>
      rotateClientSecret(deps.db, c.req.param("id"), deps.clock.now()),
    );
    deps.clients.invalidate();
    return c.json({ client: clientJson(client), clientSecret });
  });

  app.delete("/admin/clients/:id", async (c) => {
    const id = c.req.param("id");
    await clientCall(() => deleteClient(deps.db, id, deps.clock.now()));
    await store.clearScope(clientScope(id));
    deps.clients.invalidate();
    deps.pageCache.invalidate();
    return c.body(null, 204);
  });

  app.get("/admin/clients/:id/faults", async (c) => {
    const client = await clientCall(() => getClient(deps.db, c.req.param("id")));
    return c.json(await faultsOf(client.clientId));
  });

  app.put("/admin/clients/:id/faults", async (c) => {
    const client = await clientCall(() => getClient(deps.db, c.req.param("id")));
    const body = parse(ClientFaultsBody, await readJson(c), '{"faults": [preset, …]}');
    await store.replace(clientScope(client.clientId), specsFrom("faults" in body ? body.faults : body.quirks));
    deps.pageCache.invalidate();
    return c.json(await faultsOf(client.clientId));
  });

  app.put("/admin/clients/:id/faults/:name", async (c) => {
    const client = await clientCall(() => getClient(deps.db, c.req.param("id")));
    const name = c.req.param("name");
    if (!isFaultName(name)) {
      throw new ApiError("not_found", `unknown fault preset: ${name}; GET /admin/quirks lists them`);
    }
    const params = (await readJson(c)) ?? {};
    if (typeof params !== "object" || Array.isArray(params) || params === null) {
      throw new ApiError("invalid_data", 'body must be the parameters as an object, e.g. {"every": 5}, or empty');
    }
    const [spec] = specsFrom([{ name, params }]);
    if (!spec) {
      throw new ApiError("invalid_data", "no preset given");
    }
    const switched = await store.switchOn(clientScope(client.clientId), spec);
    deps.pageCache.invalidate();
    return c.json(switchedJson(switched));
  });

  app.delete("/admin/clients/:id/faults/:name", async (c) => {
    const client = await clientCall(() => getClient(deps.db, c.req.param("id")));
    const name = c.req.param("name");
    if (!isFaultName(name) || !(await store.switchOff(clientScope(client.clientId), name))) {
      throw new ApiError("not_found", `fault preset ${name} is not switched on for client ${client.clientId}`);
    }
    deps.pageCache.invalidate();
    return c.body(null, 204);
  });
}
