// The `seed` and `advance` subcommands for bin/rosterlab.ts: flags → zod-validated options, DATABASE_URL read
// here once, human or --json output, exit codes (1 failure, 2 bad input). seed/ only; wired by the lead's CLI.
import { type Command, Option } from "commander";
import pc from "picocolors";
import { z } from "zod";
import {
  classifyDbFailure,
  type DbHandle,
  databaseUrlProblem,
  describeOpenFailure,
  openDb,
  redactUrl,
} from "../server/db/client.js";
import { ClockError, createDistrictClock } from "./clock.js";
import { addGeneratorOptions, generatorOptionsFromFlags } from "./generator-options.js";
import { createProgressReporter } from "./progress.js";
import { SeedError, type SeedSummary, seedDatabase } from "./seed-database.js";

const SeedEnvSchema = z.object({
  DATABASE_URL: z.string().optional(),
  ROSTERLAB_ADMIN_TOKEN: z.string().optional(),
});

/** The environment these commands read (their one env reader). */
export function readSeedEnv(env: NodeJS.ProcessEnv = process.env): z.infer<typeof SeedEnvSchema> {
  return SeedEnvSchema.parse({
    DATABASE_URL: env.DATABASE_URL || undefined,
    ROSTERLAB_ADMIN_TOKEN: env.ROSTERLAB_ADMIN_TOKEN || undefined,
  });
}

/** Where a command writes text (process.stdout / stderr, or a test's capture). */
export interface TextSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface SeedCommandHooks {
  /** Brings the schema up to date before loading (the lead passes server/db/migrate's migrateDb). */
  migrateDb?(handle: DbHandle): Promise<void>;
  /** The environment to read instead of process.env (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** Where output goes (tests pass their own). */
  out?: TextSink;
  err?: TextSink;
}

function fail(err: TextSink, message: string, code: number): void {
  err.write(`${pc.red("error")} ${message}\n`);
  process.exitCode = code;
}

/**
 * One line for a failure: a database that cannot be reached says so with what to do; anything else gives the first
 * line of its message (driver errors run on with the failed SQL and its parameters).
 */
