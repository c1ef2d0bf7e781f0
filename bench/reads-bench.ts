// The uncached-read figures (`npm run bench -- --only reads`, issue 12 item 1): on one seeded Postgres database, the
// provider with its page cache off, the provider with it on, and the hand-tuned SQL ceiling (sql-ceiling-process.ts),
// under workloads a page cache cannot hit (random deep offsets, random single records, deltas from random
// timestamps, a filtered collection) plus the first page it can. Requests come from seeded generators, so every side
// of a run gets the same sequence; each run uses a new seed; sides alternate order. Bytes are compared first.
import { join } from "node:path";
import { ONEROSTER_BASE_PATH } from "../oneroster/index.js";
import { createRng } from "../seed/random.js";
import { type BenchChild, spawnChild } from "./child.js";
import { type LoadResult, runLoad } from "./load.js";
import { postgresCpuMs, processCpuMs } from "./process-cpu.js";
import type { ProviderInfo } from "./provider-process.js";
import { median } from "./report.js";
import { openScratchDb, type ScratchDb } from "./scratch-db.js";
import type { BenchSample, SqlCeilingInfo, SqlCeilingJob } from "./sql-ceiling-process.js";

export interface ReadsBenchOptions {
  childEnv: NodeJS.ProcessEnv;
  /** Postgres server; the scratch database rosterlab_bench_reads is created and dropped on it. */
  databaseUrl: string;
  size: string;
  duration: number;
  warmup: number;
  connections: number;
  runs: number;
  /** Only these workloads (names as in WORKLOADS); all when absent. */
  workloads?: readonly string[];
  profileDir?: string;
  log: (line: string) => void;
}

type Side = "ceiling" | "off" | "on";
const SIDES: readonly Side[] = ["ceiling", "off", "on"];

export interface ReadsFigure {
  workload: string;
  example: string;
  runs: Record<Side, LoadResult[]>;
  requestsPerSecond: Record<Side, number>;
  cpuMsPerRequest: Record<Side, number | null>;
  /** CPU of the local Postgres processes per request, by side (null where Postgres is not local or not Linux). */
  dbCpuMsPerRequest: Record<Side, number | null>;
  p99Ms: Record<Side, number>;
  /** Medians of the per-run ratios (each run's sides ran back to back). */
  offToCeiling: number;
  onToCeiling: number;
  onToOff: number;
  perRun: { offToCeiling: number; onToCeiling: number; onToOff: number }[];
}

export interface ReadsBenchResult {
  size: string;
  seedMs: number;
  seededRows: number;
  figures: ReadsFigure[];
}

const SCRATCH_NAME = "rosterlab_bench_reads";
/** Both providers put this origin in hrefs and Link headers, and so does the ceiling: their bytes can be compared. */
/** The origin both providers and the ceiling put in hrefs and Link headers, so bodies compare byte for byte. */
export const PUBLIC_URL = "http://rosterlab.bench";
const BASE_PATH = ONEROSTER_BASE_PATH;
const VERIFY_SEED = 424242;
const VERIFY_SAMPLES = 6;
/** Seeds of the warm-up requests before each measured run: never a measured run's (7 + run × 7919). */
const WARMUP_SEED = 1_000_003;

/** Length of one slice of a measured run (see the run loop): sides take turns every this many seconds. */
const SLICE_SECONDS = 1;

/** One slice of a run on one side: autocannon's result and the CPU the side and Postgres spent meanwhile (ms). */
export interface LoadSlice {
  result: LoadResult;
  cpuMs: number | null;
  dbCpuMs: number | null;
}

/**
 * One side's slices of a run as one result: req/s over all of its requests and seconds, CPU per request over all of
 * them, p50 and p99 the medians of the slices' own (autocannon reports percentiles, not the latencies).
 */
export function combineSlices(slices: readonly LoadSlice[]): LoadResult {
  const first = slices[0];
  if (!first) {
    throw new ReadsBenchError("a run with no slices");
  }
  const results = slices.map((s) => s.result);
  const requests = results.reduce((n, r) => n + r.totalRequests, 0);
  const seconds = results.reduce((n, r) => n + r.durationSeconds, 0);
  const perRequest = (totals: (number | null)[]) =>
    totals.some((t) => t === null) || requests === 0
      ? null
      : Number(((totals as number[]).reduce((a, b) => a + b, 0) / requests).toFixed(3));
  const weighted = (pick: (r: LoadResult) => number) =>
    results.reduce((n, r) => n + pick(r) * r.totalRequests, 0) / Math.max(1, requests);
  return {
    ...first.result,
    requestsPerSecond: seconds > 0 ? requests / seconds : 0,
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    totalRequests: requests,
    bytesPerResponse: Math.round(weighted((r) => r.bytesPerResponse)),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    timeouts: results.reduce((n, r) => n + r.timeouts, 0),
    durationSeconds: seconds,
    cpuMsPerRequest: perRequest(slices.map((s) => s.cpuMs)),
    dbCpuMsPerRequest: perRequest(slices.map((s) => s.dbCpuMs)),
    loadgenCpuMsPerRequest: Number(weighted((r) => r.loadgenCpuMsPerRequest).toFixed(3)),
  };
}

