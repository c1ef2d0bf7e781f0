// `npm run bench`: req/s and p99 of the provider (child process, seeded demo district) on PGlite and Postgres for
// `GET /users?limit=100` and a delta query, each against a ceiling measured in the same run: the same Hono stack
// serving the same bytes precomputed. Medians of several bounded runs; 127.0.0.1 only. `--only seed`, `--only sync`
// and `--only startup` run the seed-load, consumer sync and start-up figures (bench/seed-load.ts, bench/sync-bench.ts,
// bench/startup.ts) instead.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { z } from "zod";
import { redactUrl } from "../server/db/client.js";
import type { CeilingInfo, CeilingRoute } from "./ceiling-process.js";
import { type BenchChild, spawnChild } from "./child.js";
import { LoadError, type LoadResult, runLoad } from "./load.js";
import { processCpuMs } from "./process-cpu.js";
import { type ProfileSummary, readProfile, renderProfile, summarizeProfile } from "./profile-summary.js";
import type { ProviderInfo } from "./provider-process.js";
import { type ReadsBenchResult, renderReadsTable, runReadsBench } from "./reads-bench.js";
import { type FigureRuns, type FigureSummary, renderTable, summarize } from "./report.js";
import { DEFAULT_BENCH_PG_URL, openScratchDb, type ScratchDb } from "./scratch-db.js";
import { formatSeedLoadBench, runSeedLoadBench, type SeedLoadBenchRow } from "./seed-load.js";
import { formatStartupBench, runStartupBench, StartupBenchError, type StartupFigure } from "./startup.js";
import { CHURN_TARGET, DEFAULT_CHURN_RATE, runSyncBench, type SyncBenchResult } from "./sync-bench.js";
import { memoryGrowth, renderSyncTable } from "./sync-report.js";

type Backend = "pglite" | "postgres";

const Options = z.object({
  backend: z.enum(["pglite", "postgres", "both"]),
  duration: z.coerce.number().int().min(1).max(60),
  warmup: z.coerce.number().int().min(0).max(30),
  connections: z.coerce.number().int().min(1).max(100),
  runs: z.coerce.number().int().min(1).max(15),
  json: z.string().min(1).optional(),
  only: z.enum(["http", "reads", "seed", "sync", "startup", "all"]),
  startupRuns: z.coerce.number().int().min(1).max(15),
  workloads: z
    .string()
    .transform((v) => v.split(",").map((x) => x.trim()))
    .optional(),
  profile: z.string().min(1).optional(),
  size: z.enum(["tiny", "demo", "district", "large"]),
  figure: z.enum(["users", "delta", "all"]),
  pageCache: z.enum(["on", "off", "both"]),
  seedSizes: z
    .string()
    .transform((v) => v.split(",").map((x) => x.trim()))
    .pipe(z.array(z.enum(["tiny", "demo", "district", "large"])).min(1))
    .optional(),
  syncSizes: z
    .string()
    .transform((v) => v.split(",").map((x) => x.trim()))
    .pipe(z.array(z.enum(["tiny", "demo", "district", "large"])).min(1)),
  syncRuns: z.coerce.number().int().min(1).max(15),
  syncLargeRuns: z.coerce.number().int().min(1).max(15),
  churnRate: z.coerce.number().gt(0).max(1),
  enforceTarget: z.boolean().default(false),
  /** Server for the Postgres backend; only the scratch database rosterlab_bench is created on it. */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
});
type BenchOptions = z.output<typeof Options> & {
  /** The environment the provider and ceiling children run with (read from process.env by the action). */
  childEnv: NodeJS.ProcessEnv;
};

/** The ratio the issue asks of `/users?limit=100` on Postgres. */
const USERS_TARGET = 0.5;
/** Share of enrollments the delta query should return: the newest ~10 %. */
const DELTA_SHARE = 0.1;

/** A failure the bench explains itself: printed without a stack. */
class BenchError extends Error {
  override name = "BenchError";
}

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Figure {
  name: string;
  /** Path and query relative to the OneRoster base URL. */
  request: string;
  target?: number;
}

