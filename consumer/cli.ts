// `rosterlab sync …`: flags and ROSTERLAB_SYNC_* variables → a run of the engine, with progress per collection on a
// terminal and a summary like itslearning's log email; plus status, batches, show, approve, discard and export.
// Exit codes: 0 done (also with record errors and dry runs), 1 failed, 2 bad usage or config, 3 held for approval.
import { writeFile } from "node:fs/promises";
import cliProgress from "cli-progress";
import { type Command, Option } from "commander";
import { and, asc, desc, eq } from "drizzle-orm";
import pc from "picocolors";
import { instantArg, intArg } from "./cli-args.js";
import { ConfigError, type Connection, readConsumerEnv, resolveSettings } from "./config.js";
import { exportRoster, storeCounts } from "./export.js";
import { runScheduledGradeExport } from "./grades/export.js";
import { createGradeProgress, formatScheduledExport } from "./grades/format.js";
import { PROFILES, type ProfileName } from "./profiles.js";
import {
  approveBatch,
  discardBatch,
  lastSuccess,
  report,
  runSync,
  SyncError,
  type SyncEvent,
  type SyncReport,
} from "./run.js";
import { DEFAULT_STORE_DIR, type LmsStore, openLmsStore } from "./store/open.js";
import { auditLog, batchErrors, batches, planChanges } from "./store/schema.js";

interface CommonFlags {
  lmsUrl?: string;
  json?: boolean;
}

interface RunFlags extends CommonFlags {
  baseUrl?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  scope?: string;
  full?: boolean;
  since?: Date;
  profile?: ProfileName;
  config?: string;
  dryRun?: boolean;
  pageSize?: number;
  grades?: boolean;
}

/** Exit statuses of `sync` commands. */
export const EXIT = { ok: 0, failed: 1, usage: 2, held: 3 } as const;

export function fail(message: string, code: number = EXIT.usage): never {
  process.stderr.write(`${pc.red("error")} ${message}\n`);
  process.exit(code);
}

