// The one CLI: `rosterlab serve | seed | advance | sync | grades | conformance | clients | requests | demo`. It wires
// the parts together (the server never imports seed/ or conformance/, so seeding and the district clock are injected).
import { resolve } from "node:path";
import { Command, Option } from "commander";
import pc from "picocolors";
import { ZodError } from "zod";
import { addGeneratorOptions, generatorOptionsFromFlags } from "../seed/generator-options.js";
import { createProgressReporter } from "../seed/progress.js";
import {
  describeKey,
  keepSnapshot,
  restoreSnapshot,
  snapshotKey,
  type TakenSnapshot,
  takeSnapshot,
} from "../seed/snapshot.js";
import { DEFAULT_CONFIG, readServerConfig } from "../server/config.js";
import { type DbHandle, describeOpenFailure, embeddedEngineVersion, openDb } from "../server/db/client.js";
import { migrateDb, migrationSetId } from "../server/db/migrate.js";
import type { DistrictClockPort } from "../server/deps.js";
import {
  type FaultSpec,
  FaultSpecError,
  faultNames,
  formatFaultSpec,
  parseFaultSpec,
} from "../server/faults/catalog.js";
import { openConfiguredDb, StartupError, startServer } from "../server/main.js";

const program = new Command()
  .name("rosterlab")
  .description("OneRoster v1p1 proving ground: a mock SIS provider, a district generator and a conformance suite")
  .showHelpAfterError();

function fail(lines: string[], code = 2): never {
  for (const line of lines) {
    process.stderr.write(`${pc.red("error")} ${line}\n`);
  }
  process.exit(code);
}

