// `rosterlab demo` (npm run demo): one command, no set-up. Seeds a district into the provider's database (PGlite in
// memory unless DATABASE_URL), serves it on a free port, opens an LMS store (in memory unless ROSTERLAB_LMS_URL) and
// tells demo-flow.ts's story as it happens, then a summary in numbers. The one place provider and consumer meet.

import { type Command, InvalidArgumentError } from "commander";
import { getTableName, is, sql } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import pc from "picocolors";
import { createProgress } from "../consumer/cli.js";
import { ConfigError, readConsumerEnv, resolveSettings } from "../consumer/config.js";
import { formatOverview } from "../consumer/grades/format.js";
import { type LmsStore, openLmsStore } from "../consumer/store/open.js";
import * as lmsSchema from "../consumer/store/schema.js";
import {
  addGeneratorOptions,
  createDistrictClock,
  createProgressReporter,
  generatorOptionsFromFlags,
  isDatabaseEmpty,
  type SeedSummary,
  seedDatabase,
  withMassWithdrawal,
} from "../seed/index.js";
import { readServerConfig } from "../server/config.js";
import { startServer } from "../server/main.js";
import { type DemoEvent, type DemoReport, runDemoFlow } from "./demo-flow.js";

interface DemoFlags extends Record<string, unknown> {
  days: number;
  courses: number;
  reset?: boolean;
  json?: boolean;
}

class DemoRefusal extends Error {}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 50) {
    throw new InvalidArgumentError("expected a whole number from 1 to 50");
  }
  return n;
}

const n = (v: number) => v.toLocaleString("en-US");
const secs = (ms: number) =>
  ms >= 60_000 ? `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s` : `${(ms / 1000).toFixed(1)}s`;

const ENTITY = { orgUnit: "org units", user: "users", enrollment: "enrolments", parentLink: "parent links" } as const;
const VERB: Record<string, string> = {
  create: "created",
  update: "updated",
  delete: "deleted",
  restore: "restored",
  archive: "archived",
  inactivate: "inactivated",
  unmap: "unmapped",
  adopt: "adopted",
  manual: "made manual",
};

/** "created 1,131 org units, 5,231 users; updated 12 users" from a plan's counts per entity and action. */
function describeChanges(byEntity: Record<string, Record<string, number>>): string {
  const byAction = new Map<string, string[]>();
  for (const [entity, actions] of Object.entries(byEntity)) {
    for (const [action, k] of Object.entries(actions)) {
      if (k > 0) {
        const list = byAction.get(action) ?? [];
        list.push(`${n(k)} ${ENTITY[entity as keyof typeof ENTITY] ?? entity}`);
        byAction.set(action, list);
      }
    }
  }
  const parts = [...byAction].map(([action, list]) => `${VERB[action] ?? action} ${list.join(", ")}`);
  return parts.length > 0 ? parts.join("; ") : "no changes";
}

const CHURN_WORDS: Record<string, string> = {
  newStudent: "new students",
  withdrawal: "withdrawals",
  transfer: "transfers",
  scheduleChange: "schedule changes",
  teacherReplaced: "teachers replaced",
  nameChange: "name changes",
  emailChange: "e-mail changes",
  newGuardian: "new guardians",
  newLineItem: "new SIS assignments",
};