interface Reference {
  figure: Figure;
  providerUrl: string;
  route: CeilingRoute;
  records: number;
  totalCount: number | null;
}

async function fetchToken(info: ProviderInfo): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(info.clientId)}:${encodeURIComponent(info.clientSecret)}`).toString(
    "base64",
  );
  const res = await fetch(info.tokenUrl, {
    method: "POST",
    headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
  const body = (await res.json()) as { access_token?: string; error?: string };
  if (res.status !== 200 || !body.access_token) {
    throw new BenchError(`token endpoint answered ${res.status} ${body.error ?? ""}`);
  }
  return body.access_token;
}

async function getJson(
  url: string,
  token: string,
): Promise<{ res: Response; text: string; json: Record<string, unknown> }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200) {
    throw new BenchError(`GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  }
  return { res, text, json: JSON.parse(text) as Record<string, unknown> };
}

/** The delta figure's `filter`: dateLastModified after the stamp of the enrollment at the newest ~10 % mark. */
async function deltaFigure(info: ProviderInfo, token: string): Promise<Figure> {
  const first = await getJson(`${info.baseUrl}/enrollments?limit=1`, token);
  const total = Number(first.res.headers.get("x-total-count") ?? Number.NaN);
  if (!Number.isFinite(total) || total < 10) {
    throw new BenchError(`the seeded provider reports ${total} enrollments; the delta figure needs a district`);
  }
  const offset = Math.floor(total * DELTA_SHARE);
  const at = await getJson(
    `${info.baseUrl}/enrollments?sort=dateLastModified&orderBy=desc&limit=1&offset=${offset}`,
    token,
  );
  const row = (at.json.enrollments as { dateLastModified?: string }[] | undefined)?.[0];
  if (!row?.dateLastModified) {
    throw new BenchError("could not read a dateLastModified to build the delta filter");
  }
  const filter = encodeURIComponent(`dateLastModified>'${row.dateLastModified}'`);
  return { name: "enrollments delta", request: `/enrollments?filter=${filter}&limit=1000` };
}

/** Fetches each figure once from the provider: the exact bytes and header shape the ceiling will replay. */
async function takeReferences(info: ProviderInfo, token: string, figures: Figure[]): Promise<Reference[]> {
  const refs: Reference[] = [];
  for (const figure of figures) {
    const providerUrl = `${info.baseUrl}${figure.request}`;
    const { res, text, json } = await getJson(providerUrl, token);
    const headers: Record<string, string> = {};
    for (const name of ["content-type", "x-request-id", "x-total-count", "link"]) {
      const value = res.headers.get(name);
      if (value !== null) {
        headers[name] = value;
      }
    }
    const list = Object.values(json).find(Array.isArray) as unknown[] | undefined;
    const totalHeader = res.headers.get("x-total-count");
    refs.push({
      figure,
      providerUrl,
      route: { path: new URL(providerUrl).pathname, status: 200, headers, body: text },
      records: list?.length ?? 0,
      totalCount: totalHeader === null ? null : Number(totalHeader),
    });
  }
  return refs;
}

async function checkCeiling(origin: string, refs: Reference[]): Promise<void> {
  for (const ref of refs) {
    const res = await fetch(`${origin}${ref.route.path}`);
    const text = await res.text();
    if (res.status !== 200 || text !== ref.route.body) {
      throw new BenchError(`the ceiling does not replay ${ref.figure.name} byte for byte (status ${res.status})`);
    }
  }
}