export async function withStore<T>(flags: CommonFlags, fn: (store: LmsStore) => Promise<T>): Promise<T> {
  const env = safeEnv();
  const url = flags.lmsUrl ?? env.lmsUrl ?? DEFAULT_STORE_DIR;
  let store: LmsStore;
  try {
    store = await openLmsStore(url);
  } catch (err) {
    fail(
      `${(err as Error).message}\n  set ROSTERLAB_LMS_URL (or --lms-url) to a postgres:// URL or a writable directory`,
    );
  }
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function safeEnv() {
  try {
    return readConsumerEnv();
  } catch (err) {
    fail((err as Error).message);
  }
}

export const lmsOption = () =>
  new Option(
    "--lms-url <url>",
    `LMS store: postgres:// URL or a directory (env ROSTERLAB_LMS_URL, default ${DEFAULT_STORE_DIR})`,
  );

/** Adds `sync` and its subcommands to the program. */
export function registerSyncCommands(program: Command): Command {
  const sync = program
    .command("sync")
    .description("the LMS sync engine: pull a OneRoster v1p1 provider into an LMS store (run `sync run --help`)");

  sync
    .command("run", { isDefault: true })
    .description("one sync run: full the first time, then deltas; held for approval when the safety filter trips")
    .option(
      "--base-url <url>",
      "provider base URL, e.g. http://127.0.0.1:8080/ims/oneroster/v1p1 (env ROSTERLAB_SYNC_BASE_URL)",
    )
    .option("--token-url <url>", "OAuth 2 token endpoint (env ROSTERLAB_SYNC_TOKEN_URL)")
    .option("--client-id <id>", "OAuth 2 client id (env ROSTERLAB_SYNC_CLIENT_ID)")
    .option("--client-secret <secret>", "OAuth 2 client secret; prefer env ROSTERLAB_SYNC_CLIENT_SECRET")
    .option("--scope <scopes>", "space-separated scopes to ask for (env ROSTERLAB_SYNC_SCOPE)")
    .option("--full", "read everything, even when an earlier run succeeded")
    .option("--since <date>", "a delta from this instant instead of the previous run", instantArg)
    .addOption(
      new Option("--profile <name>", "built-in behaviour (env ROSTERLAB_SYNC_PROFILE)").choices(Object.keys(PROFILES)),
    )
    .option("--config <file>", "JSON config over the profile (env ROSTERLAB_SYNC_CONFIG)")
    .option("--dry-run", "stop after the plan and print it; change nothing")
    .option("--page-size <n>", "records per page (overrides the config)", intArg())
    .option("--grades", "then export modified grades to the SIS, as the service user (seed 003: nightly grade export)")
    .addOption(lmsOption())
    .option("--json", "print the report as JSON (no progress output)")
    .action(async (flags: RunFlags) => {
      const env = safeEnv();
      const connection: Partial<Connection> = { ...env.connection };
      for (const k of ["baseUrl", "tokenUrl", "clientId", "clientSecret", "scope"] as const) {
        if (flags[k]) {
          connection[k] = flags[k];
        }
      }
      const missing = (["baseUrl", "tokenUrl", "clientId", "clientSecret"] as const).filter((k) => !connection[k]);
      if (missing.length > 0) {
        const names = missing.map(
          (m) =>
            `--${m.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} (or ROSTERLAB_SYNC_${m.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()})`,
        );
        fail(`sync needs ${names.join(", ")}; \`rosterlab sync run --help\` lists every option`);
      }
      if (flags.full && flags.since) {
        fail("--full and --since exclude each other");
      }
      let settings: ReturnType<typeof resolveSettings>;
      try {
        const file = flags.config ?? env.configFile;
        settings = resolveSettings({
          ...((flags.profile ?? env.profile) ? { profile: (flags.profile ?? env.profile) as ProfileName } : {}),
          ...(file ? { file } : {}),
        });
      } catch (err) {
        if (err instanceof ConfigError) {
          fail(err.message);
        }
        throw err;
      }
      if (flags.pageSize) {
        settings.fetch.pageSize = flags.pageSize;
      }
      const json = flags.json === true;
      const progress = json ? undefined : createProgress();
      await withStore(flags, async (store) => {
        let result: SyncReport;
        try {
          result = await runSync({
            store,
            connection: connection as Connection,
            settings,
            ...(flags.full ? { full: true } : {}),
            ...(flags.since ? { since: flags.since } : {}),
            ...(flags.dryRun ? { dryRun: true } : {}),
            ...(progress ? { onEvent: progress.onEvent } : {}),
          });
        } catch (err) {
          progress?.stop();
          if (err instanceof SyncError) {
            fail(err.message, err.code === "HELD_BATCH" ? EXIT.held : EXIT.failed);
          }
          throw err;
        }
        progress?.stop();
        // Seed 003 "How to sync Grades": grades go with the scheduled roster update, unless the roster run failed.
        const gradeProgress = json ? undefined : createGradeProgress("scheduled");
        const grades =
          flags.grades && result.status !== "failed" && result.status !== "paused"
            ? await runScheduledGradeExport({
                store,
                connection: connection as Connection,
                settings,
                ...(flags.dryRun ? { dryRun: true } : {}),
                ...(gradeProgress ? { onEvent: gradeProgress.onEvent } : {}),
              }).finally(() => gradeProgress?.stop())
            : undefined;
        if (json) {
          process.stdout.write(`${JSON.stringify(grades ? { ...result, grades } : result, null, 2)}\n`);
        } else {
          process.stdout.write(formatReport(result, { color: process.stdout.isTTY === true, store: store.label }));
          if (flags.dryRun && result.batchId) {
            process.stdout.write(await formatPlan(store, result.batchId, 40));
          }
          if (grades) {
            process.stdout.write(formatScheduledExport(grades, process.stdout.isTTY === true));
          } else if (flags.grades) {
            process.stdout.write(`grades were not exported: the roster run ${result.status}\n`);
          }
        }
        process.exitCode = result.status === "failed" ? EXIT.failed : result.status === "held" ? EXIT.held : EXIT.ok;
      });
    });

  sync
    .command("status")
    .description("the LMS store: what it holds, the last successful run, any held batch")
    .addOption(lmsOption())
    .option("--json", "print JSON")
    .action(async (flags: CommonFlags) => {
      await withStore(flags, async (store) => {
        const last = await lastSuccess(store.db);
        const [held] = await store.db.select().from(batches).where(eq(batches.status, "held")).limit(1);
        const [latest] = await store.db.select().from(batches).orderBy(desc(batches.id)).limit(1);
        const counts = await storeCounts(store.db);
        const status = {
          store: store.label,
          lastSuccess: last ?? null,
          latestBatch: latest ? { id: latest.id, status: latest.status, startedAt: latest.startedAt } : null,
          heldBatch: held ? { id: held.id, reasons: held.holdReasons } : null,
          counts,
        };
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
          return;
        }
        const c = pc.createColors(process.stdout.isTTY === true);
        const lines = [
          `${c.bold("LMS store")} ${store.label}`,
          `last successful run: ${last ? `batch ${last.batchId}, started ${last.startedAt}` : "none yet (the next run is full)"}`,
          latest ? `latest batch: ${latest.id} ${statusWord(latest.status, c)}` : "no batches yet",
          held ? c.yellow(`held: batch ${held.id} — ${(held.holdReasons ?? []).join("; ")}`) : "",
          "",
          ...Object.entries(counts).map(([k, v]) => `  ${k.padEnd(18)} ${v}`),
        ];
        process.stdout.write(`${lines.filter((l, i) => l !== "" || i === 4).join("\n")}\n`);
      });
    });

  sync
    .command("batches")
    .description("recent batches with their status and counts")
    .option("--limit <n>", "how many", intArg(), 20)
    .addOption(lmsOption())
    .option("--json", "print JSON")
    .action(async (flags: CommonFlags & { limit: number }) => {
      await withStore(flags, async (store) => {
        const rows = await store.db.select().from(batches).orderBy(desc(batches.id)).limit(flags.limit);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        const c = pc.createColors(process.stdout.isTTY === true);
        if (rows.length === 0) {
          process.stdout.write("no batches yet: run `rosterlab sync`\n");
          return;
        }
        for (const b of rows) {
          const groups = (b.counts?._groups ?? {}) as Record<string, number>;
          const changes = Object.values(groups).reduce((a, n) => a + n, 0);
          process.stdout.write(
            `${String(b.id).padStart(5)}  ${statusWord(b.status, c).padEnd(32)} ${b.mode.padEnd(5)} ${b.startedAt.toISOString()}  ${changes} changes${b.holdReasons?.length ? c.yellow(`  held: ${b.holdReasons.join("; ")}`) : ""}\n`,
          );
        }
      });
    });

  sync
    .command("show")
    .description("one batch: counts, hold reasons, errors, the plan and the audit")
    .argument("<batch>", "batch number", intArg(1, "a batch number (see `rosterlab sync batches`)"))
    .option("--plan [n]", "list the plan's changes (default 50)")
    .option("--audit [n]", "list the audit rows (default 50)")
    .option("--errors [n]", "list the errors with the records' data (default 50)")
    .addOption(lmsOption())
    .option("--json", "print JSON")
    .action(
      async (
        id: number,
        flags: CommonFlags & { plan?: string | true; audit?: string | true; errors?: string | true },
      ) => {
        const n = (v: string | true | undefined) => (v === undefined ? 0 : v === true ? 50 : Number(v) || 50);
        await withStore(flags, async (store) => {
          const [b] = await store.db.select().from(batches).where(eq(batches.id, id));
          if (!b) {
            fail(`there is no batch ${id}; \`rosterlab sync batches\` lists them`);
          }
          const result = await report(store.db, id, false, {});
          const errors = await store.db
            .select()
            .from(batchErrors)
            .where(eq(batchErrors.batchId, id))
            .orderBy(asc(batchErrors.id))
            .limit(Math.max(n(flags.errors), flags.json ? 1000 : 0));
          if (flags.json) {
            const plan = n(flags.plan)
              ? await store.db
                  .select()
                  .from(planChanges)
                  .where(eq(planChanges.batchId, id))
                  .orderBy(asc(planChanges.seq))
                  .limit(n(flags.plan))
              : undefined;
            const audit = n(flags.audit)
              ? await store.db
                  .select()
                  .from(auditLog)
                  .where(eq(auditLog.batchId, id))
                  .orderBy(asc(auditLog.id))
                  .limit(n(flags.audit))
              : undefined;
            process.stdout.write(`${JSON.stringify({ batch: b, report: result, errors, plan, audit }, null, 2)}\n`);
            return;
          }
          const color = process.stdout.isTTY === true;
          process.stdout.write(
            formatReport(
              { ...result, counts: undefined },
              { color, store: store.label, counts: b.counts ?? undefined },
            ),
          );
          if (n(flags.errors) > 0) {
            for (const e of errors.slice(0, n(flags.errors))) {
              process.stdout.write(
                `  ${e.code} ${e.collection}${e.sourcedId ? ` ${e.sourcedId}` : ""}: ${e.message}\n    ${JSON.stringify(e.record)}\n`,
              );
            }
          }
          if (n(flags.plan) > 0) {
            process.stdout.write(await formatPlan(store, id, n(flags.plan)));
          }
          if (n(flags.audit) > 0) {
            const rows = await store.db
              .select()
              .from(auditLog)
              .where(eq(auditLog.batchId, id))
              .orderBy(asc(auditLog.id))
              .limit(n(flags.audit));
            for (const a of rows) {
              process.stdout.write(
                `  ${a.entity} ${a.action} ${a.sisId}\n    before ${JSON.stringify(a.before)}\n    after  ${JSON.stringify(a.after)}\n`,
              );
            }
          }
        });
      },
    );

  sync
    .command("approve")
    .description("apply exactly the held plan of a batch (refused when the LMS changed since it was planned)")
    .argument("<batch>", "batch number", intArg(1, "a batch number (see `rosterlab sync batches`)"))
    .option("--by <name>", "who approves (recorded in the batch; default: $USER)")
    .addOption(lmsOption())
    .option("--json", "print JSON")
    .action(async (id: number, flags: CommonFlags & { by?: string }) => {
      await withStore(flags, async (store) => {
        try {
          const result = await approveBatch(store, id, flags.by ?? safeEnv().operator);
          process.stdout.write(
            flags.json
              ? `${JSON.stringify(result, null, 2)}\n`
              : formatReport(result, { color: process.stdout.isTTY === true, store: store.label }),
          );
        } catch (err) {
          if (err instanceof SyncError) {
            fail(err.message, EXIT.failed);
          }
          throw err;
        }
      });
    });

  sync
    .command("discard")
    .description("drop a held or unfinished batch; the LMS is untouched and the next run reads the same changes again")
    .argument("<batch>", "batch number", intArg(1, "a batch number (see `rosterlab sync batches`)"))
    .addOption(lmsOption())
    .option("--json", "print JSON")
    .action(async (id: number, flags: CommonFlags) => {
      await withStore(flags, async (store) => {
        try {
          const result = await discardBatch(store, id);
          process.stdout.write(
            flags.json ? `${JSON.stringify(result, null, 2)}\n` : `batch ${id} discarded; the LMS is unchanged\n`,
          );
        } catch (err) {
          if (err instanceof SyncError) {
            fail(err.message, EXIT.failed);
          }
          throw err;
        }
      });
    });

  sync
    .command("export")
    .description("the LMS store's roster as OneRoster-shaped JSON (sorted, so two exports diff cleanly)")
    .option("--out <file>", "write to a file instead of stdout")
    .addOption(lmsOption())
    .action(async (flags: CommonFlags & { out?: string }) => {
      await withStore(flags, async (store) => {
        const text = `${JSON.stringify(await exportRoster(store.db), null, 2)}\n`;
        if (flags.out) {
          await writeFile(flags.out, text, "utf8");
          process.stderr.write(`wrote ${flags.out}\n`);
        } else {
          process.stdout.write(text);
        }
      });
    });
  return sync;
}

