// Starts the provider: open the database (PGlite or Postgres), migrate, load or create the signing key,
// register the demo client, serve with @hono/node-server, and stop cleanly on SIGTERM/SIGINT.
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { ALL_SCOPES, ONEROSTER_BASE_PATH } from "../oneroster/index.js";
import { createApp } from "./app.js";
import { loadOrCreateKeys } from "./auth/keys.js";
import { ensureClient } from "./auth/secrets.js";
import { signAccessToken } from "./auth/sign.js";
import { TOKEN_PATH } from "./auth/token-route.js";
import { openPageCache } from "./cache/page-cache.js";
import type { ServerConfig } from "./config.js";
import { type DbHandle, describeOpenFailure, openDb, redactUrl } from "./db/client.js";
import { migrateDb } from "./db/migrate.js";
import { type DistrictClockPort, systemClock } from "./deps.js";
import type { FaultSpec } from "./faults/catalog.js";
import type { QuirkName } from "./faults/presets.js";
import { type NodeServer, serveApp } from "./http/node-server.js";
import { createLogger, errorFields } from "./log.js";
import { createRequestLog } from "./request-log/writer.js";

export const DEMO_CLIENT_ID = "rosterlab-demo";

/** A start-up failure the user can fix; `message` is one line that says what to do. The CLI prints only that. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}

/**
 * Fails fast when host:port cannot be listened on, before a district is seeded into the database (which can take
 * minutes): a probe listener is opened and closed. Port 0 (any free port) needs no check.
 */
export async function assertCanListen(host: string, port: number): Promise<void> {
  if (port === 0) {
    return;
  }
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen(port, host, () => resolve());
    });
  } catch (error) {
    throw new StartupError(listenProblem(error, host, port));
  } finally {
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}

/** One line for a failed listen: what happened and what to change. */
export function listenProblem(error: unknown, host: string, port: number): string {
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case "EADDRINUSE":
      return `port ${port} on ${host} is already in use: stop the other process, or choose another port with --port or PORT`;
    case "EACCES":
      return `permission denied to listen on port ${port}: use a port above 1023, or run with the right privileges`;
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return `cannot listen on ${host}: it is not an address of this machine; use 127.0.0.1 or 0.0.0.0 (--host or HOST)`;
    default:
      return `cannot listen on ${host}:${port}: ${(error as Error).message ?? String(error)}`;
  }
}

/** Opens the configured database, turning a failure into one StartupError line that says what to do. */
export async function openConfiguredDb(config: Pick<ServerConfig, "databaseUrl" | "dbConnectTimeoutSeconds">) {
  try {
    return await openDb(config.databaseUrl, { connectTimeoutSeconds: config.dbConnectTimeoutSeconds });
  } catch (error) {
    const url = config.databaseUrl;
    const label = !url ? "PGlite (in memory)" : /^postgres(ql)?:/.test(url) ? redactUrl(url) : `PGlite at ${url}`;
    throw new StartupError(describeOpenFailure(error, label));
  }
}

export interface StartOptions {
  quirks?: ReadonlySet<QuirkName>;
  /** Token leniency of the demo client: `lenient` (default) or `strict`. */
  demoClientLeniency?: "strict" | "lenient";
  /** Fault presets with parameters on from start (`--quirk latency:ms=200`). */
  faults?: readonly FaultSpec[];
  /** What to do when the database engine fails for good (default: log and exit 70 for a supervisor to restart). */
  onFatal?: (error: unknown) => void;
  /**
   * Opens the database instead of DATABASE_URL's default (the CLI restores a snapshot of the seeded embedded
   * database here); a StartupError it throws is shown as is.
   */
  openDb?: () => Promise<DbHandle>;
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
  await assertCanListen(config.host, config.port);
  const handle = await (options.openDb ? options.openDb() : openConfiguredDb(config));
  try {
    await migrateDb(handle).catch((error: unknown) => {
      throw new StartupError(describeOpenFailure(error, handle.label));
    });
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
      onFatal:
        options.onFatal ??
        ((error) => {
          // The embedded engine cannot recover, and serving 503s forever helps no one: stop loudly, non-zero.
          log.error("stopping: the database engine failed; restart the provider (an in-memory district is lost)", {
            ...errorFields(error),
          });
          process.exit(70);
        }),
    });
    let server: NodeServer;
    let port: number;
    try {
      ({ server, port } = await serveApp(app, config.port, config.host));
    } catch (error) {
      throw new StartupError(listenProblem(error, config.host, config.port));
    }
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