/** A seeded generator (the district generator's), so a run's request sequence is the same on every side. */
function seeded(seed: number): () => number {
  return createRng("reads-bench", seed).next;
}

export interface Workload {
  name: string;
  /** A generator of request paths (under the OneRoster base path) for one seed. */
  paths(seed: number): () => string;
}

const enc = encodeURIComponent;

export function workloads(sample: BenchSample): Workload[] {
  const pick = <T>(rnd: () => number, list: readonly T[]) => list[Math.floor(rnd() * list.length)] as T;
  const from = Date.parse(sample.usersFrom);
  const to = Date.parse(sample.usersTo);
  return [
    { name: "users first page (cacheable)", paths: () => () => "/users?limit=100" },
    {
      name: "users random offset",
      paths: (seed) => {
        const rnd = seeded(seed);
        return () => `/users?limit=100&offset=${Math.floor(rnd() * sample.userIds.length)}`;
      },
    },
    {
      name: "user by random id",
      paths: (seed) => {
        const rnd = seeded(seed);
        return () => `/users/${enc(pick(rnd, sample.userIds))}`;
      },
    },
    {
      name: "users delta from random time",
      paths: (seed) => {
        const rnd = seeded(seed);
        return () => {
          const at = new Date(from + Math.floor(rnd() * Math.max(1, to - from))).toISOString();
          return `/users?filter=${enc(`dateLastModified>'${at}'`)}&limit=100`;
        };
      },
    },
    {
      name: "enrollments of random class",
      paths: (seed) => {
        const rnd = seeded(seed);
        return () => `/enrollments?filter=${enc(`class.sourcedId='${pick(rnd, sample.classIds)}'`)}&limit=100`;
      },
    },
  ];
}

class ReadsBenchError extends Error {
  override name = "ReadsBenchError";
}

/** A bearer token from a bench provider child, for its demo client. */
export async function fetchToken(info: ProviderInfo): Promise<string> {
  const res = await fetch(info.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: info.clientId,
      client_secret: info.clientSecret,
    }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) {
    throw new ReadsBenchError(`token endpoint answered ${res.status}`);
  }
  return body.access_token;
}

interface Answer {
  status: number;
  body: string;
  total: string | null;
  link: string | null;
}

