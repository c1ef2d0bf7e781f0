// `rosterlab grades …`: the LMS gradebook from a terminal (categories, grade items, grades, simulated teachers) and
// seed 003's "Export to SIS" on demand with its overview, progress, summary and export history. Exit codes: 0 done,
// 1 failed, 2 bad usage, 4 exported with failures (see `grades show`).
import { type Command, Option } from "commander";
import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import pc from "picocolors";
import { OneRosterClient } from "../../oneroster/client/index.js";
import { fail, lmsOption, safeEnv, withStore } from "../cli.js";
import { instantArg, intArg, numberArg } from "../cli-args.js";

import { ConfigError, type Connection, resolveSettings, type SyncSettings } from "../config.js";
import { PROFILES, type ProfileName } from "../profiles.js";
import { gradeCategories, gradeExportState, gradeItems, grades } from "../store/schema.js";
import { refreshCategories } from "./categories.js";
import { exportCourseGrades } from "./export.js";
import { createGradeProgress, formatCourseExport, formatFailure } from "./format.js";
import {
  categoryChoices,
  clearGrade,
  createCourseCategory,
  createGradeItem,
  deleteGradeItem,
  findCategory,
  findOffering,
  findSession,
  findUser,
  type GradeItemPatch,
  GradesError,
  getGradeItem,
  sessionChoices,
  setGrade,
  updateGradeItem,
} from "./gradebook.js";
import { listExports, showExport } from "./history.js";
import { simulateTeachers } from "./simulate.js";

/** A whole number ≥ 0 (ids, rounds, seeds, limits). */
const wholeNumber = intArg(0);

export const GRADES_EXIT = { ok: 0, failed: 1, usage: 2, partial: 4 } as const;

interface StoreFlags {
  lmsUrl?: string;
  json?: boolean;
}

interface ConnectionFlags extends StoreFlags {
  baseUrl?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  scope?: string;
  profile?: ProfileName;
  config?: string;
}

function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option("--base-url <url>", "provider base URL (env ROSTERLAB_SYNC_BASE_URL)")
    .option("--token-url <url>", "OAuth 2 token endpoint (env ROSTERLAB_SYNC_TOKEN_URL)")
    .option("--client-id <id>", "OAuth 2 client id (env ROSTERLAB_SYNC_CLIENT_ID)")
    .option("--client-secret <secret>", "OAuth 2 client secret; prefer env ROSTERLAB_SYNC_CLIENT_SECRET")
    .option("--scope <scopes>", "space-separated scopes to ask for (env ROSTERLAB_SYNC_SCOPE)")
    .addOption(
      new Option("--profile <name>", "built-in behaviour (env ROSTERLAB_SYNC_PROFILE)").choices(Object.keys(PROFILES)),
    )
    .option("--config <file>", "JSON config over the profile (env ROSTERLAB_SYNC_CONFIG)");
}

