// The export history (seed 003 "View All Exports" and an export's details): who started each export and when, the
// course, and per category, grade item and result whether the SIS accepted it, with its status payload. Reads only.
import { and, asc, desc, eq, inArray, type SQL } from "drizzle-orm";
import type { LmsDb } from "../store/open.js";
import { gradeExportItems, gradeExports, orgUnits } from "../store/schema.js";

export interface ExportSummaryRow {
  id: number;
  offering: string;
  offeringName: string;
  classSourcedId: string | null;
  trigger: string;
  startedBy: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  counts: Record<string, Record<string, number>> | null;
  message: string | null;
}

/** Recent exports, newest first; one course's when `offeringId` is given, one export's with `exportId`. */
export async function listExports(
  db: LmsDb,
  options: { offeringId?: number; exportId?: number; limit?: number } = {},
): Promise<ExportSummaryRow[]> {
  const where: SQL[] = [
    ...(options.offeringId !== undefined ? [eq(gradeExports.offeringId, options.offeringId)] : []),
    ...(options.exportId !== undefined ? [eq(gradeExports.id, options.exportId)] : []),
  ];
  const rows = await db
    .select()
    .from(gradeExports)
    .where(and(...where))
    .orderBy(desc(gradeExports.id))
    .limit(options.limit ?? 20);
  const units = rows.length
    ? await db
        .select({ id: orgUnits.id, code: orgUnits.code, name: orgUnits.name, sisId: orgUnits.sisId })
        .from(orgUnits)
        .where(
          inArray(
            orgUnits.id,
            rows.map((r) => r.offeringId),
          ),
        )
    : [];
  const byId = new Map(units.map((u) => [u.id, u]));
  return rows.map((r) => ({
    id: r.id,
    offering: byId.get(r.offeringId)?.code ?? String(r.offeringId),
    offeringName: byId.get(r.offeringId)?.name ?? "",
    classSourcedId: byId.get(r.offeringId)?.sisId ?? null,
    trigger: r.trigger,
    startedBy: r.startedBy,
    status: r.status,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
    counts: r.counts ?? null,
    message: r.message,
  }));
}

export type ExportItemRow = typeof gradeExportItems.$inferSelect;

/** One export with its detail rows in the order they were sent (only the failures with `failuresOnly`). */
export async function showExport(
  db: LmsDb,
  id: number,
  options: { failuresOnly?: boolean; limit?: number } = {},
): Promise<{ export: ExportSummaryRow; items: ExportItemRow[] } | undefined> {
  const [summary] = await listExports(db, { exportId: id });
  if (!summary) {
    return undefined;
  }
  const items = await db
    .select()
    .from(gradeExportItems)
    .where(
      and(
        eq(gradeExportItems.exportId, id),
        ...(options.failuresOnly ? [eq(gradeExportItems.outcome, "failure")] : []),
      ),
    )
    .orderBy(asc(gradeExportItems.id))
    .limit(options.limit ?? 10_000);
  return { export: summary, items };
}
