// Bench child: runs the real provider (startServer) on 127.0.0.1 with a seeded demo district, in its own
// process so the load generator never shares its event loop. Prints one ready line with its URLs and credentials.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { type AddressInfo, createServer } from "node:net";
import { Command } from "commander";
import { createDistrictClock, type SizeName, seedDatabase } from "../seed/index.js";
import { DEFAULT_CONFIG } from "../server/config.js";
import { startServer } from "../server/main.js";
import { announceReady } from "./child.js";

export interface ProviderInfo {
  origin: string;
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Bearer credential of /admin (the sync figure advances the district clock through it). */
  adminToken: string;
  driver: string;
  seedMs: number;
  seededRows: number;
}

const program = new Command("provider-process")
  .description("bench child: serve a seeded provider on 127.0.0.1 until SIGTERM or stdin closes")
  .option("--database-url <url>", "postgres:// URL of a scratch database; PGlite in memory when absent")
  .option("--size <name>", "seed size preset", "demo")
  .option("--no-page-cache", "serve every request from the database (the cache is on by default, as in production)")
  .option("--seed <n>", "seed number", "1")
  .option("--no-seed-data", "serve the database as it is (another bench child seeded it)")
  .option("--public-url <origin>", "ROSTERLAB_PUBLIC_URL: the origin in hrefs and Link headers")
  .option("--client-secret <secret>", "fix the demo client's secret (several children on one database share it)")
  .option("--district-clock", "serve /admin/clock over the seeded database, as `rosterlab serve` does")
  .option(
    "--cpu-profile <file>",
    "profile the serving phase only (not start-up or seeding) and write it to FILE on exit",
  )
  .parse();

const opts = program.opts<{
  databaseUrl?: string;
  size: string;
  seed: string;
  cpuProfile?: string;
  pageCache: boolean;
  districtClock?: boolean;
  seedData: boolean;
  publicUrl?: string;
  clientSecret?: string;
}>();
/** A free port on 127.0.0.1 (asked of the kernel, then released): with --public-url, the origin reported is not the one listened on. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const port = opts.publicUrl ? await freePort() : 0;
let seedMs = 0;
let seededRows = 0;
const server = await startServer(
  {
    ...DEFAULT_CONFIG,
    port,
    host: "127.0.0.1",
    logLevel: "error",
    ...(opts.pageCache ? {} : { pageCacheBytes: 0 }),
    ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
    ...(opts.clientSecret ? { clientSecret: opts.clientSecret } : {}),
  },
  {
    beforeListen: async (handle) => {
      if (!opts.seedData) {
        return;
      }
      const started = performance.now();
      const summary = await seedDatabase(handle, {
        seed: Number(opts.seed),
        size: opts.size as SizeName,
        reset: true,
        fingerprint: false,
      });
      seedMs = Math.round(performance.now() - started);
      seededRows = summary.totalRows;
    },
    ...(opts.districtClock ? { districtClock: (handle) => createDistrictClock(handle) } : {}),
  },
);
// Where this child listens (the served hrefs start with --public-url when it is given).
const origin = opts.publicUrl ? `http://127.0.0.1:${port}` : server.origin;
const info: ProviderInfo = {
  origin,
  baseUrl: `${origin}${server.baseUrl.slice(server.origin.length)}`,
  tokenUrl: `${origin}${server.tokenUrl.slice(server.origin.length)}`,
  clientId: server.clientId,
  clientSecret: server.clientSecret,
  adminToken: server.adminToken,
  driver: server.handle.driver,
  seedMs,
  seededRows,
};
let stopProfile = async () => {};
if (opts.cpuProfile) {
  const file = opts.cpuProfile;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.start");
  stopProfile = async () => {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
announceReady(info, async () => {
  await stopProfile();
  await server.close();
});
