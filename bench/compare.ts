// `npm run bench:compare -- --base REF`: this working tree's provider against the provider of another commit, on one
// seeded Postgres database, in paired rounds. Each round serves a few seconds of one uncached-read workload to each side
// in turn (the order alternating), and the figure is the median of the rounds' own ratios, so a slow few seconds on
// this shared machine falls on both sides of a round. It is how a change's cost or gain is measured before it lands:
// the reads bench compares the provider with a hand-tuned ceiling; this compares it with itself. 127.0.0.1 only.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { ONEROSTER_BASE_PATH } from "../oneroster/index.js";
import { openDb, redactUrl, resultRows } from "../server/db/client.js";
import { type BenchChild, type SpawnChildOptions, spawnChild } from "./child.js";
import { LoadError, runLoad } from "./load.js";
import { postgresCpuMs, processCpuMs } from "./process-cpu.js";
import type { ProviderInfo } from "./provider-process.js";
import { fetchToken, PUBLIC_URL, workloads } from "./reads-bench.js";
import { median } from "./report.js";
import { DEFAULT_BENCH_PG_URL, openScratchDb, type ScratchDb } from "./scratch-db.js";
import type { BenchSample } from "./sql-ceiling-process.js";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const SCRATCH_NAME = "rosterlab_bench_compare";

/** One side's figures in one round. */
export interface RoundSide {
  requestsPerSecond: number;
  /** The provider's CPU per request (ms), null without /proc. */
  cpuMs: number | null;
  /** Every local postgres process's CPU per request (ms), null without /proc or a local server. */
  dbCpuMs: number | null;
}

export interface Round {
  base: RoundSide;
  head: RoundSide;
}

export interface CompareSummary {
  rounds: number;
  /** Median of each round's head req/s ÷ base req/s. */
  ratio: number;
  /** The middle half of the rounds' ratios (first and third quartile). */
  ratioQuartiles: [number, number];
  base: RoundSide;
  head: RoundSide;
}

/** The value at fraction `q` of the sorted values (nearest rank). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

const round3 = (n: number) => Number(n.toFixed(3));

function medianSide(sides: readonly RoundSide[]): RoundSide {
  const known = (pick: (s: RoundSide) => number | null) => {
    const values = sides.map(pick).filter((v): v is number => v !== null);
    return values.length > 0 ? round3(median(values)) : null;
  };
  return {
    requestsPerSecond: Math.round(median(sides.map((s) => s.requestsPerSecond))),
    cpuMs: known((s) => s.cpuMs),
    dbCpuMs: known((s) => s.dbCpuMs),
  };
}

/** The paired figure of a comparison: medians of each side, and of the rounds' own ratios. */
export function summarizeRounds(rounds: readonly Round[]): CompareSummary {
  if (rounds.length === 0) {
    throw new Error("no rounds to summarize");
  }
  const ratios = rounds.map((r) =>
    r.base.requestsPerSecond > 0 ? r.head.requestsPerSecond / r.base.requestsPerSecond : 0,
  );
  return {
    rounds: rounds.length,
    ratio: round3(median(ratios)),
    ratioQuartiles: [round3(quantile(ratios, 0.25)), round3(quantile(ratios, 0.75))],
    base: medianSide(rounds.map((r) => r.base)),
    head: medianSide(rounds.map((r) => r.head)),
  };
}

class CompareError extends Error {
  override name = "CompareError";
}

const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();

/**
 * A detached worktree of `commit` under .rosterlab/compare/, sharing this tree's node_modules (the comparison is of
 * our code, on the same dependencies). Removed again by the returned function.
 */
function checkoutBase(commit: string): { dir: string; remove: () => void } {
  const dir = join(ROOT, ".rosterlab", "compare", commit.slice(0, 12));
  if (existsSync(dir)) {
    git("worktree", "remove", "--force", dir);
  }
  git("worktree", "add", "--detach", dir, commit);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return {
    dir,
    remove: () => {
      try {
        git("worktree", "remove", "--force", dir);
      } catch {
        rmSync(dir, { recursive: true, force: true });
        git("worktree", "prune");
      }
    },
  };
}

async function readSample(url: string): Promise<BenchSample> {
  const handle = await openDb(url, { max: 1 });
  try {
    const ids = async (table: "users" | "classes") =>
      resultRows<{ id: string }>(
        await handle.db.execute(
          sql`select sourced_id as id from ${sql.identifier("provider")}.${sql.identifier(table)} order by sourced_id`,
        ),
      ).map((r) => r.id);
    const [range] = resultRows<{ from: unknown; to: unknown }>(
      await handle.db.execute(
        sql`select min(date_last_modified) as from, max(date_last_modified) as to from provider.users`,
      ),
    );
    const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
    return {
      userIds: await ids("users"),
      classIds: await ids("classes"),
      usersFrom: iso(range?.from),
      usersTo: iso(range?.to),
    };
  } finally {
    await handle.close();
  }
}