/** The story as it happens: one block per step, on stdout. */
function createNarrator(write: (text: string) => void, color: boolean) {
  const c = pc.createColors(color);
  let stepStart = performance.now();
  const line = (text: string) => write(`  ${text}\n`);
  return {
    onEvent(e: DemoEvent) {
      switch (e.type) {
        case "step":
          stepStart = performance.now();
          write(`\n${c.bold(c.cyan("▸"))} ${c.bold(e.title[0]?.toUpperCase() + e.title.slice(1))}\n`);
          break;
        case "sync": {
          const r = e.report;
          const took = secs(performance.now() - stepStart);
          const status =
            r.status === "held" ? c.yellow("HELD by the safety filter, nothing applied") : r.status.replace(/_/g, " ");
          line(`${e.label}, batch ${r.batchId}: ${status} (${took})`);
          line(`  ${describeChanges(r.counts?.byEntity ?? {})}`);
          for (const reason of r.holdReasons) {
            line(c.yellow(`  held: ${reason}`));
          }
          if (r.errors > 0 && r.status !== "held") {
            line(c.dim(`  ${n(r.errors)} records the LMS could not take (e.g. a role missing from the role map)`));
          }
          break;
        }
        case "district": {
          const d = e.district;
          line(
            `the district: ${d.name}, ${d.schools.length} schools, ${n(d.students)} students, ${n(d.teachers)} teachers, ${n(d.classes)} classes`,
          );
          break;
        }
        case "approved":
          line(
            `the ${e.by} reviewed batch ${e.report.batchId} (rosterlab sync show ${e.report.batchId} --plan) and approved it: ${e.report.status.replace(/_/g, " ")}`,
          );
          break;
        case "teachers": {
          const s = e.summary;
          if (s.round === 0) {
            const statuses = Object.entries(s.byStatus)
              .sort((a, b) => b[1] - a[1])
              .map(([k, v]) => `${n(v)} ${k}`)
              .join(", ");
            line(
              `${s.teachers.length} teachers keep gradebooks in ${s.courses.length} courses: ${n(s.gradeItems.created)} grade items (${s.gradeItems.inOwnCategory} in a teacher's own category, never sent), ${n(s.grades.entered)} grades (${statuses})`,
            );
          } else {
            const extra = [
              s.gradeItems.changed ? `${s.gradeItems.changed} grade item's maximum changed (its results go again)` : "",
              s.gradeItems.deleted ? `${s.gradeItems.deleted} grade item deleted` : "",
              s.grades.cleared ? `${s.grades.cleared} grade cleared` : "",
            ].filter(Boolean);
            line(
              `teachers: ${n(s.grades.changed)} grades changed, ${s.gradeItems.created} new grade items with ${n(s.grades.entered)} grades${extra.length ? `, ${extra.join(", ")}` : ""}`,
            );
          }
          break;
        }
        case "export": {
          if (e.course) {
            const r = e.course;
            write(formatOverview(r.overview, c).replace(/^/gm, "  "));
            line(
              `export ${r.exportId}: ${r.counts.lineItems.success} line items and ${n(r.counts.results.success)} results accepted by the SIS${r.counts.lineItems.failure + r.counts.results.failure ? c.yellow(`, ${r.counts.lineItems.failure + r.counts.results.failure} failed`) : ""} (rosterlab grades show ${r.exportId})`,
            );
          } else if (e.scheduled) {
            const t = e.scheduled.totals;
            const failures = t.lineItems.failure + t.results.failure + t.deleted.failure;
            if (e.scheduled.courses.length === 0) {
              line(`nightly grade export as ${e.scheduled.startedBy}: nothing new to send`);
              break;
            }
            line(
              `nightly grade export as ${e.scheduled.startedBy}: ${e.scheduled.courses.length} courses, ${n(t.lineItems.success)} line items, ${n(t.results.success)} results${t.deleted.success ? `, ${t.deleted.success} deletions` : ""} sent; ${failures ? c.yellow(`${failures} failed (retried next run)`) : "no failures"}`,
            );
          }
          break;
        }
        case "day": {
          const events = Object.entries(e.events)
            .filter(([, k]) => k > 0)
            .map(([k, v]) => `${v} ${CHURN_WORDS[k] ?? k}`)
            .join(", ");
          line(`the district on ${e.date}: ${events || "a quiet day"}`);
          break;
        }
        case "withdrawal": {
          const w = e.summary;
          line(
            c.yellow(
              `the SIS withdrew ${n(w.students)} students of ${w.schools.map((s) => s.name).join(" and ")} (${n(w.enrollments)} enrolments ended): a roster dropped from the SIS export`,
            ),
          );
          break;
        }
      }
    },
  };
}

