// The `conformance` command: reads flags and the ONEROSTER_* environment (config.ts), runs the suite against a
// provider (or a local one the caller starts), prints the readable report, writes JSON and JUnit files, and sets the
// exit code (0 pass, 1 failure at the --fail-on level, 2 suite bug or bad usage, 3 preflight stopped the run).
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { AREAS, PROFILES, type ProfileChoice, parseProfileChoices } from "./check.js";
import { CONFORMANCE_ENV, readConformanceEnv } from "./config.js";
import { BOOLEAN_SPELLINGS, type BooleanSpelling } from "./context.js";
import { formatJson, formatJUnit, formatText } from "./report.js";
import { exitCodeFor, runChecks, unknownSelectors } from "./run.js";

/** A provider the CLI starts itself when no base URL is given (`npm run conformance`). */
export interface LocalProvider {
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** A token the local provider issued that has already expired, so AUTH-006 can run. */
  expiredToken?: string;
  close(): Promise<void>;
}

interface Flags {
  baseUrl?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  scope?: string;
  profile: ProfileChoice[];
  allowWrites?: boolean;
  lenient?: boolean;
  booleans: BooleanSpelling;
  junit?: string;
  json?: string;
  failOn: "must" | "should";
  expiredToken?: string;
  only?: string[];
  skip?: string[];
  timeout: number;
}

async function writeOut(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text, "utf8");
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError("expected a positive integer");
  }
  return n;
}