/** Idle and total jiffies of the whole machine so far (Linux), null elsewhere. */
function machineTicks(): { idle: number; all: number } | null {
  try {
    const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
    return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), all: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

const Options = z.object({
  base: z.string().min(1),
  workload: z.string().min(1),
  rounds: z.coerce.number().int().min(1).max(200),
  seconds: z.coerce.number().int().min(1).max(30),
  prewarm: z.coerce.number().int().min(0).max(60),
  connections: z.coerce.number().int().min(1).max(100),
  size: z.string().min(1),
  pageCache: z.enum(["on", "off"]),
  json: z.string().min(1).optional(),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
});
type CompareOptions = z.infer<typeof Options>;

export interface CompareReport {
  base: string;
  head: string;
  workload: string;
  pageCache: "on" | "off";
  secondsPerRound: number;
  summary: CompareSummary;
  /** Share of the machine's CPU left idle over the rounds, per side (Linux). */
  idle: { base: number | null; head: number | null };
}

async function runCompare(o: CompareOptions, log: (line: string) => void): Promise<CompareReport> {
  let commit: string;
  try {
    commit = execFileSync("git", ["rev-parse", "--verify", "--quiet", `${o.base}^{commit}`], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    throw new CompareError(`--base '${o.base}' names no commit of this repository (try a sha, a branch or HEAD~1)`);
  }
  const dirty = git("status", "--porcelain", "--untracked-files=no") !== "";
  const head = `${git("rev-parse", "--short", "HEAD")}${dirty ? " + uncommitted changes" : ""}`;
  const children: BenchChild<ProviderInfo>[] = [];
  let scratch: ScratchDb | undefined;
  const checkout = checkoutBase(commit);
  try {
    scratch = await openScratchDb(o.databaseUrl, SCRATCH_NAME);
    const env = { ...process.env, NODE_ENV: "production" };
    const common = ["--database-url", scratch.url, "--public-url", PUBLIC_URL, "--client-secret", "compare-secret"];
    const cache = o.pageCache === "off" ? ["--no-page-cache"] : [];
    log(`[compare] seeding the ${o.size} district with this tree's provider...`);
    // Seeded by a process of its own that then exits, so that neither side has done more than the other before it
    // serves.
    const seeder = await spawnChild<ProviderInfo>({
      script: "./provider-process.ts",
      env,
      args: ["--size", o.size, ...common],
      timeoutMs: 3_600_000,
    });
    await seeder.stop();
    log(`[compare] starting ${o.base} (${commit.slice(0, 12)}) from ${checkout.dir}...`);
    // The base side is started by its own tree's child helper, so it runs that tree's build of that tree's sources.
    const baseSpawn = (await import(join(checkout.dir, "bench", "child.ts"))).spawnChild as (
      options: SpawnChildOptions,
    ) => Promise<BenchChild<ProviderInfo>>;
    const baseChild = await baseSpawn({
      script: "./provider-process.ts",
      env,
      args: ["--no-seed-data", ...cache, ...common],
    });
    children.push(baseChild);
    const headChild = await spawnChild<ProviderInfo>({
      script: "./provider-process.ts",
      env,
      args: ["--no-seed-data", ...cache, ...common],
    });
    children.push(headChild);
    const sample = await readSample(scratch.url);
    const workload = workloads(sample).find((w) => w.name.startsWith(o.workload));
    if (!workload) {
      throw new CompareError(
        `no workload starts with '${o.workload}': ${workloads(sample)
          .map((w) => w.name)
          .join(", ")}`,
      );
    }
    const token = await fetchToken(headChild.info);
    const sides = { base: baseChild, head: headChild };
    const next = { base: workload.paths(1), head: workload.paths(1) };
    const idleShare: Record<"base" | "head", { idle: number; all: number }> = {
      base: { idle: 0, all: 0 },
      head: { idle: 0, all: 0 },
    };
    const load = async (side: "base" | "head", seconds: number): Promise<RoundSide> => {
      const child = sides[side];
      const cpuBefore = processCpuMs(child.pid);
      const dbBefore = postgresCpuMs();
      const ticksBefore = machineTicks();
      const result = await runLoad({
        url: `${child.info.origin}${ONEROSTER_BASE_PATH}/`,
        durationSeconds: seconds,
        connections: o.connections,
        headers: { authorization: `Bearer ${token}` },
        nextPath: () => `${ONEROSTER_BASE_PATH}${next[side]()}`,
      });
      const cpuAfter = processCpuMs(child.pid);
      const dbAfter = postgresCpuMs();
      const ticksAfter = machineTicks();
      if (ticksBefore && ticksAfter) {
        idleShare[side].idle += ticksAfter.idle - ticksBefore.idle;
        idleShare[side].all += ticksAfter.all - ticksBefore.all;
      }
      const per = (before: number | null, after: number | null) =>
        before !== null && after !== null && result.totalRequests > 0 ? (after - before) / result.totalRequests : null;
      return {
        requestsPerSecond: result.requestsPerSecond,
        cpuMs: per(cpuBefore, cpuAfter),
        dbCpuMs: per(dbBefore, dbAfter),
      };
    };
    if (o.prewarm > 0) {
      log(`[compare] ${o.prewarm} s of warm-up on each side`);
      await load("head", o.prewarm);
      await load("base", o.prewarm);
      idleShare.base = { idle: 0, all: 0 };
      idleShare.head = { idle: 0, all: 0 };
    }
    const rounds: Round[] = [];
    for (let i = 0; i < o.rounds; i++) {
      const order: ("base" | "head")[] = i % 2 === 0 ? ["base", "head"] : ["head", "base"];
      const got: Partial<Round> = {};
      for (const side of order) {
        got[side] = await load(side, o.seconds);
      }
      const round = got as Round;
      rounds.push(round);
      log(
        `[compare] round ${i + 1}/${o.rounds}: base ${Math.round(round.base.requestsPerSecond)} req/s, this tree ${Math.round(round.head.requestsPerSecond)} | ${(round.head.requestsPerSecond / round.base.requestsPerSecond).toFixed(3)}`,
      );
    }
    const share = (s: { idle: number; all: number }) => (s.all > 0 ? round3(s.idle / s.all) : null);
    return {
      base: `${o.base} (${commit.slice(0, 12)})`,
      head,
      workload: workload.name,
      pageCache: o.pageCache,
      secondsPerRound: o.seconds,
      summary: summarizeRounds(rounds),
      idle: { base: share(idleShare.base), head: share(idleShare.head) },
    };
  } finally {
    for (const child of children.reverse()) {
      await child.stop().catch(() => {});
    }
    await scratch?.drop().catch(() => {});
    checkout.remove();
  }
}

export function renderCompare(r: CompareReport): string {
  const s = r.summary;
  const ms = (v: number | null) => (v === null ? "?" : v.toFixed(3));
  const pct = (v: number | null) => (v === null ? "?" : `${(v * 100).toFixed(1)} %`);
  return [
    `${r.workload}, page cache ${r.pageCache}: ${s.rounds} paired rounds of ${r.secondsPerRound} s each`,
    `side        req/s  cpu ms/req  db cpu ms/req  machine idle`,
    `base   ${String(s.base.requestsPerSecond).padStart(10)}  ${ms(s.base.cpuMs).padStart(10)}  ${ms(s.base.dbCpuMs).padStart(13)}  ${pct(r.idle.base).padStart(12)}   ${r.base}`,
    `this   ${String(s.head.requestsPerSecond).padStart(10)}  ${ms(s.head.cpuMs).padStart(10)}  ${ms(s.head.dbCpuMs).padStart(13)}  ${pct(r.idle.head).padStart(12)}   ${r.head}`,
    `this ÷ base: ${s.ratio} (median of the rounds' ratios; middle half ${s.ratioQuartiles[0]}-${s.ratioQuartiles[1]})`,
  ].join("\n");
}

const program = new Command("bench:compare")
  .description(
    "Compare this working tree's provider with another commit's, on one seeded Postgres database, in paired rounds of " +
      "an uncached-read workload. BENCH_DATABASE_URL names the server (default postgres://127.0.0.1:5432/test); a scratch " +
      `database ${SCRATCH_NAME} is created and dropped there. The other commit is checked out as a git worktree under ` +
      ".rosterlab/compare/ and removed afterwards; it shares this tree's node_modules.",
  )
  .requiredOption("--base <ref>", "the commit to compare against (a branch, tag or sha)")
  .option(
    "--workload <prefix>",
    "the reads-bench workload (name prefix): users first page, users random offset, user by random id, users delta, enrollments of random class",
    "enrollments",
  )
  .option("--rounds <n>", "paired rounds", "24")
  .option("--seconds <n>", "seconds of load per side per round", "1")
  .option("--prewarm <n>", "seconds of unmeasured load on each side before the first round", "3")
  .option("--connections <n>", "concurrent connections", "10")
  .option("--size <name>", "seed size preset of the district", "district")
  .option("--page-cache <mode>", "on | off: both sides with or without the page cache", "off")
  .option("--json <file>", "also write the report as JSON to FILE ('-' prints only JSON on stdout)")
  .action(async (flags: Record<string, unknown>) => {
    const parsed = Options.safeParse({ ...flags, databaseUrl: process.env.BENCH_DATABASE_URL || DEFAULT_BENCH_PG_URL });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        process.stderr.write(`--${issue.path.join(".")}: ${issue.message}\n`);
      }
      process.exitCode = 2;
      return;
    }
    const o = parsed.data;
    const quiet = o.json === "-";
    const log = (line: string) => {
      if (!quiet) {
        process.stderr.write(`${line}\n`);
      }
    };
    log(`[compare] Postgres at ${redactUrl(o.databaseUrl)}`);
    try {
      const report = await runCompare(o, log);
      if (o.json === "-") {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        process.stdout.write(`\n${renderCompare(report)}\n`);
        if (o.json) {
          writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
        }
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(
        error instanceof LoadError || error instanceof CompareError
          ? `bench:compare: ${message}\n`
          : `bench:compare failed: ${message}\n(is Postgres answering at BENCH_DATABASE_URL, and does --base name a commit of this repository?)\n`,
      );
      process.exitCode = 1;
    }
  });

if (import.meta.url === `file://${process.argv[1]}`) {
  await program.parseAsync();
}
