// The `conformance` command: parses flags, runs the suite against a provider (or a local one the caller starts),
// prints the readable report, writes JSON and JUnit files, and sets the exit code. bin/rosterlab.ts registers it.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { PROFILES, type ProfileChoice } from "./check.js";
import { BOOLEAN_SPELLINGS, type BooleanSpelling } from "./context.js";
import { formatJson, formatJUnit, formatText } from "./report.js";
import { exitCodeFor, runChecks } from "./run.js";

/** A provider the CLI starts itself when no --base-url is given (`npm run conformance`). */
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
  profile: ProfileChoice;
  allowWrites?: boolean;
  lenient?: boolean;
  booleans: BooleanSpelling;
  junit?: string;
  json?: string;
  failOn: "must" | "should";
  expiredToken?: string;
  only?: string;
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

/** Adds `conformance` to the program. Without --base-url it needs `startLocal` and then allows writes. */
export function registerConformanceCommand(program: Command, startLocal?: () => Promise<LocalProvider>): Command {
  return program
    .command("conformance")
    .description("check a OneRoster v1p1 provider over HTTP; exit 1 when a MUST check fails")
    .option(
      "--base-url <url>",
      "provider base URL, e.g. https://host/ims/oneroster/v1p1 (default: start a local provider)",
    )
    .option("--token-url <url>", "OAuth 2 token endpoint (client_credentials)")
    .option("--client-id <id>", "OAuth 2 client id")
    .option("--client-secret <secret>", "OAuth 2 client secret")
    .option("--scope <scopes>", "space-separated scopes to request (default: what the profile needs)")
    .addOption(
      new Option("--profile <profile>", "which service profile to check").choices([...PROFILES, "all"]).default("all"),
    )
    .option("--allow-writes", "run gradebook write checks (everything written is deleted at the end)")
    .option("--lenient", "accept the variants real providers send (codeMinor spellings, nulls, 200 on create…)")
    .addOption(
      new Option("--booleans <spelling>", "boolean spelling records must use (v1p1 is ambiguous: either is accepted)")
        .choices([...BOOLEAN_SPELLINGS])
        .default("either"),
    )
    .option("--junit <file>", "write a JUnit XML report")
    .option("--json <file>", "write a JSON report")
    .addOption(
      new Option("--fail-on <level>", "lowest level whose failure makes the exit code 1")
        .choices(["must", "should"])
        .default("must"),
    )
    .option("--expired-token <token>", "a token the provider issued that has expired (enables AUTH-006)")
    .option("--only <ids>", "comma-separated check ids to run")
    .option("--timeout <ms>", "per-request timeout in milliseconds", positiveInt, 30000)
    .action(async (flags: Flags) => {
      let local: LocalProvider | undefined;
      let target: { baseUrl: string; tokenUrl: string; clientId: string; clientSecret: string; expiredToken?: string };
      if (flags.baseUrl) {
        const missing = (["tokenUrl", "clientId", "clientSecret"] as const).filter((k) => !flags[k]);
        if (missing.length > 0) {
          program.error(
            `conformance: --base-url also needs ${missing.map((m) => `--${m.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(", ")}`,
            { exitCode: 2 },
          );
        }
        target = {
          baseUrl: flags.baseUrl,
          tokenUrl: flags.tokenUrl ?? "",
          clientId: flags.clientId ?? "",
          clientSecret: flags.clientSecret ?? "",
        };
      } else if (startLocal) {
        local = await startLocal();
        target = local;
        process.stderr.write(`conformance: started a local provider at ${local.baseUrl}\n`);
      } else {
        program.error("conformance: --base-url, --token-url, --client-id and --client-secret are required", {
          exitCode: 2,
        });
      }
      const tty = process.stdout.isTTY === true;
      let report: Awaited<ReturnType<typeof runChecks>>;
      try {
        const expiredToken = flags.expiredToken ?? target.expiredToken;
        report = await runChecks({
          ...target,
          ...(flags.scope ? { scope: flags.scope } : {}),
          profile: flags.profile,
          lenient: flags.lenient === true,
          booleans: flags.booleans,
          // Our own throwaway provider is always checked with writes (issue 4, item 4).
          allowWrites: flags.allowWrites === true || local !== undefined,
          ...(expiredToken ? { expiredToken } : {}),
          ...(flags.only ? { only: flags.only.split(",").map((s) => s.trim()) } : {}),
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
      if (flags.json) {
        await writeOut(flags.json, formatJson(report));
      }
      if (flags.junit) {
        await writeOut(flags.junit, formatJUnit(report));
      }
      process.exitCode = exitCodeFor(report, flags.failOn);
    });
}