function profiles(value: string): ProfileChoice[] {
  try {
    return parseProfileChoices(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

/** `PAG-003,filtering` → selectors; unknown ones are refused with the list of areas. */
function selectors(value: string): string[] {
  const list = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const unknown = unknownSelectors(list);
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown check id or area: ${unknown.join(", ")} (areas: ${AREAS.join(", ")}; ids look like PAG-003)`,
    );
  }
  return list;
}

const ENV_HELP = `\nEnvironment (flags win over variables):\n${Object.entries(CONFORMANCE_ENV)
  .map(([k, v]) => `  ${k.padEnd(24)} ${v}`)
  .join(
    "\n",
  )}\n\nExit codes: 0 pass, 1 a failure at the --fail-on level, 2 a suite bug or bad usage, 3 the preflight stopped the run (provider unreachable, credentials refused, nothing readable).\n`;

/**
 * Adds `conformance` to the program. Without a base URL (flag or ONEROSTER_BASE_URL) it needs `startLocal` and then
 * allows writes. `env` replaces the process environment (tests); it is read through config.ts only.
 */
export function registerConformanceCommand(
  program: Command,
  startLocal?: () => Promise<LocalProvider>,
  env?: Record<string, string | undefined>,
): Command {
  return program
    .command("conformance")
    .description("check a OneRoster v1p1 provider over HTTP; exit 1 when a MUST check fails")
    .option(
      "--base-url <url>",
      "provider base URL, e.g. https://host/ims/oneroster/v1p1 (default: ONEROSTER_BASE_URL, else start a local provider)",
    )
    .option("--token-url <url>", "OAuth 2 token endpoint (client_credentials; default ONEROSTER_TOKEN_URL)")
    .option("--client-id <id>", "OAuth 2 client id (default ONEROSTER_CLIENT_ID)")
    .addOption(
      new Option(
        "--client-secret <secret>",
        "deprecated: shows the secret in process lists and npm's banner; set ONEROSTER_CLIENT_SECRET",
      ).hideHelp(),
    )
    .option(
      "--scope <scopes>",
      "space-separated scopes to request (default: ONEROSTER_SCOPE, else what the profile needs)",
    )
    .option(
      "--profile <profiles>",
      `v1p1 service profiles to check, comma-separated: ${[...PROFILES, "all"].join(", ")}`,
      profiles,
      ["all"] as ProfileChoice[],
    )
    .option(
      "--only <ids-or-areas>",
      "run only these checks: comma-separated ids (PAG-003) or areas (paging)",
      selectors,
    )
    .option("--skip <ids-or-areas>", "leave out these checks: comma-separated ids or areas", selectors)
    .option("--allow-writes", "run gradebook write checks (everything written is deleted at the end)")
    .option("--lenient", "accept the variants real providers send (codeMinor spellings, nulls, 200 on create…)")
    .addOption(
      new Option("--booleans <spelling>", "boolean spelling records must use (v1p1 is ambiguous: either is accepted)")
        .choices([...BOOLEAN_SPELLINGS])
        .default("either"),
    )
    .option("--junit <file>", "write a JUnit XML report (failures agree with the exit code)")
    .option("--json <file>", "write a JSON report")
    .addOption(
      new Option("--fail-on <level>", "lowest level whose failure makes the exit code 1 (and a JUnit <failure>)")
        .choices(["must", "should"])
        .default("must"),
    )
    .option("--expired-token <token>", "a token the provider issued that has expired (enables AUTH-006)")
    .option("--timeout <ms>", "per-request timeout in milliseconds", positiveInt, 30000)
    .addHelpText("after", ENV_HELP)
    .action(async (flags: Flags) => {
      const fromEnv = readConformanceEnv(env);
      if (!fromEnv.env) {
        program.error(`conformance: bad environment: ${fromEnv.problems.join("; ")}`, { exitCode: 2 });
      }
      if (flags.clientSecret !== undefined) {
        process.stderr.write(
          "conformance: warning: --client-secret is visible in process lists and npm's script banner; set ONEROSTER_CLIENT_SECRET instead\n",
        );
      }
      const baseUrl = flags.baseUrl ?? fromEnv.env.baseUrl;
      let local: LocalProvider | undefined;
      let target: { baseUrl: string; tokenUrl: string; clientId: string; clientSecret: string; expiredToken?: string };
      if (baseUrl) {
        const given = {
          tokenUrl: flags.tokenUrl ?? fromEnv.env.tokenUrl,
          clientId: flags.clientId ?? fromEnv.env.clientId,
          clientSecret: flags.clientSecret ?? fromEnv.env.clientSecret,
        };
        const missing = [
          given.tokenUrl ? "" : "--token-url (or ONEROSTER_TOKEN_URL)",
          given.clientId ? "" : "--client-id (or ONEROSTER_CLIENT_ID)",
          given.clientSecret ? "" : "ONEROSTER_CLIENT_SECRET",
        ].filter(Boolean);
        if (missing.length > 0) {
          program.error(`conformance: a provider base URL also needs ${missing.join(", ")}`, { exitCode: 2 });
        }
        target = {
          baseUrl,
          tokenUrl: given.tokenUrl ?? "",
          clientId: given.clientId ?? "",
          clientSecret: given.clientSecret ?? "",
        };
      } else if (startLocal) {
        local = await startLocal();
        target = local;
        process.stderr.write(`conformance: started a local provider at ${local.baseUrl}\n`);
      } else {
        program.error("conformance: give --base-url (or ONEROSTER_BASE_URL), --token-url, --client-id and the secret", {
          exitCode: 2,
        });
      }
      const tty = process.stdout.isTTY === true;
      let report: Awaited<ReturnType<typeof runChecks>>;
      const scope = flags.scope ?? fromEnv.env.scope;
      try {
        const expiredToken = flags.expiredToken ?? target.expiredToken;
        report = await runChecks({
          ...target,
          ...(scope ? { scope } : {}),
          profile: flags.profile,
          lenient: flags.lenient === true,
          booleans: flags.booleans,
          // Our own throwaway provider is always checked with writes (issue 4, item 4).
          allowWrites: flags.allowWrites === true || local !== undefined,
          ...(expiredToken ? { expiredToken } : {}),
          ...(flags.only ? { only: flags.only } : {}),
          ...(flags.skip ? { skip: flags.skip } : {}),
          timeoutMs: flags.timeout,
          onResult: (r) => {
            if (tty) {
              process.stderr.write(`\r${r.id} ${r.status}        `);
            }
          },
        });
      } finally {
        if (tty) {
          process.stderr.write("\r\x1b[K");
        }
        await local?.close();
      }
      process.stdout.write(formatText(report, { color: tty }));
      if (report.preflightFailure) {
        process.stderr.write(`conformance: cannot run the checks: ${report.preflightFailure.message}\n`);
      }
      if (flags.json) {
        await writeOut(flags.json, formatJson(report));
      }
      if (flags.junit) {
        await writeOut(flags.junit, formatJUnit(report, { failOn: flags.failOn }));
      }
      process.exitCode = exitCodeFor(report, flags.failOn);
    });
}
