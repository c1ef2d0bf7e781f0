// `rosterlab conformance consumer --client ID [--since T] [--until T]`: the scorecard of a consumer that used a
// rosterlab provider, read from its admin API, printed as text, written as JSON and JUnit like the provider suite
// (--json, --junit and --fail-on are the parent command's); exit 1 when a MUST verdict failed.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Command } from "commander";
import { formatConsumerJson, formatConsumerJUnit, formatConsumerText } from "./report.js";
import { consumerExitCode, type FetchFn, fetchScorecard, ScorecardError } from "./scorecard.js";

export interface ConsumerCommandIo {
  out: { write(text: string): unknown; isTTY?: boolean };
  err: { write(text: string): unknown };
  /** ROSTERLAB_URL and ROSTERLAB_ADMIN_TOKEN, read by the caller. */
  env: { url?: string; adminToken?: string };
  fetchFn?: FetchFn;
}

async function writeOut(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text, "utf8");
}

/** Adds `consumer` under the `conformance` command. */
export function registerConsumerCommand(conformance: Command, io: ConsumerCommandIo): Command {
  return conformance
    .command("consumer")
    .description(
      "judge a consumer by what it did against a rosterlab provider (its scorecard); exit 1 on a MUST failure",
    )
    .requiredOption("--client <clientId>", "the consumer's client id")
    .option("--since <time>", "from this ISO date-time (default: the log's beginning)")
    .option("--until <time>", "before this ISO date-time (default: now)")
    .option("--url <origin>", "the provider, e.g. http://127.0.0.1:8080 (default ROSTERLAB_URL)")
    .option("--admin-token <token>", "its admin credential (default ROSTERLAB_ADMIN_TOKEN)")
    .action(async (_flags: unknown, command: Command) => {
      const o = command.optsWithGlobals() as {
        client: string;
        since?: string;
        until?: string;
        url?: string;
        adminToken?: string;
        json?: string;
        junit?: string;
        failOn?: "must" | "should";
      };
      const url = o.url ?? io.env.url;
      const adminToken = o.adminToken ?? io.env.adminToken;
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