/** `counts.classSize` → `--class-size`: a zod path as the flag the user typed. */
function flagOf(path: readonly PropertyKey[]): string {
  const name = String(path.at(-1) ?? "option");
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Any failure as one line that says what to do, never a stack trace (ROSTERLAB_DEBUG=1 adds it): bad flags, a
 * database that cannot be opened, a port in use. Exit 2 for bad input, 1 for everything else.
 */
function failWith(error: unknown): never {
  if (error instanceof ZodError) {
    fail(error.issues.map((i) => `invalid ${flagOf(i.path)}: ${i.message.toLowerCase()} (see --help)`));
  }
  if (error instanceof StartupError) {
    fail([error.message], 1);
  }
  // drizzle's "Failed query: … params: …" says less than the driver error it wraps.
  const cause = (error as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? cause : error;
  const message = inner instanceof Error ? (inner.message.split("\n")[0] ?? inner.name) : String(inner);
  if (process.env.ROSTERLAB_DEBUG && error instanceof Error) {
    process.stderr.write(`${error.stack}\n`);
  }
  fail([`${message} (set ROSTERLAB_DEBUG=1 for details)`], 1);
}

/**
 * The district clock (seed/clock.ts) over `handle`, its modules loaded on first use: a start restored from a
 * snapshot never loads the generator unless an operator advances the district.
 */
function lazyDistrictClock(handle: DbHandle): DistrictClockPort {
  let loading: Promise<DistrictClockPort> | undefined;
  const clock = () => {
    loading ??= import("../seed/index.js").then((m) => m.withMassWithdrawal(m.createDistrictClock(handle), handle));
    return loading;
  };
  return {
    advance: async (days, options) => (await clock()).advance(days, options),
    status: async () => (await clock()).status(),
    massWithdrawal: async (options) => (await clock()).massWithdrawal?.(options) ?? {},
  };
}

const serve = program
  .command("serve")
  .description("serve a seeded district over OneRoster v1p1 (PGlite in memory unless DATABASE_URL is set)")
  .option("--port <port>", "port to listen on (env PORT, default 8080)")
  .option("--host <host>", "interface to bind (env HOST, default 127.0.0.1)")
  .addOption(
    new Option(
      "--quirk <preset...>",
      `switch on fault presets (quirks and transport faults), each a name or name:key=value,… — ${faultNames().join(", ")}`,
    ),
  )
  .addOption(
    new Option(
      "--booleans <form>",
      'booleans on the wire: JSON true/false or strings "true"/"false" (env ROSTERLAB_BOOLEANS)',
    ).choices(["json", "string"]),
  )
  .option("--no-seed-if-empty", "do not seed an empty database on start")
  .option(
    "--snapshot-dir <dir>",
    "where the in-memory database keeps its start-up snapshot (env ROSTERLAB_SNAPSHOT_DIR, default .rosterlab/snapshots)",
  )
  .option("--no-snapshot", "seed the in-memory database on every start; neither restore nor keep a snapshot")
  .option("--json", "print the connection details as one JSON line");
addGeneratorOptions(serve);
serve.action(async (flags: Record<string, unknown>) => {
  const env = { ...process.env };
  if (flags.port !== undefined) {
    env.PORT = String(flags.port);
  }
  if (flags.host !== undefined) {
    env.HOST = String(flags.host);
  }
  if (flags.booleans !== undefined) {
    env.ROSTERLAB_BOOLEANS = String(flags.booleans);
  }
  const { config, problems } = readServerConfig(env);
  if (!config) {
    fail(problems.map((p) => `bad environment: ${p}`));
  }
  const generator = (() => {
    try {
      return generatorOptionsFromFlags(flags);
    } catch (error) {
      return failWith(error);
    }
  })();
  const faults: FaultSpec[] = [];
  const badQuirks: string[] = [];
  for (const text of (flags.quirk as string[] | undefined) ?? []) {
    try {
      faults.push(parseFaultSpec(text));
    } catch (error) {
      badQuirks.push(`--quirk ${text}: ${error instanceof FaultSpecError ? error.message : String(error)}`);
    }
  }
  if (badQuirks.length > 0) {
    fail(badQuirks);
  }
  const json = flags.json === true;
  // The default in-memory database starts from a snapshot of the same district when one was kept (seed/snapshot.ts).
  const inMemory = !config.databaseUrl || /^memory:/.test(config.databaseUrl);
  const snapshotDir =
    inMemory && flags.snapshot !== false && flags.seedIfEmpty !== false
      ? resolve(String(flags.snapshotDir ?? process.env.ROSTERLAB_SNAPSHOT_DIR ?? ".rosterlab/snapshots"))
      : undefined;
  const key = snapshotKey(generator, { migrations: migrationSetId(), engine: embeddedEngineVersion() });
  let start: "restored" | "seeded" | "existing" | "empty" = "empty";
  let taken: TakenSnapshot | undefined;
  const snapshotProblem = (error: unknown) =>
    void process.stderr.write(
      `${pc.yellow("warning")} could not keep a snapshot in ${snapshotDir}: ${(error as Error).message}\n`,
    );
  const running = await startServer(config, {
    faults,
    districtClock: lazyDistrictClock,
    ...(snapshotDir
      ? {
          openDb: async () => {
            const outcome = await restoreSnapshot(snapshotDir, key, (data) => openDb(undefined, { loadDataDir: data }));
            process.stderr.write(`${outcome.message}\n`);
            if (outcome.restored) {
              start = "restored";
              return outcome.handle;
            }
            return openConfiguredDb(config);
          },
        }
      : {}),
    beforeListen: async (handle) => {
      if (flags.seedIfEmpty === false || start === "restored") {
        return;
      }
      const progress = createProgressReporter(process.stderr, json ? "silent" : "auto");
      const [{ seedDatabase }, { formatSeedSummary }] = await Promise.all([
        import("../seed/seed-database.js"),
        import("../seed/cli.js"),
      ]);
      // No fingerprint here: it reads the whole district back (a second on `demo`); `rosterlab seed` prints it.
      const summary = await seedDatabase(
        handle,
        { ...generator, ifEmpty: true, fingerprint: false },
        progress.update,
      ).finally(() => progress.stop());
      start = summary.skipped ? "existing" : "seeded";
      if (!json) {
        process.stderr.write(formatSeedSummary(summary));
      }
      if (snapshotDir && !summary.skipped) {
        // The image is taken now, of the district as seeded (before keys, clients or any request); writing it to
        // disk waits until the provider answers.
        taken = await takeSnapshot(handle, summary.rows).catch((error: unknown) => {
          snapshotProblem(error);
          return undefined;
        });
      }
    },
  });
  // A stop waits for the snapshot to be written. One that cannot be kept costs the next start a seed, nothing more.
  const keeping =
    snapshotDir && taken
      ? keepSnapshot(snapshotDir, key, taken).then(
          (saved) =>
            process.stderr.write(
              `kept a snapshot of the ${describeKey(key)} in ${snapshotDir} (${Math.round(saved.bytes / 1e6)} MB) for the next start\n`,
            ),
          snapshotProblem,
        )
      : Promise.resolve();
  taken = undefined;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ baseUrl: running.baseUrl, tokenUrl: running.tokenUrl, clientId: running.clientId, clientSecret: running.clientSecret, adminToken: running.adminToken, database: running.handle.label, start })}\n`,
    );
  } else {
    const row = (k: string, v: string) => `  ${pc.dim(k.padEnd(14))} ${v}\n`;
    process.stdout.write(
      `\n${pc.bold("rosterlab")} OneRoster v1p1 provider is up (${running.handle.label})\n\n` +
        row("base URL", pc.cyan(running.baseUrl)) +
        row("token URL", pc.cyan(running.tokenUrl)) +
        row("client id", running.clientId) +
        row("client secret", running.clientSecret) +
        row("admin token", running.adminToken) +
        (faults.length > 0 ? row("quirks", pc.yellow(faults.map(formatFaultSpec).join(" "))) : "") +
        `\n  try: curl -s -u '${running.clientId}:${running.clientSecret}' -d grant_type=client_credentials ${running.tokenUrl}\n\n`,
    );
  }
  const stop = async () => {
    await keeping;
    await running.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
});

/**
 * Every command but `serve`. Their modules (the generator, the consumer, the conformance suite) are loaded only when
 * the command line asks for one of them or for the command list: `npm start` loads what serving needs, nothing more.
 */
async function registerOtherCommands(): Promise<void> {
  const [
    { registerSeedCommands, seedDatabase },
    { registerSyncCommands },
    { registerAdminCommands },
    { registerGradesCommands },
    { registerDemoCommand },
    { registerConformanceCommand },
    { registerConsumerCommand },
  ] = await Promise.all([
    import("../seed/index.js"),
    import("../consumer/cli.js"),
    import("../server/admin/cli.js"),
    import("../consumer/grades/cli.js"),
    import("./demo.js"),
    import("../conformance/cli.js"),
    import("../conformance/consumer/cli.js"),
  ]);
  registerSeedCommands(program, { migrateDb });
  registerSyncCommands(program);
  registerAdminCommands(program, { out: process.stdout, err: process.stderr, env: process.env });
  registerGradesCommands(program);
  registerDemoCommand(program);

  // `conformance` without --base-url checks a provider of our own, started on a free port with the tiny district.
  const conformance = registerConformanceCommand(program, async () => {
    const running = await startServer(
      { ...DEFAULT_CONFIG, port: 0, logLevel: "error" },
      {
        demoClientLeniency: "strict",
        beforeListen: async (handle) =>
          void (await seedDatabase(handle, { seed: 1, size: "tiny", fingerprint: false })),
      },
    );
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000 - DEFAULT_CONFIG.tokenTtlSeconds * 1000);
    return {
      baseUrl: running.baseUrl,
      tokenUrl: running.tokenUrl,
      clientId: running.clientId,
      clientSecret: running.clientSecret,
      expiredToken: await running.mintToken(twoHoursAgo),
      close: () => running.close(),
    };
  });

  registerConsumerCommand(conformance, {
    out: process.stdout,
    err: process.stderr,
    env: {
      ...(process.env.ROSTERLAB_URL ? { url: process.env.ROSTERLAB_URL } : {}),
      ...(process.env.ROSTERLAB_ADMIN_TOKEN ? { adminToken: process.env.ROSTERLAB_ADMIN_TOKEN } : {}),
    },
    processEnv: process.env,
  });

  program
    .command("migrate")
    .description("apply the database migrations to DATABASE_URL (PGlite in memory when unset, which is only a dry run)")
    .action(async () => {
      const { config, problems } = readServerConfig();
      if (!config) {
        fail(problems.map((p) => `bad environment: ${p}`));
      }
      const handle = await openConfiguredDb(config).catch(failWith);
      try {
        await migrateDb(handle).catch((error: unknown) => {
          throw new StartupError(describeOpenFailure(error, handle.label));
        });
        process.stdout.write(`${pc.green("migrated")} ${handle.label}\n`);
      } finally {
        await handle.close();
      }
    });
}

if (process.argv[2] !== "serve") {
  await registerOtherCommands();
}
await program.parseAsync(process.argv).catch(failWith);
