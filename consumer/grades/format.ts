// Text forms of grade exports, shared by `rosterlab grades`, `sync --grades` and the demo: the overview (seed 003:
// categories and grades that meet the criteria), a course export's summary, a failure with the provider's status
// payload, a scheduled export's summary, and the progress of an export on stderr.
import cliProgress from "cli-progress";
import pc from "picocolors";
import type { CourseExportResult, ExportOverview, GradeExportEvent, ScheduledExportReport } from "./export.js";

/** The overview block (seed 003): categories and grades meeting the criteria, then what is due now. */
export function formatOverview(o: ExportOverview, c: ReturnType<typeof pc.createColors>): string {
  const out = [
    `  overview: ${o.categories.length} ${o.categories.length === 1 ? "category" : "categories"}, ${o.gradeItems} grade items, ${o.grades} grades meet the criteria`,
    ...o.categories.map(
      (k) =>
        `    ${k.name.padEnd(24)} ${String(k.gradeItems).padStart(3)} items ${String(k.grades).padStart(5)} grades${k.atSis ? "" : c.yellow("  (gone from the SIS)")}`,
    ),
  ];
  const skipped = Object.entries(o.notExported);
  if (skipped.length > 0) {
    out.push(`  not exported: ${skipped.map(([why, n]) => `${n} × ${why}`).join("; ")}`);
  }
  out.push(
    `  to send now: ${o.toSend.lineItems} line items, ${o.toSend.results} results, ${o.toSend.deletes} deletions`,
  );
  return `${out.join("\n")}\n`;
}

/** A course export's summary; `overview: false` when progress output already showed the overview. */
export function formatCourseExport(
  r: CourseExportResult,
  color: boolean,
  options: { overview?: boolean } = {},
): string {
  const c = pc.createColors(color);
  const overview = options.overview === false ? "" : formatOverview(r.overview, c);
  const head = `${c.bold("Export to SIS")} ${r.offering} (${r.name}), class ${r.classSourcedId}\n`;
  if (r.status === "dry_run") {
    const p = r.preview;
    const sample = [...(p?.lineItems ?? []).slice(0, 5), ...(p?.results ?? []).slice(0, 5)]
      .map((x) => `    ${x.sourcedId}  (${x.reason})`)
      .join("\n");
    return `${head}${overview}${c.yellow("  dry run: nothing was sent")}\n${sample ? `${sample}\n` : ""}`;
  }
  const k = r.counts;
  const status =
    r.status === "completed"
      ? c.green("completed")
      : r.status === "failed"
        ? c.red("failed")
        : c.yellow("completed with errors");
  return `${head}${overview}export ${r.exportId ?? "-"} ${status}: categories ${k.categories.success} ok${k.categories.failure ? `, ${k.categories.failure} gone` : ""}; line items ${k.lineItems.success} sent, ${k.lineItems.failure} failed; results ${k.results.success} sent, ${k.results.failure} failed; ${k.deleted.success} deletions sent${k.deleted.failure ? `, ${k.deleted.failure} failed` : ""}${r.message ? `\n  ${r.message}` : ""}\n  details: rosterlab grades show ${r.exportId ?? ""}\n`;
}

export function formatFailure(i: {
  kind: string;
  sourcedId: string;
  httpStatus: number | null;
  providerStatus: Record<string, string> | null;
  message: string | null;
}): string {
  const p = i.providerStatus;
  const field = p?.field ? ` [${p.field}]` : "";
  return `  ${pc.red("failed")} ${i.kind} ${i.sourcedId}: ${i.httpStatus ?? "no answer"}${p?.codeMinor ? ` ${p.codeMinor}` : ""}${field} ${p?.description ?? i.message ?? ""}\n`;
}

/** Summary lines of a scheduled export (for `sync --grades`). */
export function formatScheduledExport(r: ScheduledExportReport, color: boolean): string {
  const c = pc.createColors(color);
  const t = r.totals;
  const out = [
    `${c.bold("grades")} exported by ${r.startedBy}: ${r.courses.length} course(s); line items ${t.lineItems.success} sent, ${t.lineItems.failure} failed; results ${t.results.success} sent, ${t.results.failure} failed; ${t.deleted.success} deletions`,
  ];
  if (r.categories) {
    out.push(
      `  categories from the SIS: ${r.categories.listed} (${r.categories.created} new, ${r.categories.removed} gone)`,
    );
  }
  for (const [why, n] of Object.entries(r.skipped)) {
    out.push(c.dim(`  ${n} course(s) with grade items not exported: ${why}`));
  }
  if (t.lineItems.failure + t.results.failure + t.deleted.failure > 0) {
    out.push(c.yellow("  failures are retried on the next run: rosterlab grades history"));
  }
  if (r.message) {
    out.push(`  ${r.message}`);
  }
  return `${out.join("\n")}\n`;
}

/** Progress of an export: a bar per phase on a terminal, a line per finished phase otherwise. */
export function createGradeProgress(mode: "course" | "scheduled" = "course"): {
  onEvent: (e: GradeExportEvent) => void;
  stop: () => void;
} {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let phase = "";
  return {
    onEvent(e) {
      if (e.type === "categories") {
        process.stderr.write(`  categories from the SIS: ${e.refresh.listed}\n`);
      } else if (e.type === "course" && mode === "scheduled") {
        bar?.stop();
        phase = "";
        const t = e.overview.toSend;
        process.stderr.write(
          `  ${e.offering}: ${t.lineItems} line items, ${t.results} results, ${t.deletes} deletions\n`,
        );
      } else if (e.type === "course") {
        process.stderr.write(`${e.offering} (${e.name})\n${formatOverview(e.overview, pc.createColors(tty))}`);
      } else if (e.type === "progress") {
        if (tty) {
          if (phase !== e.phase) {
            bar?.stop();
            bar = new cliProgress.SingleBar(
              { format: `  ${e.phase.padEnd(10)} [{bar}] {value}/{total}`, stream: process.stderr, hideCursor: true },
              cliProgress.Presets.shades_classic,
            );
            bar.start(e.total, 0);
            phase = e.phase;
          }
          bar?.update(e.done);
        } else if (e.done === e.total) {
          process.stderr.write(`  ${e.phase}: ${e.done} sent\n`);
        }
      } else if (e.type === "client" && e.event.type === "retry" && !tty) {
        process.stderr.write(`  retry: ${e.event.method} ${new URL(e.event.url).pathname} ${e.event.reason}\n`);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
