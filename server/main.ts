// Starts the provider: open the database (PGlite or Postgres), migrate, load or create the signing key,
// register the demo client, serve with @hono/node-server, and stop cleanly on SIGTERM/SIGINT.
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { ALL_SCOPES, ONEROSTER_BASE_PATH } from "../oneroster/index.js";
import { createApp } from "./app.js";
import { loadOrCreateKeys } from "./auth/keys.js";
import { ensureClient } from "./auth/secrets.js";
import { signAccessToken } from "./auth/sign.js";
import { TOKEN_PATH } from "./auth/token-route.js";
import { openPageCache } from "./cache/page-cache.js";
import type { ServerConfig } from "./config.js";
import { type DbHandle, openDb } from "./db/client.js";
import { migrateDb } from "./db/migrate.js";
import { type DistrictClockPort, systemClock } from "./deps.js";
import type { FaultSpec } from "./faults/catalog.js";
import type { QuirkName } from "./faults/presets.js";
import { createLogger } from "./log.js";
import { createRequestLog } from "./request-log/writer.js";

export const DEMO_CLIENT_ID = "rosterlab-demo";

export interface StartOptions {
  quirks?: ReadonlySet<QuirkName>;
  /** Token leniency of the demo client: `lenient` (default) or `strict`. */
  demoClientLeniency?: "strict" | "lenient";
  /** Fault presets with parameters on from start (`--quirk latency:ms=200`). */
  faults?: readonly FaultSpec[];
  /** Runs after migration, before listening: the CLI seeds here (the server never imports seed/). */
  beforeListen?: (handle: DbHandle) => Promise<void>;
  districtClock?: (handle: DbHandle) => DistrictClockPort;
}

export interface RunningServer {
  origin: string;
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  adminToken: string;
  handle: DbHandle;
  /** Mints an access token for the demo client as if issued at `issuedAt` (the CLI hands the conformance suite an expired one). */
  mintToken(issuedAt: Date): Promise<string>;
  close(): Promise<void>;
}

const randomSecret = () => randomBytes(24).toString("base64url");

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const log = createLogger(config.logLevel);
  const handle = await openDb(config.databaseUrl);
  try {
    await migrateDb(handle);
    await options.beforeListen?.(handle);
    const keys = await loadOrCreateKeys(handle.db);
    const clientId = config.clientId ?? DEMO_CLIENT_ID;
    const clientSecret = config.clientSecret ?? randomSecret();
    // The demo client takes token requests as real clients send them (recording each deviation in its request
    // log); the conformance self-run asks for a strict one.
    await ensureClient(handle.db, {
      clientId,
      clientSecret,
      name: "demo client",
      scopes: ALL_SCOPES,
      tokenLeniency: options.demoClientLeniency ?? "lenient",
    });
    const adminToken = config.adminToken ?? randomSecret();
    const pages = await openPageCache(handle, config.pageCacheBytes);
    const requestLog = createRequestLog(handle.db, systemClock, log, {
      retentionDays: config.requestLogDays,
      maxRows: config.requestLogMaxRows,
    });
    const app = createApp({
      db: handle.db,
      driver: handle.driver,
      clock: systemClock,
      config: { ...config, adminToken },
      keys,
      log,
      pageCache: pages.cache,
      requestLog,
      ...(options.quirks ? { quirks: options.quirks } : {}),
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.districtClock ? { districtClock: options.districtClock(handle) } : {}),
    });
    const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>(
      (resolve, reject) => {
        const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info: AddressInfo) =>
          resolve({ server: s, port: info.port }),
        );
        s.once("error", reject);
      },
    );
    const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
    const origin = config.publicUrl ?? `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`;
    return {
      origin,
      baseUrl: `${origin}${ONEROSTER_BASE_PATH}`,
      tokenUrl: `${origin}${TOKEN_PATH}`,
      clientId,
      clientSecret,
      adminToken,
      handle,
      mintToken: (issuedAt) => signAccessToken(keys, config, clientId, ALL_SCOPES.join(" "), issuedAt),
      close: async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          if ("closeAllConnections" in server && typeof server.closeAllConnections === "function") {
            server.closeAllConnections();
          }
        });
        await requestLog.close();
        await pages.close();
        await handle.close();
      },
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