async function answer(origin: string, path: string, token: string): Promise<Answer> {
  const res = await fetch(`${origin}${BASE_PATH}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return {
    status: res.status,
    body: await res.text(),
    total: res.headers.get("x-total-count"),
    link: res.headers.get("link"),
  };
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) {
    i++;
  }
  return `at ${i}: …${a.slice(Math.max(0, i - 60), i + 60)}… vs …${b.slice(Math.max(0, i - 60), i + 60)}…`;
}

/** Every side must answer the sample requests with the same status, body, X-Total-Count and Link. */
async function verifySameBytes(origins: Record<Side, string>, token: string, list: Workload[]): Promise<void> {
  for (const w of list) {
    const next = w.paths(VERIFY_SEED);
    for (let i = 0; i < VERIFY_SAMPLES; i++) {
      const path = next();
      const [ceiling, off, on] = await Promise.all(SIDES.map((s) => answer(origins[s], path, token)));
      for (const [side, got] of [
        ["off", off],
        ["on", on],
      ] as const) {
        const want = ceiling as Answer;
        const have = got as Answer;
        if (have.status !== 200 || want.status !== 200) {
          throw new ReadsBenchError(`${w.name} ${path}: status ceiling ${want.status}, ${side} ${have.status}`);
        }
        if (have.body !== want.body) {
          throw new ReadsBenchError(
            `${w.name} ${path}: the ceiling's body differs from the provider's (${side}) ${firstDifference(have.body, want.body)}`,
          );
        }
        if (have.total !== want.total || have.link !== want.link) {
          throw new ReadsBenchError(
            `${w.name} ${path}: headers differ (${side}): X-Total-Count ${have.total} vs ${want.total}; Link ${have.link} vs ${want.link}`,
          );
        }
      }
    }
  }
}

const ratio = (a: number, b: number) => (b > 0 ? Number((a / b).toFixed(3)) : 0);

export async function runReadsBench(o: ReadsBenchOptions): Promise<ReadsBenchResult> {
  let scratch: ScratchDb | undefined;
  const children: BenchChild<unknown>[] = [];
  try {
    scratch = await openScratchDb(o.databaseUrl, SCRATCH_NAME);
    const secret = `bench-${process.pid}-secret`;
    const common = ["--database-url", scratch.url, "--public-url", PUBLIC_URL, "--client-secret", secret];
    o.log(`[reads] seeding the ${o.size} district on Postgres (provider with page cache off)...`);
    const off = await spawnChild<ProviderInfo>({
      script: "./provider-process.ts",
      env: o.childEnv,
      args: [
        "--size",
        o.size,
        "--no-page-cache",
        ...common,
        ...(o.profileDir ? ["--cpu-profile", join(o.profileDir, "reads-off-provider.cpuprofile")] : []),
      ],
      timeoutMs: 3_600_000,
    });
    children.push(off);
    o.log(`[reads] seeded ${off.info.seededRows} rows in ${off.info.seedMs} ms`);
    const on = await spawnChild<ProviderInfo>({
      script: "./provider-process.ts",
      env: o.childEnv,
      args: ["--no-seed-data", ...common],
    });
    children.push(on);
    const job: SqlCeilingJob = { databaseUrl: scratch.url, publicUrl: PUBLIC_URL };
    const ceiling = await spawnChild<SqlCeilingInfo>({
      script: "./sql-ceiling-process.ts",
      // Profiled beside the provider (DIR/ceiling/, one profile per thread), to compare the two side by side.
      ...(o.profileDir ? { nodeFlags: ["--cpu-prof", "--cpu-prof-dir", join(o.profileDir, "ceiling")] } : {}),
      env: o.childEnv,
      input: JSON.stringify(job),
    });
    children.push(ceiling);
    const sample = (await (await fetch(`${ceiling.info.origin}/bench/sample`)).json()) as BenchSample;
    const token = await fetchToken(on.info);
    const origins: Record<Side, string> = { ceiling: ceiling.info.origin, off: off.info.origin, on: on.info.origin };
    const pids: Record<Side, number> = { ceiling: ceiling.pid, off: off.pid, on: on.pid };
    const all = workloads(sample);
    const list = o.workloads ? all.filter((w) => o.workloads?.some((n) => w.name.startsWith(n))) : all;
    if (list.length === 0) {
      throw new ReadsBenchError(`no workload matches ${o.workloads?.join(", ")}`);
    }
    await verifySameBytes(origins, token, list);
    o.log(`[reads] ceiling and providers answer ${VERIFY_SAMPLES} sample requests per workload byte for byte`);
    /** One stretch of load on one side: `next` continues that side's request sequence. */
    const load = async (side: Side, w: Workload, next: () => string, seconds: number): Promise<LoadSlice> => {
      const before = processCpuMs(pids[side]);
      const dbBefore = postgresCpuMs();
      const result = await runLoad({
        url: `${origins[side]}${BASE_PATH}/`,
        durationSeconds: seconds,
        connections: o.connections,
        headers: { authorization: `Bearer ${token}` },
        nextPath: () => `${BASE_PATH}${next()}`,
      }).catch((error: unknown) => {
        throw new ReadsBenchError(`${w.name} (${side}): ${error instanceof Error ? error.message : String(error)}`);
      });
      const after = processCpuMs(pids[side]);
      const dbAfter = postgresCpuMs();
      const spent = (from: number | null, to: number | null) => (from === null || to === null ? null : to - from);
      return { result, cpuMs: spent(before, after), dbCpuMs: spent(dbBefore, dbAfter) };
    };
    const slices = Math.max(1, Math.round(o.duration / SLICE_SECONDS));
    const sliceSeconds = o.duration / slices;
    const runs = new Map(list.map((w) => [w.name, { ceiling: [], off: [], on: [] } as Record<Side, LoadResult[]>]));
    for (let run = 0; run < o.runs; run++) {
      // A new seed per run (the cache-on side must not meet pages it cached in an earlier run); the same on every side.
      const seed = 7 + run * 7919;
      for (const w of list) {
        const order = SIDES.map((_, i) => SIDES[(i + run) % SIDES.length] as Side);
        const got = runs.get(w.name) as Record<Side, LoadResult[]>;
        // Each side is loaded just before its run (with other requests than the run's), so every side is measured
        // serving, not waking: a Node process left idle while the other sides ran drops and rebuilds optimized code in
        // its first seconds of load again (V8's code-creation log, --log-code: about 220 of the provider's functions
        // optimized anew in its first 15 s after 40 s idle), and the larger the process's code, the more that costs.
        if (o.warmup > 0) {
          for (const side of order) {
            await load(side, w, w.paths(WARMUP_SEED + run), o.warmup);
          }
        }
        // The run's seconds are served in one-second slices, the sides taking turns, so a side is never idle for
        // long, and a few seconds of a machine slowed by other work fall on every side alike instead of on whichever
        // side ran then: this shared two-core machine moved one side's req/s by ±15 % between back-to-back 5 s runs.
        const next = Object.fromEntries(SIDES.map((side) => [side, w.paths(seed)])) as Record<Side, () => string>;
        const sliced: Record<Side, LoadSlice[]> = { ceiling: [], off: [], on: [] };
        for (let slice = 0; slice < slices; slice++) {
          for (const side of order) {
            sliced[side].push(await load(side, w, next[side], sliceSeconds));
          }
        }
        for (const side of SIDES) {
          got[side].push(combineSlices(sliced[side]));
        }
        const last = (s: Side) => got[s].at(-1) as LoadResult;
        o.log(
          `[reads] run ${run + 1}/${o.runs} ${w.name}: ceiling ${last("ceiling").requestsPerSecond.toFixed(0)} req/s, ` +
            `off ${last("off").requestsPerSecond.toFixed(0)}, on ${last("on").requestsPerSecond.toFixed(0)} | ` +
            `off/ceiling ${ratio(last("off").requestsPerSecond, last("ceiling").requestsPerSecond)} ` +
            `on/off ${ratio(last("on").requestsPerSecond, last("off").requestsPerSecond)}`,
        );
      }
    }
    const figures = list.map((w): ReadsFigure => {
      const r = runs.get(w.name) as Record<Side, LoadResult[]>;
      const rps = (s: Side) => Number(median(r[s].map((x) => x.requestsPerSecond)).toFixed(1));
      const medianOf = (s: Side, pick: (x: LoadResult) => number | null | undefined) => {
        const v = r[s].map(pick).filter((x): x is number => typeof x === "number");
        return v.length > 0 ? Number(median(v).toFixed(3)) : null;
      };
      const cpu = (s: Side) => medianOf(s, (x) => x.cpuMsPerRequest);
      const dbCpu = (s: Side) => medianOf(s, (x) => x.dbCpuMsPerRequest);
      const perRun = r.ceiling.map((c, i) => {
        const offR = r.off[i]?.requestsPerSecond ?? 0;
        const onR = r.on[i]?.requestsPerSecond ?? 0;
        return {
          offToCeiling: ratio(offR, c.requestsPerSecond),
          onToCeiling: ratio(onR, c.requestsPerSecond),
          onToOff: ratio(onR, offR),
        };
      });
      return {
        workload: w.name,
        example: decodeURIComponent(w.paths(VERIFY_SEED)()),
        runs: r,
        requestsPerSecond: { ceiling: rps("ceiling"), off: rps("off"), on: rps("on") },
        cpuMsPerRequest: { ceiling: cpu("ceiling"), off: cpu("off"), on: cpu("on") },
        dbCpuMsPerRequest: { ceiling: dbCpu("ceiling"), off: dbCpu("off"), on: dbCpu("on") },
        p99Ms: {
          ceiling: median(r.ceiling.map((x) => x.p99Ms)),
          off: median(r.off.map((x) => x.p99Ms)),
          on: median(r.on.map((x) => x.p99Ms)),
        },
        offToCeiling: Number(median(perRun.map((p) => p.offToCeiling)).toFixed(3)),
        onToCeiling: Number(median(perRun.map((p) => p.onToCeiling)).toFixed(3)),
        onToOff: Number(median(perRun.map((p) => p.onToOff)).toFixed(3)),
        perRun,
      };
    });
    return { size: o.size, seedMs: off.info.seedMs, seededRows: off.info.seededRows, figures };
  } finally {
    for (const child of children.reverse()) {
      await child.stop();
    }
    await scratch?.drop();
  }
}

/** The figures as a fixed-width table. */
export function renderReadsTable(result: ReadsBenchResult): string {
  const header = [
    "workload",
    "ceiling req/s",
    "off req/s",
    "on req/s",
    "off/ceiling",
    "on/ceiling",
    "on/off",
    "cpu ms/req ceiling|off|on",
    "db cpu ms/req ceiling|off|on",
    "p99 ms ceiling|off|on",
  ];
  const rows = result.figures.map((f) => [
    f.workload,
    f.requestsPerSecond.ceiling.toFixed(0),
    f.requestsPerSecond.off.toFixed(0),
    f.requestsPerSecond.on.toFixed(0),
    f.offToCeiling.toFixed(3),
    f.onToCeiling.toFixed(3),
    f.onToOff.toFixed(3),
    SIDES.map((s) => f.cpuMsPerRequest[s]?.toFixed(2) ?? "?").join(" | "),
    SIDES.map((s) => f.dbCpuMsPerRequest[s]?.toFixed(2) ?? "?").join(" | "),
    SIDES.map((s) => String(f.p99Ms[s])).join(" | "),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