type Colors = ReturnType<typeof pc.createColors>;

function statusWord(status: string, c: Colors): string {
  const word = status.replace(/_/g, " ");
  switch (status) {
    case "completed":
      return c.green(word);
    case "completed_with_errors":
    case "held":
    case "dry_run":
      return c.yellow(word);
    case "failed":
      return c.red(word);
    default:
      return word;
  }
}

/** Progress per collection: bars on a terminal, one line per finished collection otherwise. */
export function createProgress(): { onEvent: (e: SyncEvent) => void; stop: () => void } {
  const tty = process.stderr.isTTY === true;
  const bars = tty
    ? new cliProgress.MultiBar(
        {
          format: " {collection} [{bar}] {value}/{total}",
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const active = new Map<string, cliProgress.SingleBar>();
  let retries = 0;
  return {
    onEvent(e) {
      if (e.type === "batch") {
        process.stderr.write(
          `batch ${e.batchId}: ${e.mode}${e.since ? ` since ${e.since.toISOString()}` : ""}${e.resumed ? " (resumed)" : ""}\n`,
        );
      } else if (e.type === "stage") {
        const name = e.collection.padEnd(16);
        if (bars) {
          let bar = active.get(e.collection);
          if (!bar) {
            bar = bars.create(e.total ?? e.records, 0, { collection: name });
            active.set(e.collection, bar);
          }
          bar.setTotal(Math.max(e.total ?? e.records, e.records));
          bar.update(e.records, { collection: name });
        } else if (e.done) {
          process.stderr.write(`  ${name} ${e.records} records\n`);
        }
      } else if (e.type === "phase" && e.done === undefined) {
        bars?.stop();
        process.stderr.write(`  ${e.phase}…\n`);
      } else if (e.type === "client" && e.event.type === "retry") {
        retries++;
        if (!bars) {
          process.stderr.write(
            `  retry ${retries}: ${e.event.method} ${new URL(e.event.url).pathname} ${e.event.reason}\n`,
          );
        }
      }
    },
    stop() {
      bars?.stop();
    },
  };
}

const ACTIONS = ["create", "update", "delete", "restore", "archive", "inactivate", "unmap", "adopt", "manual"];
const ENTITY_LABELS: Record<string, string> = {
  orgUnit: "org units",
  user: "users",
  parentLink: "parent links",
  enrollment: "enrolments",
};

/** The run summary, laid out like itslearning's log email: status, counts per entity and action, errors, timings. */
export function formatReport(
  r: SyncReport,
  options: { color: boolean; store: string; counts?: Record<string, Record<string, number>> },
): string {
  const c = pc.createColors(options.color);
  const out: string[] = [];
  if (r.status === "paused") {
    return `${c.yellow("paused")}: ${r.message ?? ""}\n`;
  }
  out.push(
    `${c.bold(`batch ${r.batchId}`)}  ${statusWord(r.status, c)}  ${r.mode ?? ""}${r.since ? ` since ${r.since}` : ""}${r.resumed ? "  (resumed)" : ""}`,
  );
  out.push(c.dim(`LMS store: ${options.store}`));
  const byEntity =
    r.counts?.byEntity ?? Object.fromEntries(Object.entries(options.counts ?? {}).filter(([k]) => !k.startsWith("_")));
  const used = ACTIONS.filter((a) => Object.values(byEntity).some((m) => (m[a] ?? 0) > 0));
  if (used.length > 0) {
    out.push("");
    out.push(`  ${"".padEnd(14)}${used.map((a) => a.padStart(10)).join("")}`);
    for (const [entity, m] of Object.entries(byEntity)) {
      out.push(
        `  ${(ENTITY_LABELS[entity] ?? entity).padEnd(14)}${used.map((a) => String(m[a] ?? "").padStart(10)).join("")}`,
      );
    }
  } else {
    out.push("  no changes");
  }
  out.push("");
  if (r.collections.length > 0) {
    out.push(`  fetched: ${r.collections.map((col) => `${col.collection} ${col.records}`).join(", ")}`);
  }
  if (r.holdReasons.length > 0) {
    out.push(c.yellow(`  held by the safety filter: ${r.holdReasons.join("; ")}`));
    out.push(
      `  review: rosterlab sync show ${r.batchId} --plan   then: rosterlab sync approve ${r.batchId}  or  discard ${r.batchId}`,
    );
  }
  if (r.errors > 0) {
    out.push(c.yellow(`  ${r.errors} record error(s): rosterlab sync show ${r.batchId} --errors`));
  }
  if (r.warnings.length > 0) {
    out.push(`  ${r.warnings.length} warning(s):`);
    for (const w of r.warnings.slice(0, 8)) {
      out.push(c.dim(`    ${w}`));
    }
    if (r.warnings.length > 8) {
      out.push(c.dim(`    … ${r.warnings.length - 8} more (rosterlab sync show ${r.batchId} --json)`));
    }
  }
  if (r.message) {
    out.push(`  ${r.message}`);
  }
  const t = r.timings;
  const secs = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(1)}s`);
  out.push(`  timings: fetch ${secs(t.fetchMs)}, plan ${secs(t.planMs)}, apply ${secs(t.applyMs)}`);
  return `${out.join("\n")}\n`;
}

async function formatPlan(store: LmsStore, id: number, limit: number): Promise<string> {
  const rows = await store.db
    .select()
    .from(planChanges)
    .where(and(eq(planChanges.batchId, id)))
    .orderBy(asc(planChanges.seq))
    .limit(limit);
  if (rows.length === 0) {
    return "  the plan is empty\n";
  }
  const lines = rows.map(
    (r) =>
      `  ${r.action.padEnd(10)} ${r.entity}${r.kind ? `(${r.kind})` : ""} ${r.sisId}${r.reason ? `  — ${r.reason}` : ""}`,
  );
  return `\nplan (first ${rows.length}):\n${lines.join("\n")}\n`;
}
