// startProvider: the real app from createApp(deps) served by @hono/node-server on 127.0.0.1 with an ephemeral
// port, a registered demo client and a token helper that goes over HTTP; plus a test.extend fixture variant.
import type { Hono } from "hono";
import { test } from "vitest";
import { ALL_SCOPES, ONEROSTER_BASE_PATH } from "../../oneroster/index.js";
import { createApp } from "../../server/app.js";
import type { AppEnv } from "../../server/app-env.js";
import { ensureClient } from "../../server/auth/secrets.js";
import { TOKEN_PATH } from "../../server/auth/token-route.js";
import type { DbHandle } from "../../server/db/client.js";
import { type NodeServer, serveApp } from "../../server/http/node-server.js";
import { type DbKind, openTestDb, type TestDb } from "./db.js";
import { createTestDeps, type TestDeps, type TestDepsOverrides } from "./deps.js";
import { primaryDbKind } from "./each-db.js";

export { createTestClock, createTestDeps, FIXED_NOW, type TestClock, type TestDeps } from "./deps.js";

export const API_PREFIX = ONEROSTER_BASE_PATH;
export const TEST_CLIENT_ID = "rosterlab-test-client";
export const TEST_CLIENT_SECRET = "rosterlab-test-secret-0123456789";

export interface TestProvider {
  /** http://127.0.0.1:PORT/ims/oneroster/v1p1 */
  baseUrl: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  deps: TestDeps;
  app: Hono<AppEnv>;
  server: NodeServer;
  /** Fetches a real access token over HTTP for the demo client (all its scopes when none are named). */
  token(scopes?: readonly string[]): Promise<string>;
  /** Stops the server and drops open connections. The database stays open: its owner closes it. */
  close(): Promise<void>;
}

export interface StartProviderOverrides extends TestDepsOverrides {
  /** Scopes of the demo client; all v1p1 scopes by default. */
  clientScopes?: readonly string[];
}

export async function startProvider(handle: DbHandle, overrides: StartProviderOverrides = {}): Promise<TestProvider> {
  const deps = await createTestDeps(handle, overrides);
  await ensureClient(handle.db, {
    clientId: TEST_CLIENT_ID,
    clientSecret: TEST_CLIENT_SECRET,
    name: "test client",
    scopes: overrides.clientScopes ?? ALL_SCOPES,
  });
  const app = createApp(deps);
  // The same Node server settings as main.ts (keep-alive, header limits, malformed-request answers).
  const { server, port } = await serveApp(app, 0, "127.0.0.1");
  const origin = `http://127.0.0.1:${port}`;
  const tokenUrl = `${origin}${TOKEN_PATH}`;
  let closed = false;
  return {
    baseUrl: `${origin}${API_PREFIX}`,
    origin,
    tokenUrl,
    clientId: TEST_CLIENT_ID,
    clientSecret: TEST_CLIENT_SECRET,
    deps,
    app,
    server,
    token: async (scopes) => {
      const body = new URLSearchParams({ grant_type: "client_credentials" });
      if (scopes) {
        body.set("scope", scopes.join(" "));
      }
      const basic = Buffer.from(`${encodeURIComponent(TEST_CLIENT_ID)}:${encodeURIComponent(TEST_CLIENT_SECRET)}`);
      const res = await fetch(tokenUrl, {
        method: "POST",
        headers: { Authorization: `Basic ${basic.toString("base64")}` },
        body,
      });
      const json = (await res.json()) as { access_token?: string };
      if (res.status !== 200 || typeof json.access_token !== "string") {
        throw new Error(`token request failed: ${res.status} ${JSON.stringify(json)}`);
      }
      return json.access_token;
    },
    close: async () => {
      if (closed) {
        return;
      }
      closed = true;
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections from fetch would hold close() open until they time out.
        if ("closeAllConnections" in server) {
          server.closeAllConnections();
        }
      });
    },
  };
}

/**
 * Fixtures: `testDb` (a fresh database of the primary backend, see TEST_PRIMARY_DB) and `provider` (a running
 * server over it). Both are torn down after the test. Call `providerTest.scoped({ dbKind })` inside a describe.
 */
export const providerTest = test.extend<{ dbKind: DbKind; testDb: TestDb; provider: TestProvider }>({
  dbKind: primaryDbKind,
  testDb: async ({ dbKind }, use) => {
    const db = await openTestDb(dbKind);
    await use(db);
    await db.close();
  },
  provider: async ({ testDb }, use) => {
    const provider = await startProvider(testDb.handle);
    await use(provider);
    await provider.close();
  },
});