/** Flags over ROSTERLAB_SYNC_* variables, as `sync run` reads them. */
function resolveConnection(flags: ConnectionFlags): { connection: Connection; settings: SyncSettings } {
  const env = safeEnv();
  const connection: Partial<Connection> = { ...env.connection };
  for (const k of ["baseUrl", "tokenUrl", "clientId", "clientSecret", "scope"] as const) {
    if (flags[k]) {
      connection[k] = flags[k];
    }
  }
  const missing = (["baseUrl", "tokenUrl", "clientId", "clientSecret"] as const).filter((k) => !connection[k]);
  if (missing.length > 0) {
    fail(
      `this command talks to the SIS and needs ${missing.map((m) => `--${m.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(", ")} (or the ROSTERLAB_SYNC_* variables)`,
    );
  }
  try {
    const file = flags.config ?? env.configFile;
    const profile = flags.profile ?? env.profile;
    const settings = resolveSettings({ ...(profile ? { profile } : {}), ...(file ? { file } : {}) });
    return { connection: connection as Connection, settings };
  } catch (err) {
    if (err instanceof ConfigError) {
      fail(err.message);
    }
    throw err;
  }
}

/** Runs a gradebook action, mapping GradesError to a message and exit status 2 (1 for a failed fetch). */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof GradesError) {
      fail(err.message, err.code === "FETCH_FAILED" ? GRADES_EXIT.failed : GRADES_EXIT.usage);
    }
    throw err;
  }
}

const print = (json: boolean | undefined, value: unknown, text: () => string) =>
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : text());

/** Adds `grades` and its subcommands to the program. */
export function registerGradesCommands(program: Command): Command {
  const gradesCmd = program
    .command("grades")
    .description(
      "the LMS gradebook and grade export to the SIS (seed 003): categories, items, grades, export, history",
    );

  addConnectionOptions(
    gradesCmd
      .command("categories")
      .description("grade categories: the SIS's (export to SIS) and the courses' own; --refresh reads the SIS first")
      .option("--refresh", "read GET /categories from the SIS first")
      .option("--course <course>", "only the categories a grade item of this course may use"),
  )
    .addOption(lmsOption())
    .option("--json", "print JSON")
    .action(async (flags: ConnectionFlags & { refresh?: boolean; course?: string }) => {
      await withStore(flags, (store) =>
        guarded(async () => {
          let refresh: Awaited<ReturnType<typeof refreshCategories>> | undefined;
          if (flags.refresh) {
            const { connection, settings } = resolveConnection(flags);
            const client = new OneRosterClient({ ...connection, retries: settings.fetch.retries });
            try {
              refresh = await refreshCategories(store.db, client, {
                pageSize: settings.fetch.pageSize,
                now: new Date(),
              });
            } catch (err) {
              throw new GradesError("FETCH_FAILED", `could not read the SIS's categories: ${(err as Error).message}`);
            }
          }
          const rows = flags.course
            ? await categoryChoices(store.db, (await findOffering(store.db, flags.course)).id)
            : await store.db.select().from(gradeCategories).orderBy(asc(gradeCategories.id));
          print(flags.json, { refresh, categories: rows }, () => {
            const lines = rows.map(
              (c) =>
                `  ${String(c.id).padStart(4)}  ${(c.sisId ?? "-").padEnd(14)} ${c.name.padEnd(28)} ${c.exportToSis ? pc.green("export to SIS") : "course only"}${c.status === "deleted" ? pc.yellow("  (gone from the SIS)") : ""}`,
            );
            const head = refresh
              ? `read ${refresh.listed} categories from the SIS: ${refresh.created} new, ${refresh.updated} changed, ${refresh.removed} gone\n`
              : "";
            return `${head}${lines.join("\n") || "  no categories yet: run with --refresh"}\n`;
          });
        }),
      );
    });

  gradesCmd
    .command("items")
    .description("a course's grade items with their category, academic session and what the SIS holds")
    .requiredOption("--course <course>", "course offering: SIS sourcedId, code or id")
    .addOption(lmsOption())
    .option("--json", "print JSON")
    .action(async (flags: StoreFlags & { course: string }) => {
      await withStore(flags, (store) =>
        guarded(async () => {
          const db = store.db;
          const offering = await findOffering(db, flags.course);
          const items = await db
            .select()
            .from(gradeItems)
            .where(and(eq(gradeItems.offeringId, offering.id), isNull(gradeItems.deletedAt)))
            .orderBy(asc(gradeItems.id));
          const cats = new Map((await categoryChoices(db, offering.id)).map((c) => [c.id, c]));
          const sessions = new Map((await sessionChoices(db, offering.id)).map((s) => [s.id, s]));
          const ids = items.map((i) => i.id);
          const states = ids.length
            ? await db
                .select()
                .from(gradeExportState)
                .where(and(eq(gradeExportState.kind, "lineItem"), inArray(gradeExportState.lmsId, ids)))
            : [];
          const counts = ids.length
            ? await db
                .select({ id: grades.gradeItemId })
                .from(grades)
                .where(and(inArray(grades.gradeItemId, ids), isNull(grades.deletedAt)))
            : [];
          const out = items.map((i) => {
            const st = states.find((s) => s.lmsId === i.id);
            return {
              ...i,
              category: i.categoryId !== null ? (cats.get(i.categoryId)?.name ?? null) : null,
              session: i.sessionId !== null ? (sessions.get(i.sessionId)?.sisId ?? null) : null,
              grades: counts.filter((c) => c.id === i.id).length,
              atSis: st ? { sourcedId: st.sourcedId, revision: st.sentRevision, lastOutcome: st.lastOutcome } : null,
            };
          });
          print(flags.json, { offering, items: out }, () => {
            const lines = out.map(
              (i) =>
                `  ${String(i.id).padStart(5)}  ${i.name.padEnd(22)} ${String(i.category ?? "-").padEnd(24)} ${String(i.session ?? "-").padEnd(14)} max ${String(i.maxScore).padEnd(5)} ${String(i.grades).padStart(4)} grades  ${i.endOfCourse ? "end of course  " : ""}${i.atSis ? `SIS r${i.atSis.revision ?? "-"}/${i.revision} ${i.atSis.lastOutcome}` : "not sent"}`,
            );
            return `${pc.bold(offering.code)} ${offering.name} (class ${offering.sisId ?? "-"})\n${lines.join("\n") || "  no grade items"}\n`;
          });
        }),
      );
    });

  const item = gradesCmd.command("item").description("add, edit or delete a grade item");
  item
    .command("add")
    .description("a new grade item: an SIS category and an academic session that is a parent of the course (seed 003)")
    .requiredOption("--course <course>", "course offering: SIS sourcedId, code or id")
    .requiredOption("--name <name>", "the grade item's name")
    .option("--category <category>", "category: SIS sourcedId, id or name (`grades categories --course …`)")
    .option("--session <session>", "academic session: sourcedId, code or id (a parent of the course)")
    .requiredOption("--max <n>", "maximum score", numberArg)
    .option("--min <n>", "minimum score", numberArg, 0)
    .option("--end-of-course", "send as an End of Course assignment")
    .option("--description <text>", "a description")
    .option("--assign-date <date>", "when it was assigned (default now)", instantArg)
    .option("--due-date <date>", "when it is due (default the assign date)", instantArg)
    .option("--by <name>", "who creates it (default $USER)")
    .addOption(lmsOption())
    .option("--json", "print JSON")
    .action(
      async (
        flags: StoreFlags & {
          course: string;
          name: string;
          category?: string;
          session?: string;
          max: number;
          min: number;
          endOfCourse?: boolean;
          description?: string;
          assignDate?: Date;
          dueDate?: Date;
          by?: string;
        },
      ) => {
        await withStore(flags, (store) =>
          guarded(async () => {
            const db = store.db;
            const offering = await findOffering(db, flags.course);
            const category = flags.category ? await findCategory(db, offering.id, flags.category) : undefined;
            const session = flags.session ? await findSession(db, offering.id, flags.session) : undefined;
            const row = await createGradeItem(
              db,
              {
                offeringId: offering.id,
                name: flags.name,
                categoryId: category?.id ?? null,
                sessionId: session?.id ?? null,
                maxScore: flags.max,
                minScore: flags.min,
                endOfCourse: flags.endOfCourse === true,
                description: flags.description ?? null,
                ...(flags.assignDate ? { assignDate: flags.assignDate } : {}),
                ...(flags.dueDate ? { dueDate: flags.dueDate } : {}),
                createdBy: flags.by ?? safeEnv().operator,
              },
              new Date(),
            );
            const warn =
              !category?.exportToSis || !session
                ? pc.yellow(
                    `  it will not be exported: ${!category?.exportToSis ? "it needs an SIS category" : "it needs an academic session"}\n`,
                  )
                : "";
            print(flags.json, row, () => `grade item ${row.id} "${row.name}" added to ${offering.code}\n${warn}`);
          }),
        );
      },
    );

  item
    .command("edit")
    .description("change a grade item (a change re-sends its line item and every one of its results)")
    .argument("<id>", "grade item id", wholeNumber)
    .option("--name <name>", "new name")
    .option("--category <category>", "category: SIS sourcedId, id or name")
    .option("--session <session>", "academic session: sourcedId, code or id")
    .option("--max <n>", "maximum score", numberArg)
    .option("--min <n>", "minimum score", numberArg)
    .option("--end-of-course", "send as an End of Course assignment")
    .option("--no-end-of-course", "not an End of Course assignment")
    .option("--due-date <date>", "when it is due", instantArg)
    .addOption(lmsOption())
    .option("--json", "print JSON")
    .action(
      async (
        id: number,
        flags: StoreFlags & {
          name?: string;
          category?: string;
          session?: string;
          max?: number;
          min?: number;
          endOfCourse?: boolean;
          dueDate?: Date;
        },
      ) => {
        await withStore(flags, (store) =>
          guarded(async () => {
            const db = store.db;
            const current = await getGradeItem(db, id);
            const patch: GradeItemPatch = {};
            if (flags.name !== undefined) {
              patch.name = flags.name;
            }
            if (flags.category !== undefined) {
              patch.categoryId = (await findCategory(db, current.offeringId, flags.category)).id;
            }
            if (flags.session !== undefined) {
              patch.sessionId = (await findSession(db, current.offeringId, flags.session)).id;
            }
            if (flags.max !== undefined) {
              patch.maxScore = flags.max;
            }
            if (flags.min !== undefined) {
              patch.minScore = flags.min;
            }
            if (flags.endOfCourse !== undefined) {
              patch.endOfCourse = flags.endOfCourse;
            }
            if (flags.dueDate !== undefined) {
              patch.dueDate = flags.dueDate;
            }
            const row = await updateGradeItem(db, id, patch, new Date());
            print(
              flags.json,
              row,
              () =>
                `grade item ${id} ${row.revision === current.revision ? "unchanged" : `changed (revision ${row.revision})`}\n`,
            );
          }),
        );
      },
    );

  item
    .command("delete")
    .description("delete a grade item (the SIS is sent a DELETE of its line item on the next export)")
    .argument("<id>", "grade item id", wholeNumber)
    .addOption(lmsOption())
    .action(async (id: number, flags: StoreFlags) => {
      await withStore(flags, (store) =>
        guarded(async () => {
          await deleteGradeItem(store.db, id, new Date());
          process.stdout.write(`grade item ${id} deleted\n`);
        }),
      );
    });

  gradesCmd
    .command("category")
    .description("a course's own grade categories")
    .command("add")
    .description("add a course's own grade category (never exported: export to SIS is off)")
    .requiredOption("--course <course>", "course offering: SIS sourcedId, code or id")
    .requiredOption("--name <name>", "the category's name")
    .addOption(lmsOption())
    .action(async (flags: StoreFlags & { course: string; name: string }) => {
      await withStore(flags, (store) =>
        guarded(async () => {
          const offering = await findOffering(store.db, flags.course);
          const row = await createCourseCategory(store.db, offering.id, flags.name, new Date());
          process.stdout.write(`category ${row.id} "${row.name}" added to ${offering.code} (course only)\n`);
        }),
      );
    });

  gradesCmd
    .command("enter")
    .description("enter or change a student's grade on a grade item")
    .requiredOption("--item <id>", "grade item id", wholeNumber)
    .requiredOption("--student <student>", "student: SIS sourcedId, username, OrgDefinedId or id")
    .addOption(
      new Option("--status <scoreStatus>", "OneRoster scoreStatus (only fully graded and exempt are sent)")
        .choices(["fully graded", "exempt", "partially graded", "submitted", "not submitted"])
        .default("fully graded"),
    )
    .option("--score <n>", "the score", numberArg)
    .option("--comment <text>", "a comment for the student")
    .option("--by <name>", "who grades (default $USER)")
    .addOption(lmsOption())
    .option("--json", "print JSON")
    .action(
      async (
        flags: StoreFlags & {
          item: number;
          student: string;
          status: string;
          score?: number;
          comment?: string;
          by?: string;
        },
      ) => {
        await withStore(flags, (store) =>
          guarded(async () => {
            const user = await findUser(store.db, flags.student);
            const row = await setGrade(
              store.db,
              {
                gradeItemId: flags.item,
                userId: user.id,
                scoreStatus: flags.status,
                score: flags.score ?? null,
                comment: flags.comment ?? null,
                gradedBy: flags.by ?? safeEnv().operator,
              },
              new Date(),
            );
            print(flags.json, row, () => `grade ${row.id}: ${user.username} ${row.scoreStatus} ${row.score ?? ""}\n`);
          }),
        );
      },
    );

  gradesCmd
    .command("clear")
    .description("clear a student's grade (the SIS is sent a DELETE of the result on the next export)")
    .requiredOption("--item <id>", "grade item id", wholeNumber)
    .requiredOption("--student <student>", "student: SIS sourcedId, username, OrgDefinedId or id")
    .addOption(lmsOption())
    .action(async (flags: StoreFlags & { item: number; student: string }) => {
      await withStore(flags, (store) =>
        guarded(async () => {
          const user = await findUser(store.db, flags.student);
          const cleared = await clearGrade(store.db, flags.item, user.id, new Date());
          process.stdout.write(cleared ? "grade cleared\n" : "no grade to clear\n");
        }),
      );
    });

  gradesCmd
    .command("simulate")
    .description("simulated teachers: round 0 builds gradebooks in a few courses, later rounds revise them")
    .option("--round <n>", "0 builds, 1+ revise", wholeNumber, 0)
    .option("--courses <n>", "courses that get a gradebook in round 0", wholeNumber, 8)
    .option("--seed <n>", "random seed", wholeNumber, 1)
    .addOption(lmsOption())
    .option("--json", "print JSON")
    .action(async (flags: StoreFlags & { round: number; courses: number; seed: number }) => {
      await withStore(flags, (store) =>
        guarded(async () => {
          const s = await simulateTeachers(store.db, {
            seed: flags.seed,
            round: flags.round,
            courses: flags.courses,
            now: new Date(),
          });
          print(
            flags.json,
            s,
            () =>
              `round ${s.round}: ${s.teachers.length} teachers in ${s.courses.length} courses; grade items ${s.gradeItems.created} new, ${s.gradeItems.changed} changed, ${s.gradeItems.deleted} deleted; grades ${s.grades.entered} entered, ${s.grades.changed} changed, ${s.grades.cleared} cleared\n`,
          );
        }),
      );
    });

  addConnectionOptions(
    gradesCmd
      .command("export")
      .description("Export to SIS (seed 003): the overview first, then line items and results, progress and a summary")
      .requiredOption("--course <course>", "course offering: SIS sourcedId, code or id")
      .option("--section <section>", "only the students of this section")
      .option("--session <session>", "only grade items of this academic session")
      .option("--dry-run", "show the overview and what would be sent; send nothing")
      .option("--by <name>", "who exports (default $USER)"),
  )
    .addOption(lmsOption())
    .option("--json", "print the result as JSON (no progress output)")
    .action(
      async (
        flags: ConnectionFlags & { course: string; section?: string; session?: string; dryRun?: boolean; by?: string },
      ) => {
        const { connection, settings } = resolveConnection(flags);
        const progress = flags.json ? undefined : createGradeProgress();
        await withStore(flags, (store) =>
          guarded(async () => {
            const result = await exportCourseGrades({
              store,
              connection,
              settings,
              course: flags.course,
              ...(flags.section ? { section: flags.section } : {}),
              ...(flags.session ? { session: flags.session } : {}),
              ...(flags.dryRun ? { dryRun: true } : {}),
              startedBy: flags.by ?? safeEnv().operator,
              ...(progress ? { onEvent: progress.onEvent } : {}),
            }).finally(() => progress?.stop());
            if (flags.json) {
              process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
            } else {
              process.stdout.write(
                formatCourseExport(result, process.stdout.isTTY === true, { overview: progress === undefined }),
              );
              if (result.exportId !== undefined) {
                const shown = await showExport(store.db, result.exportId, { failuresOnly: true, limit: 10 });
                for (const f of shown?.items ?? []) {
                  process.stdout.write(formatFailure(f));
                }
              }
            }
            process.exitCode =
              result.status === "failed"
                ? GRADES_EXIT.failed
                : result.status === "completed_with_errors"
                  ? GRADES_EXIT.partial
                  : GRADES_EXIT.ok;
          }),
        );
      },
    );

  gradesCmd
    .command("history")
    .description("View All Exports: who sent grades and when, per course (the service user for scheduled exports)")
    .option("--course <course>", "one course offering: SIS sourcedId, code or id")
    .option("--limit <n>", "how many", wholeNumber, 20)
    .addOption(lmsOption())
    .option("--json", "print JSON")
    .action(async (flags: StoreFlags & { course?: string; limit: number }) => {
      await withStore(flags, (store) =>
        guarded(async () => {
          const offeringId = flags.course ? (await findOffering(store.db, flags.course)).id : undefined;
          const rows = await listExports(store.db, {
            ...(offeringId !== undefined ? { offeringId } : {}),
            limit: flags.limit,
          });
          print(flags.json, rows, () => {
            if (rows.length === 0) {
              return "no exports yet\n";
            }
            return `${rows
              .map((r) => {
                const c = r.counts ?? {};
                const ok = (k: string) => `${c[k]?.success ?? 0}/${(c[k]?.success ?? 0) + (c[k]?.failure ?? 0)}`;
                return `${String(r.id).padStart(5)}  ${r.startedAt}  ${r.offering.padEnd(22)} ${r.trigger.padEnd(9)} ${r.startedBy.padEnd(16)} ${r.status.replace(/_/g, " ").padEnd(22)} line items ${ok("lineItems")}, results ${ok("results")}`;
              })
              .join("\n")}\n`;
          });
        }),
      );
    });

  gradesCmd
    .command("show")
    .description("one export: course, start and end, who started it, and each category, grade item and result")
    .argument("<export>", "export id", wholeNumber)
    .option("--failures", "only what failed")
    .option("--limit <n>", "rows to list", wholeNumber, 200)
    .addOption(lmsOption())
    .option("--json", "print JSON")
    .action(async (id: number, flags: StoreFlags & { failures?: boolean; limit: number }) => {
      await withStore(flags, (store) =>
        guarded(async () => {
          const shown = await showExport(store.db, id, {
            ...(flags.failures ? { failuresOnly: true } : {}),
            limit: flags.limit,
          });
          if (!shown) {
            fail(`there is no export ${id}; \`rosterlab grades history\` lists them`);
          }
          print(flags.json, shown, () => {
            const e = shown.export;
            const head = `${pc.bold(`export ${e.id}`)} ${e.offering} (${e.offeringName}, class ${e.classSourcedId ?? "-"})\n  ${e.trigger.replace("_", " ")} by ${e.startedBy}, ${e.startedAt} → ${e.finishedAt ?? "unfinished"}: ${e.status.replace(/_/g, " ")}\n`;
            const lines = shown.items.map(
              (i) =>
                `  ${i.outcome === "success" ? pc.green("ok  ") : pc.red("FAIL")} ${i.kind.padEnd(8)} ${i.sourcedId.padEnd(40)} ${i.reason}${i.httpStatus ? ` ${i.httpStatus}` : ""}${i.outcome === "failure" ? `  ${i.message ?? ""}` : ""}`,
            );
            return `${head}${lines.join("\n")}\n`;
          });
        }),
      );
    });
  return gradesCmd;
}