function describeFailure(e: unknown, label: string): string {
  const cause = (e as { cause?: unknown }).cause;
  const code = (e as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
  if (classifyDbFailure(e) !== undefined || (typeof code === "string" && code.startsWith("28"))) {
    return describeOpenFailure(e, label);
  }
  const inner = cause instanceof Error ? cause : e;
  return (inner instanceof Error ? inner.message : String(inner)).split("\n")[0] ?? "";
}

/** Opens DATABASE_URL, or writes one line saying why it cannot be opened (and sets exit code 1). */
async function openOrFail(err: TextSink, url: string | undefined): Promise<DbHandle | undefined> {
  const problem = databaseUrlProblem(url);
  if (problem) {
    fail(err, `DATABASE_URL ${problem}`, 2);
    return undefined;
  }
  try {
    return await openDb(url, { max: 2, connectTimeoutSeconds: 10 });
  } catch (e) {
    const label = !url ? "PGlite (in memory)" : /^postgres(ql)?:/.test(url) ? redactUrl(url) : `PGlite at ${url}`;
    fail(err, describeOpenFailure(e, label), 1);
    return undefined;
  }
}

function describeIssues(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`).join("; ");
}

export function formatSeedSummary(s: SeedSummary): string {
  if (s.skipped) {
    return `${s.database} already holds a district; nothing loaded (--if-empty)\n`;
  }
  const lines = [
    `${pc.green("seeded")} ${s.options.size} district (seed ${s.options.seed}, as of ${s.options.asOf}, locale ${s.options.locale}${s.options.clean ? ", clean" : ""}) into ${s.database}`,
    `  ${s.totalRows} rows in ${(s.durationMs / 1000).toFixed(1)} s (${s.rowsPerSecond} rows/s)`,
    ...Object.entries(s.rows).map(([t, n]) => `  ${t.padEnd(18)} ${String(n).padStart(10)}`),
    "  edge cases:",
    ...Object.entries(s.edgeCases).map(([k, n]) => `  ${k.padEnd(24)} ${String(n).padStart(4)}`),
    ...(s.fingerprint ? [`  fingerprint ${s.fingerprint}`] : []),
  ];
  return `${lines.join("\n")}\n`;
}

/** Adds `seed` and `advance` to the program. */
export function registerSeedCommands(program: Command, hooks: SeedCommandHooks = {}): Command {
  const out = hooks.out ?? process.stdout;
  const err = hooks.err ?? process.stderr;

  const seed = program
    .command("seed")
    .description(
      "generate a deterministic district and load it into the provider database (DATABASE_URL: postgres:// URL or PGlite directory)",
    );
  addGeneratorOptions(seed);
  seed
    .option("--if-empty", "do nothing when the database already holds data", false)
    .option("--reset", "replace existing data (in the same transaction as the load)", false)
    .option("--no-fingerprint", "skip the dataset fingerprint")
    .option("--json", "print the summary as JSON", false)
    .addHelpText(
      "after",
      "\nSame seed, size, as-of date, locale and counts give the same district byte for byte; the fingerprint proves it.",
    )
    .action(async (flags: Record<string, unknown>) => {
      let options: ReturnType<typeof generatorOptionsFromFlags>;
      try {
        options = generatorOptionsFromFlags(flags);
      } catch (e) {
        fail(err, e instanceof z.ZodError ? describeIssues(e) : String(e), 2);
        return;
      }
      const env = readSeedEnv(hooks.env);
      if (!env.DATABASE_URL) {
        err.write(
          `${pc.yellow("note")} DATABASE_URL is not set: seeding an in-memory PGlite that is gone when this command exits (\`rosterlab serve\` seeds its own on start)\n`,
        );
      }
      const handle = await openOrFail(err, env.DATABASE_URL);
      if (!handle) {
        return;
      }
      const progress = createProgressReporter(err, flags.json ? "silent" : "auto");
      try {
        await hooks.migrateDb?.(handle);
        const summary = await seedDatabase(
          handle,
          {
            ...options,
            ifEmpty: flags.ifEmpty === true,
            reset: flags.reset === true,
            fingerprint: flags.fingerprint !== false,
          },
          progress.update,
        );
        progress.stop();
        out.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSeedSummary(summary));
      } catch (e) {
        progress.stop();
        fail(
          err,
          e instanceof SeedError
            ? e.message
            : `seeding failed, nothing was changed: ${describeFailure(e, handle.label)}`,
          1,
        );
      } finally {
        await handle.close();
      }
    });

  program
    .command("advance")
    .description(
      "move the district forward in time with realistic churn, directly on DATABASE_URL or through a running provider (--url)",
    )
    .requiredOption("--days <n>", "simulated days to advance (1-3660)")
    .option("--url <url>", "a running provider's base URL; posts to /admin/clock/advance")
    .option("--admin-token <token>", "the provider's admin credential (default ROSTERLAB_ADMIN_TOKEN)")
    .addOption(
      new Option(
        "--churn-rate <r>",
        "fraction of active student enrolments changing per school day (kept for later advances)",
      ),
    )
    .option("--json", "print the summary as JSON", false)
    .addHelpText(
      "after",
      "\nEvery change gets the wall-clock time it was applied as dateLastModified, so a delta since 'before' sees exactly it.",
    )
    .action(async (flags: { days: string; url?: string; adminToken?: string; churnRate?: string; json: boolean }) => {
      const parsed = z
        .object({
          days: z.coerce.number().int().min(1).max(3660),
          churnRate: z.coerce.number().min(0).max(1).optional(),
          url: z.url().optional(),
        })
        .safeParse(flags);
      if (!parsed.success) {
        fail(err, describeIssues(parsed.error), 2);
        return;
      }
      const { days, churnRate, url } = parsed.data;
      const env = readSeedEnv(hooks.env);
      let summary: unknown;
      if (url) {
        const token = flags.adminToken ?? env.ROSTERLAB_ADMIN_TOKEN;
        if (!token) {
          fail(err, "--url needs the provider's admin credential: --admin-token or ROSTERLAB_ADMIN_TOKEN", 2);
          return;
        }
        let res: Response;
        try {
          res = await fetch(`${url.replace(/\/$/, "")}/admin/clock/advance`, {
            method: "POST",
            headers: {
              authorization: `Bearer ${token}`,
              "content-type": "application/json",
              accept: "application/json",
            },
            body: JSON.stringify(churnRate === undefined ? { days } : { days, churnRate }),
          });
        } catch (e) {
          fail(err, `cannot reach ${url}: ${(e as Error).message}`, 1);
          return;
        }
        const text = await res.text();
        if (!res.ok) {
          fail(err, `${url} answered ${res.status}: ${text.slice(0, 500)}`, 1);
          return;
        }
        summary = JSON.parse(text) as unknown;
      } else {
        if (!env.DATABASE_URL) {
          fail(
            err,
            "set DATABASE_URL (postgres:// URL or PGlite directory), or pass --url to advance a running provider",
            2,
          );
          return;
        }
        const handle = await openOrFail(err, env.DATABASE_URL);
        if (!handle) {
          return;
        }
        try {
          await hooks.migrateDb?.(handle);
          summary = await createDistrictClock(handle).advance(days, churnRate === undefined ? {} : { churnRate });
        } catch (e) {
          fail(
            err,
            e instanceof ClockError
              ? e.message
              : `advance failed, nothing was changed: ${describeFailure(e, handle.label)}`,
            1,
          );
          return;
        } finally {
          await handle.close();
        }
      }
      if (flags.json) {
        out.write(`${JSON.stringify(summary, null, 2)}\n`);
      } else {
        const s = summary as {
          fromDate?: string;
          toDate?: string;
          schoolDays?: number;
          rollovers?: number;
          events?: Record<string, number>;
          changed?: Record<string, number>;
          firstStamp?: string;
          lastStamp?: string;
        };
        out.write(
          `${pc.green("advanced")} ${s.fromDate} → ${s.toDate} (${s.schoolDays} school days, ${s.rollovers} rollovers)\n`,
        );
        for (const [k, n] of Object.entries(s.events ?? {})) {
          out.write(`  ${k.padEnd(18)} ${String(n).padStart(6)}\n`);
        }
        out.write(
          `  changed: ${
            Object.entries(s.changed ?? {})
              .filter(([, n]) => n > 0)
              .map(([t, n]) => `${t} ${n}`)
              .join(", ") || "nothing"
          }\n`,
        );
        out.write(`  stamps ${s.firstStamp ?? "-"} … ${s.lastStamp ?? "-"}\n`);
      }
    });
  return program;
}