/** The closing summary: the story in numbers. */
function formatSummary(r: DemoReport, ms: number, color: boolean): string {
  const c = pc.createColors(color);
  const held = r.syncs.filter((s) => s.holdReasons.length > 0);
  const totals: Record<string, Record<string, number>> = {};
  for (const s of r.syncs) {
    for (const [entity, actions] of Object.entries(s.byEntity)) {
      for (const [action, k] of Object.entries(actions)) {
        totals[entity] ??= {};
        (totals[entity] as Record<string, number>)[action] =
          ((totals[entity] as Record<string, number>)[action] ?? 0) + k;
      }
    }
  }
  const g = r.grades;
  const lines = [
    "",
    c.bold("▸ The story in numbers"),
    `  roster: ${r.syncs.length} syncs (${r.syncs.filter((s) => s.mode === "full").length} full, ${r.syncs.filter((s) => s.mode === "delta").length} delta) over ${r.days.length} school days; ${describeChanges(totals)}`,
    ...held.map(
      (s) =>
        `  held: batch ${s.batchId} (${s.holdReasons.join("; ")}), then ${s.approvedBy ? `approved by the ${s.approvedBy}` : "not approved"}`,
    ),
    `  grades: ${r.exports.reduce((a, e) => a + e.courses, 0)} course exports from ${g.courses} courses; the SIS accepted ${n(g.lineItemsSent)} line item and ${n(g.resultsSent)} result writes (first sends and re-sends after changes) and ${g.deletionsSent} deletions; ${g.failures ? c.yellow(`${g.failures} failures`) : "no failures"}`,
    `  read back from the SIS: it holds ${n(g.atSis.lineItems)} line items and ${n(g.atSis.results)} results from this LMS (GET /lineItems, /results), ${
      g.atSis.lineItems === g.expected.lineItems && g.atSis.results === g.expected.results
        ? c.green("exactly what the LMS's export state records")
        : c.yellow(`the LMS's export state records ${n(g.expected.lineItems)} and ${n(g.expected.results)}`)
    }`,
    `  done in ${secs(ms)}`,
    "",
  ];
  return `${lines.join("\n")}\n`;
}

/** Empties the LMS store's tables (for --reset); the table list comes from the schema. */
async function resetLmsStore(store: LmsStore): Promise<void> {
  const names: string[] = [];
  for (const value of Object.values(lmsSchema) as unknown[]) {
    if (is(value, PgTable)) {
      names.push(`"${getTableConfig(value).schema ?? "public"}"."${getTableName(value)}"`);
    }
  }
  await store.db.execute(sql.raw(`TRUNCATE TABLE ${names.join(", ")} RESTART IDENTITY CASCADE`));
}

async function storeIsEmpty(store: LmsStore): Promise<boolean> {
  const rows = await store.db.select({ id: lmsSchema.batches.id }).from(lmsSchema.batches).limit(1);
  return rows.length === 0;
}

export function registerDemoCommand(program: Command): void {
  const cmd = program
    .command("demo")
    .description(
      "the whole story in one command: seed, serve, full sync, teachers grading, grade export, school days of churn with delta syncs, a held mass withdrawal approved, and a report",
    )
    .option("--days <n>", "school days of district churn before the mass-withdrawal day", count, 3)
    .option("--courses <n>", "courses the simulated teachers keep gradebooks in", count, 12)
    .option("--reset", "replace what DATABASE_URL / ROSTERLAB_LMS_URL already hold")
    .option("--json", "print the report as JSON (no story, no progress)");
  addGeneratorOptions(cmd, { size: "demo" });
  cmd.action(async (flags: DemoFlags) => {
    const started = performance.now();
    const json = flags.json === true;
    const color = !json && process.stdout.isTTY === true;
    const write = (text: string) => {
      if (!json) {
        process.stdout.write(text);
      }
    };
    const fail = (message: string, code = 2): never => {
      process.stderr.write(`${pc.red("error")} ${message}\n`);
      process.exit(code);
    };
    const { config, problems } = readServerConfig();
    if (!config) {
      return fail(problems.map((p) => `bad environment: ${p}`).join("\n"));
    }
    let env: ReturnType<typeof readConsumerEnv>;
    let settings: ReturnType<typeof resolveSettings>;
    try {
      env = readConsumerEnv();
      settings = resolveSettings({
        ...(env.profile ? { profile: env.profile } : {}),
        ...(env.configFile ? { file: env.configFile } : {}),
      });
    } catch (err) {
      if (err instanceof ConfigError) {
        return fail(err.message);
      }
      throw err;
    }
    const generator = generatorOptionsFromFlags(flags);
    const c = pc.createColors(color);
    write(
      `${c.bold("rosterlab demo")}: the ${generator.size} district (seed ${generator.seed}), a OneRoster v1p1 SIS and an LMS that syncs from it\n`,
    );

    let seeded: SeedSummary | undefined;
    const progress = createProgressReporter(process.stderr, json ? "silent" : "auto");
    let running: Awaited<ReturnType<typeof startServer>>;
    try {
      running = await startServer(
        { ...config, port: 0, host: "127.0.0.1", logLevel: "error" },
        {
          districtClock: (handle) => withMassWithdrawal(createDistrictClock(handle), handle),
          beforeListen: async (handle) => {
            if (!flags.reset && !(await isDatabaseEmpty(handle))) {
              throw new DemoRefusal(
                `${handle.label} already holds a district; run the demo with --reset to replace it (or unset DATABASE_URL)`,
              );
            }
            write(`\n${c.bold(c.cyan("▸"))} ${c.bold("The SIS")}\n`);
            seeded = await seedDatabase(
              handle,
              { ...generator, reset: true, fingerprint: false },
              progress.update,
            ).finally(() => progress.stop());
          },
        },
      );
    } catch (err) {
      if (err instanceof DemoRefusal) {
        return fail(err.message);
      }
      throw err;
    }
    let store: LmsStore | undefined;
    try {
      const lmsUrl = env.lmsUrl ?? "memory:";
      store = await openLmsStore(lmsUrl);
      if (!(await storeIsEmpty(store))) {
        if (!flags.reset) {
          throw new DemoRefusal(
            `the LMS store ${store.label} already holds batches; run the demo with --reset to empty it (or unset ROSTERLAB_LMS_URL)`,
          );
        }
        await resetLmsStore(store);
      }
      const rows = seeded ? n(seeded.totalRows) : "?";
      write(
        `  seeded ${rows} rows in ${secs(seeded?.durationMs ?? 0)} into ${running.handle.label}; serving it at ${running.baseUrl}\n  the LMS store: ${store.label}\n`,
      );
      const narrator = createNarrator(write, color);
      const report = await runDemoFlow({
        provider: {
          baseUrl: running.baseUrl,
          tokenUrl: running.tokenUrl,
          clientId: running.clientId,
          clientSecret: running.clientSecret,
          origin: running.origin,
          adminToken: running.adminToken,
        },
        store,
        settings,
        seed: generator.seed,
        days: flags.days,
        courses: flags.courses,
        onEvent: (e) => {
          if (e.type === "step" && e.title.startsWith("reading")) {
            return;
          }
          narrator.onEvent(e);
        },
        // The full sync is the long step: its collections' progress on stderr, as `rosterlab sync` shows it.
        syncProgress: (label) => (!json && label.includes("full") ? createProgress() : undefined),
      });
      const ms = performance.now() - started;
      if (json) {
        process.stdout.write(
          `${JSON.stringify({ ...report, seeded: seeded ? { rows: seeded.totalRows, ms: seeded.durationMs } : null, ms: Math.round(ms) }, null, 2)}\n`,
        );
      } else {
        write(formatSummary(report, ms, color));
      }
    } catch (err) {
      if (err instanceof DemoRefusal) {
        process.exitCode = 2;
        process.stderr.write(`${pc.red("error")} ${err.message}\n`);
      } else {
        throw err;
      }
    } finally {
      await store?.close();
      await running.close();
    }
  });
}