async function benchBackend(
  backend: Backend,
  options: BenchOptions,
  profileDir: string | undefined,
  pageCache: boolean,
): Promise<FigureRuns[]> {
  let scratch: ScratchDb | undefined;
  let provider: BenchChild<ProviderInfo> | undefined;
  let ceiling: BenchChild<CeilingInfo> | undefined;
  try {
    if (backend === "postgres") {
      try {
        scratch = await openScratchDb(options.databaseUrl);
      } catch (error) {
        throw new BenchError(
          `cannot create the scratch database on ${redactUrl(options.databaseUrl)} (set BENCH_DATABASE_URL): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    log(
      `[${backend}] starting provider (page cache ${pageCache ? "on" : "off"}) and seeding the ${options.size} district...`,
    );
    provider = await spawnChild<ProviderInfo>({
      script: "./provider-process.ts",
      env: options.childEnv,
      args: [
        "--size",
        options.size,
        ...(scratch ? ["--database-url", scratch.url] : []),
        ...(profileDir ? ["--cpu-profile", join(profileDir, `${backend}-provider.cpuprofile`)] : []),
        ...(pageCache ? [] : ["--no-page-cache"]),
      ],
    });
    const info = provider.info;
    log(
      `[${backend}] provider pid ${provider.pid} on ${info.origin}: ${info.seededRows} rows seeded in ${info.seedMs} ms`,
    );
    const token = await fetchToken(info);
    const figures: Figure[] = [];
    if (options.figure !== "delta") {
      figures.push({
        name: pageCache ? "users?limit=100" : "users?limit=100 (no page cache)",
        request: "/users?limit=100",
        ...(backend === "postgres" && pageCache ? { target: USERS_TARGET } : {}),
      });
    }
    if (options.figure !== "users") {
      const delta = await deltaFigure(info, token);
      figures.push(pageCache ? delta : { ...delta, name: `${delta.name} (no page cache)` });
    }
    const refs = await takeReferences(info, token, figures);
    ceiling = await spawnChild<CeilingInfo>({
      script: "./ceiling-process.ts",
      env: options.childEnv,
      input: JSON.stringify(refs.map((r) => r.route)),
    });
    await checkCeiling(ceiling.info.origin, refs);
    const auth = { authorization: `Bearer ${token}` };
    const results = refs.map(
      (ref): FigureRuns => ({
        backend,
        figure: ref.figure.name,
        request: decodeURIComponent(ref.figure.request),
        responseBytes: Buffer.byteLength(ref.route.body),
        records: ref.records,
        totalCount: ref.totalCount,
        ...(ref.figure.target !== undefined ? { target: ref.figure.target } : {}),
        provider: [],
        ceiling: [],
      }),
    );
    const ceilingOrigin = ceiling.info.origin;
    const pids = { provider: provider.pid, ceiling: ceiling.pid };
    const load = async (ref: Reference, which: "provider" | "ceiling", seconds: number): Promise<LoadResult> => {
      const cpuBefore = processCpuMs(pids[which]);
      const result = await runLoad({
        url:
          which === "provider"
            ? ref.providerUrl
            : `${ceilingOrigin}${ref.route.path}${new URL(ref.providerUrl).search}`,
        durationSeconds: seconds,
        connections: options.connections,
        headers: auth,
      });
      const cpuAfter = processCpuMs(pids[which]);
      if (cpuBefore !== null && cpuAfter !== null) {
        result.cpuMsPerRequest = Number(((cpuAfter - cpuBefore) / result.totalRequests).toFixed(3));
      }
      return result;
    };
    for (let run = 0; run < options.runs; run++) {
      for (const [i, ref] of refs.entries()) {
        const target = results[i] as FigureRuns;
        // Alternate which side goes first, so drift (thermal, GC, autovacuum) does not favour one side.
        const order: ("provider" | "ceiling")[] = run % 2 === 0 ? ["ceiling", "provider"] : ["provider", "ceiling"];
        for (const which of order) {
          // Loaded just before it is measured, as in the reads bench (bench/README.md): a side left idle while the
          // other ran would be measured rebuilding the optimized code it dropped.
          if (options.warmup > 0) {
            await load(ref, which, options.warmup);
          }
          const result = await load(ref, which, options.duration);
          target[which].push(result);
        }
        const p = target.provider.at(-1) as LoadResult;
        const c = target.ceiling.at(-1) as LoadResult;
        log(
          `[${backend}] run ${run + 1}/${options.runs} ${ref.figure.name}: ${p.requestsPerSecond.toFixed(0)} req/s p99 ${p.p99Ms} ms` +
            ` cpu ${p.cpuMsPerRequest ?? "?"} ms/req | ceiling ${c.requestsPerSecond.toFixed(0)} req/s p99 ${c.p99Ms} ms cpu ${c.cpuMsPerRequest ?? "?"} ms/req (load generator ${c.loadgenCpuMsPerRequest} ms/req) | ratio ${(p.requestsPerSecond / c.requestsPerSecond).toFixed(3)}`,
        );
      }
    }
    return results;
  } finally {
    await ceiling?.stop();
    await provider?.stop();
    await scratch?.drop();
  }
}

/** The seed-load bench (bench/seed-load.ts): generator + loader rows/s against raw COPY, same backends. */
function runSeedLoad(options: BenchOptions): Promise<SeedLoadBenchRow[]> {
  return runSeedLoadBench({
    postgresUrl: options.databaseUrl,
    backends: options.backend === "both" ? ["postgres", "pglite"] : [options.backend],
    ...(options.seedSizes ? { sizes: options.seedSizes } : {}),
    log,
  });
}

/** The consumer sync figure (bench/sync-bench.ts): full sync against fetch + COPY, delta after a 1 % churn. */
function runSync(options: BenchOptions, profileDir: string | undefined): Promise<SyncBenchResult> {
  return runSyncBench({
    childEnv: options.childEnv,
    databaseUrl: options.databaseUrl,
    sizes: options.syncSizes,
    runs: options.syncRuns,
    largeRuns: options.syncLargeRuns,
    churnRate: options.churnRate,
    churnTarget: CHURN_TARGET,
    ...(profileDir ? { profileDir } : {}),
    log,
  });
}

function profileSummaries(dir: string, backends: Backend[], syncSizes: string[]): Record<string, ProfileSummary> {
  const out: Record<string, ProfileSummary> = {};
  const files = [
    ...backends.map((backend) => `${backend}-provider.cpuprofile`),
    ...syncSizes.flatMap((size) => [`sync-${size}-full.cpuprofile`, `sync-${size}-delta.cpuprofile`]),
    "reads-off-provider.cpuprofile",
  ];
  for (const name of files) {
    const file = join(dir, name);
    if (existsSync(file)) {
      out[file] = summarizeProfile(readProfile(file), 20);
    }
  }
  return out;
}

async function runBench(options: BenchOptions): Promise<number> {
  const backends: Backend[] = options.backend === "both" ? ["pglite", "postgres"] : [options.backend];
  const profileDir = options.profile ? resolve(options.profile) : undefined;
  if (profileDir) {
    mkdirSync(profileDir, { recursive: true });
  }
  const startedAt = new Date().toISOString();
  const summaries: FigureSummary[] = [];
  const raw: FigureRuns[] = [];
  if (options.only === "http" || options.only === "all") {
    for (const backend of backends) {
      // With the page cache (as served) and without it (the query path itself, every request a cache miss).
      for (const pageCache of options.pageCache === "both" ? [true, false] : [options.pageCache === "on"]) {
        const runs = await benchBackend(backend, options, profileDir, pageCache);
        raw.push(...runs);
        summaries.push(...runs.map(summarize));
      }
    }
  }
  let reads: ReadsBenchResult | undefined;
  if (options.only === "reads" || options.only === "all") {
    if (!backends.includes("postgres")) {
      throw new BenchError("the uncached-read figures need Postgres: the hand-tuned ceiling reads the same database");
    }
    reads = await runReadsBench({
      childEnv: options.childEnv,
      databaseUrl: options.databaseUrl,
      size: options.size,
      duration: options.duration,
      warmup: options.warmup,
      connections: options.connections,
      runs: options.runs,
      ...(options.workloads ? { workloads: options.workloads } : {}),
      ...(profileDir ? { profileDir } : {}),
      log,
    });
  }
  const seedLoad = options.only === "seed" || options.only === "all" ? await runSeedLoad(options) : undefined;
  const sync = options.only === "sync" || options.only === "all" ? await runSync(options, profileDir) : undefined;
  const startup: StartupFigure[] | undefined =
    options.only === "startup" || options.only === "all"
      ? await runStartupBench({ childEnv: options.childEnv, runs: options.startupRuns, size: options.size, log })
      : undefined;
  const profiles = profileDir
    ? profileSummaries(profileDir, backends, sync ? sync.raw.map((r) => r.size) : [])
    : undefined;
  const report = {
    startedAt,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      node: process.version,
      platform: process.platform,
    },
    options: { ...options, loadGenerator: "autocannon", pipelining: 1 },
    figures: summaries,
    raw,
    ...(reads !== undefined ? { reads } : {}),
    ...(seedLoad !== undefined ? { seedLoad } : {}),
    ...(sync !== undefined ? { sync: { ...sync, memory: memoryGrowth(sync.figures) ?? null } } : {}),
    ...(startup !== undefined ? { startup } : {}),
    ...(profiles ? { profiles } : {}),
  };
  if (options.json === "-") {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    if (summaries.length > 0) {
      process.stdout.write(
        `\nmedians of ${options.runs} run(s), ${options.duration} s each, ${options.connections} connections; ratio = provider req/s ÷ ceiling req/s\n`,
      );
      process.stdout.write(`${renderTable(summaries)}\n`);
    }
    if (reads !== undefined) {
      process.stdout.write(
        `\nuncached reads, Postgres, ${reads.size} district (${reads.seededRows} rows seeded in ${reads.seedMs} ms); medians of ${options.runs} run(s), ${options.duration} s each, ${options.connections} connections\n` +
          "ceiling = hand-tuned server, one SQL statement per request building the same bytes; off/on = provider with its page cache off/on; ratios are medians of per-run ratios\n",
      );
      process.stdout.write(`${renderReadsTable(reads)}\n`);
      for (const f of reads.figures) {
        process.stdout.write(`  ${f.workload}: e.g. ${f.example}\n`);
      }
    }
    if (seedLoad !== undefined) {
      process.stdout.write(
        `\nseed load (rows/s against raw COPY of the same rows)\n${formatSeedLoadBench(seedLoad)}\n`,
      );
    }
    if (sync !== undefined) {
      const runs = sync.raw.map((r) => `${r.size} ${r.runs.length}`).join(", ");
      process.stdout.write(
        `\nconsumer sync, Postgres on both sides (medians of ${runs} run(s); ceiling = fetch every page + raw COPY of the same rows; delta after ~${CHURN_TARGET * 100} % churn)\n${renderSyncTable(sync.figures)}\n`,
      );
    }
    if (startup !== undefined) {
      process.stdout.write(
        `\nstart-up (node bin/rosterlab.js serve, in-memory PGlite; first start seeds and keeps a snapshot, second restores it)\n${formatStartupBench(options.size, startup)}\n`,
      );
    }
    if (profiles) {
      for (const [name, summary] of Object.entries(profiles)) {
        process.stdout.write(`\nprofile ${name}\n${renderProfile(summary)}\n`);
      }
    }
    if (options.json) {
      writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
      log(`wrote ${options.json}`);
    }
  }
  const missed = summaries.filter((s) => s.meetsTarget === false);
  for (const m of missed) {
    log(`below target: ${m.backend} ${m.figure} ratio ${m.ratio} < ${m.target}`);
  }
  const syncMissed: string[] = [];
  for (const f of sync?.figures ?? []) {
    if (!f.meetsRatio) {
      syncMissed.push(`sync ${f.size}: full/ceiling ${f.ratio}`);
    }
    if (!f.meetsDelta) {
      syncMissed.push(`sync ${f.size}: delta/full ${f.deltaShare}`);
    }
  }
  const growth = sync ? memoryGrowth(sync.figures) : undefined;
  if (growth && !growth.flat) {
    syncMissed.push(`sync: peak RSS ${growth.to}/${growth.from} ${growth.ratio}`);
  }
  for (const f of startup ?? []) {
    if (!f.meetsTarget) {
      syncMissed.push(`startup: ${f.start} start median ${f.medianMs} ms > ${f.targetMs} ms`);
    }
  }
  for (const m of syncMissed) {
    log(`missed target: ${m}`);
  }
  return options.enforceTarget && missed.length + syncMissed.length > 0 ? 3 : 0;
}

const program = new Command("bench")
  .description(
    "Measure the provider's req/s and p99 on PGlite and Postgres against a static-body ceiling served by the same stack. " +
      "Postgres: BENCH_DATABASE_URL names the server (default postgres://127.0.0.1:5432/test); a scratch database rosterlab_bench is created and dropped there.",
  )
  .option("--backend <which>", "pglite | postgres | both", "both")
  .option(
    "--duration <seconds>",
    "seconds per measured run (the reads figures serve them in one-second turns of the three sides)",
    "5",
  )
  .option(
    "--warmup <seconds>",
    "seconds of unmeasured load on each side just before each of its measured runs (http and reads figures)",
    "2",
  )
  .option("--connections <n>", "concurrent connections", "10")
  .option("--runs <n>", "runs per figure; medians are reported", "3")
  .option("--json <file>", "also write machine-readable results to FILE ('-' prints only JSON on stdout)")
  .option(
    "--only <what>",
    "http | reads | seed | sync | startup | all (reads: uncached reads against a hand-tuned SQL ceiling, Postgres only, bench/reads-bench.ts; seed: the generator + loader bench of bench/seed-load.ts; sync: the consumer sync of bench/sync-bench.ts; startup: first and second start of `npm start`, bench/startup.ts)",
    "http",
  )
  .option(
    "--workloads <list>",
    "with --only reads: comma-separated workload name prefixes (users first page, users random offset, user by random id, users delta, enrollments of random class)",
  )
  .option("--seed-sizes <list>", "comma-separated presets for the seed-load bench (default: its own choice)")
  .option(
    "--profile <dir>",
    "profile the provider child while it serves (not while it seeds), write DIR/<backend>-provider.cpuprofile and print where time went; with --only sync, the consumer's last full and delta runs (DIR/sync-<size>-<full|delta>.cpuprofile)",
  )
  .option("--size <name>", "seed size preset of the provider's district", "demo")
  .option("--figure <which>", "users | delta | all (one figure at a time keeps a --profile readable)", "all")
  .option(
    "--page-cache <mode>",
    "on | off | both: measure with the provider's page cache, without it (every request a miss), or both",
    "both",
  )
  .option("--sync-sizes <list>", "comma-separated presets for the sync figure", "district,large")
  .option("--sync-runs <n>", "runs per size of the sync figure; medians are reported", "3")
  .option("--sync-large-runs <n>", "runs of the sync figure on `large` (each takes minutes)", "1")
  .option(
    "--churn-rate <rate>",
    "district clock churn rate of the first advance (later runs correct it toward 1 % of users + enrollments)",
    String(DEFAULT_CHURN_RATE),
  )
  .option("--startup-runs <n>", "first + second starts per start-up figure; medians are reported", "5")
  .option("--enforce-target", "exit 3 when a figure misses its target ratio")
  .action(async (flags: Record<string, unknown>) => {
    // The only environment this entry point reads.
    const parsed = Options.safeParse({ ...flags, databaseUrl: process.env.BENCH_DATABASE_URL || DEFAULT_BENCH_PG_URL });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        log(`--${issue.path.join(".")}: ${issue.message}`);
      }
      process.exitCode = 2;
      return;
    }
    try {
      process.exitCode = await runBench({ ...parsed.data, childEnv: { ...process.env, NODE_ENV: "production" } });
    } catch (error) {
      log(
        error instanceof LoadError || error instanceof BenchError || error instanceof StartupBenchError
          ? `bench failed: ${error.message}`
          : `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      process.exitCode = 1;
    }
  });

await program.parseAsync();
