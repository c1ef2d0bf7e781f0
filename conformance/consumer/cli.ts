// `rosterlab conformance consumer --client ID [--since T] [--until T]`: the scorecard of a consumer that used a
// rosterlab provider, read from its admin API; or `--sync-command "…"`: a scripted scenario (scenario.ts) against a
// provider it starts. Printed as text, written as JSON and JUnit like the provider suite (--json, --junit and
// --fail-on are the parent command's); exit 1 when a MUST verdict failed, 2 when it could not run.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { formatConsumerJson, formatConsumerJUnit, formatConsumerText, formatScenarioText } from "./report.js";
import { DEFAULT_SCENARIO_FAULTS, runScenario, ScenarioError } from "./scenario.js";
import { consumerExitCode, type FetchFn, fetchScorecard, ScorecardError } from "./scorecard.js";

export interface ConsumerCommandIo {
  out: { write(text: string): unknown; isTTY?: boolean };
  err: { write(text: string): unknown };
  /** ROSTERLAB_URL and ROSTERLAB_ADMIN_TOKEN, read by the caller. */
  env: { url?: string; adminToken?: string };
  /** The environment a scenario's commands inherit (read by the caller). */
  processEnv?: Record<string, string | undefined>;
  fetchFn?: FetchFn;
}

async function writeOut(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text, "utf8");
}

/** The flags of `conformance consumer`, with the parent command's outputs. */
interface ConsumerFlags {
  client?: string;
  since?: string;
  until?: string;
  url?: string;
  adminToken?: string;
  syncCommand?: string;
  exportCommand?: string;
  days: number;
  fault?: string[];
  size: string;
  seed: number;
  stepTimeout: number;
  maxMissing: number;
  json?: string;
  junit?: string;
  failOn?: "must" | "should";
}

/** Adds `consumer` under the `conformance` command. */
export function registerConsumerCommand(conformance: Command, io: ConsumerCommandIo): Command {
  return conformance
    .command("consumer")
    .description(
      "judge a consumer: by what it did against a rosterlab provider (--client, its scorecard), or by a scripted scenario against a provider this command starts (--sync-command); exit 1 on a MUST failure",
    )
    .option("--client <clientId>", "the consumer's client id (scorecard of a provider you run)")
    .option("--since <time>", "from this ISO date-time (default: the log's beginning)")
    .option("--until <time>", "before this ISO date-time (default: now)")
    .option("--url <origin>", "the provider, e.g. http://127.0.0.1:8080 (default ROSTERLAB_URL)")
    .option("--admin-token <token>", "its admin credential (default ROSTERLAB_ADMIN_TOKEN)")
    .option(
      "--sync-command <command>",
      "scenario: the consumer's sync, run through the shell once per step, connection in ROSTERLAB_SYNC_BASE_URL, _TOKEN_URL, _CLIENT_ID, _CLIENT_SECRET (also ONEROSTER_*), a scratch directory in ROSTERLAB_SCENARIO_DIR",
    )
    .option(
      "--export-command <command>",
      'scenario: prints the consumer\'s roster as OneRoster JSON ({"users": [{"sourcedId", "status"}…], …}, as `rosterlab sync export`), compared with the provider after every step',
    )
    .option("--days <n>", "scenario: plain days before the fault step", positiveInt, 2)
    .option(
      "--fault <spec...>",
      `scenario: fault presets of the fault step (default ${DEFAULT_SCENARIO_FAULTS.join(" ")})`,
    )
    .option("--size <preset>", "scenario: the provider's district size", "tiny")
    .option("--seed <n>", "scenario: the provider's district seed", positiveInt, 1)
    .option("--step-timeout <seconds>", "scenario: stop a command after this long (counts as failed)", positiveInt, 300)
    .option(
      "--max-missing <percent>",
      "scenario: share of a collection's active records an export may leave out (records the consumer refused)",
      percent,
      10,
    )
    .addHelpText(
      "after",
      `
Examples:
  rosterlab conformance consumer --client lms-prod --url http://127.0.0.1:8080 --admin-token "$TOKEN"
  rosterlab conformance consumer --sync-command "rosterlab sync run" --export-command "rosterlab sync export"
  rosterlab conformance consumer --sync-command "./my-lms-sync" --json scenario.json --junit scenario.xml`,
    )
    .action(async (_flags: unknown, command: Command) => {
      const o = command.optsWithGlobals() as ConsumerFlags;
      if (o.syncCommand) {
        await scenarioAction({ ...o, syncCommand: o.syncCommand }, io);
        return;
      }
      const url = o.url ?? io.env.url;
      const adminToken = o.adminToken ?? io.env.adminToken;
      if (!o.client) {
        io.err.write(
          "conformance consumer: give --client ID (the scorecard of a client of your provider) or --sync-command (a scenario); see --help\n",
        );
        process.exitCode = 2;
        return;
      }
      if (!url || !adminToken) {
        io.err.write(
          "conformance consumer: needs --url and --admin-token (or ROSTERLAB_URL and ROSTERLAB_ADMIN_TOKEN)\n",
        );
        process.exitCode = 2;
        return;
      }
      try {
        const card = await fetchScorecard({
          url,
          adminToken,
          clientId: o.client,
          ...(o.since ? { since: o.since } : {}),
          ...(o.until ? { until: o.until } : {}),
          ...(io.fetchFn ? { fetchFn: io.fetchFn } : {}),
        });
        io.out.write(formatConsumerText(card, { color: io.out.isTTY === true }));
        if (o.json) {
          await writeOut(o.json, formatConsumerJson(card));
        }
        if (o.junit) {
          await writeOut(o.junit, formatConsumerJUnit(card));
        }
        process.exitCode = consumerExitCode(card, o.failOn ?? "must");
      } catch (error) {
        if (error instanceof ScorecardError) {
          io.err.write(`conformance consumer: ${error.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw error;
      }
    });
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError("expected a whole number of at least 1");
  }
  return n;
}

function percent(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    throw new InvalidArgumentError("expected a number from 0 to 100");
  }
  return n;
}

async function scenarioAction(o: ConsumerFlags & { syncCommand: string }, io: ConsumerCommandIo): Promise<void> {
  if (o.client) {
    io.err.write(
      "conformance consumer: --client and --sync-command do not go together (a scenario registers its own client)\n",
    );
    process.exitCode = 2;
    return;
  }
  try {
    const report = await runScenario({
      syncCommand: o.syncCommand,
      ...(o.exportCommand ? { exportCommand: o.exportCommand } : {}),
      days: o.days,
      ...(o.fault ? { faults: o.fault } : {}),
      size: o.size,
      seed: o.seed,
      stepTimeoutMs: o.stepTimeout * 1000,
      maxMissingPercent: o.maxMissing,
      env: io.processEnv ?? {},
      log: (line) => io.err.write(`scenario: ${line}\n`),
    });
    io.out.write(formatScenarioText(report, { color: io.out.isTTY === true }));
    if (o.json) {
      await writeOut(o.json, `${JSON.stringify(report, null, 2)}\n`);
    }
    if (o.junit) {
      await writeOut(o.junit, formatConsumerJUnit(report.card));
    }
    process.exitCode = consumerExitCode(report.card, o.failOn ?? "must");
  } catch (error) {
    if (error instanceof ScenarioError) {
      io.err.write(`conformance consumer: the scenario could not run: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}
