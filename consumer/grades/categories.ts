// Grade categories retrieved from the SIS (seed 003 "Categories": created by the SIS, with Export to SIS selected):
// `GET /categories` for the district's list and `GET /classes/{id}/categories` for the ones a class uses, upserted
// into the gradebook's categories. A category the SIS stopped listing is marked deleted; its items stop exporting.
import { and, eq, inArray, isNotNull, notInArray } from "drizzle-orm";
import { checkRecord, type OneRosterClient, OneRosterClientError } from "../../oneroster/client/index.js";
import type { LmsDb } from "../store/open.js";
import { gradeCategories } from "../store/schema.js";

export interface CategoryRefresh {
  /** Categories the SIS listed (district list plus class lists). */
  listed: number;
  created: number;
  updated: number;
  /** SIS categories marked deleted because the complete district list no longer has them. */
  removed: number;
  /** Records that failed the v1p1 schema (skipped). */
  invalid: number;
  /** Class lists the SIS did not answer (unknown class, or no `/classes/{id}/categories` extension). */
  classListsMissing: number;
}

interface SisCategory {
  sourcedId: string;
  title: string;
}

async function readCategories(client: OneRosterClient, path: string, pageSize: number) {
  const out: SisCategory[] = [];
  let invalid = 0;
  for await (const page of client.pages({ path, envelope: "categories", pageSize })) {
    for (const raw of page.records) {
      const checked = checkRecord<SisCategory & { status: string }>(
        "category",
        (raw ?? {}) as Record<string, unknown>,
        { lenient: true },
      );
      if (checked.value && checked.value.status !== "tobedeleted") {
        out.push({ sourcedId: checked.value.sourcedId, title: checked.value.title });
      } else if (!checked.value) {
        invalid++;
      }
    }
  }
  return { categories: out, invalid };
}

/**
 * Reads the SIS's categories and upserts them. `classSourcedIds` adds the class lists (the categories each class
 * uses at the SIS); without `district: false` the district list is read too and is the one that can remove.
 */
export async function refreshCategories(
  db: LmsDb,
  client: OneRosterClient,
  options: { classSourcedIds?: string[]; district?: boolean; pageSize?: number; now: Date },
): Promise<CategoryRefresh> {
  const pageSize = options.pageSize ?? 1000;
  const listed = new Map<string, SisCategory>();
  let invalid = 0;
  let districtComplete = false;
  if (options.district !== false) {
    const read = await readCategories(client, "/categories", pageSize);
    invalid += read.invalid;
    for (const c of read.categories) {
      listed.set(c.sourcedId, c);
    }
    districtComplete = true;
  }
  let classListsMissing = 0;
  for (const classId of options.classSourcedIds ?? []) {
    let read: Awaited<ReturnType<typeof readCategories>>;
    try {
      read = await readCategories(client, `/classes/${encodeURIComponent(classId)}/categories`, pageSize);
    } catch (err) {
      // The class list is an extension (notes §1.3) and the class may be unknown to the SIS: the district list
      // still stands, and an unknown class shows up as the line item's own refusal.
      if (err instanceof OneRosterClientError && [404, 405, 501].includes(err.status ?? 0)) {
        classListsMissing++;
        continue;
      }
      throw err;
    }
    invalid += read.invalid;
    for (const c of read.categories) {
      listed.set(c.sourcedId, c);
    }
  }
  const ids = [...listed.keys()];
  const existing = ids.length ? await db.select().from(gradeCategories).where(inArray(gradeCategories.sisId, ids)) : [];
  const bySis = new Map(existing.map((e) => [e.sisId as string, e]));
  let created = 0;
  let updated = 0;
  let removed = 0;
  const now = options.now;
  await db.transaction(async (tx) => {
    for (const c of listed.values()) {
      const row = bySis.get(c.sourcedId);
      if (!row) {
        await tx.insert(gradeCategories).values({
          sisId: c.sourcedId,
          name: c.title,
          exportToSis: true,
          source: "sis",
          status: "active",
          createdAt: now,
          updatedAt: now,
        });
        created++;
      } else if (row.name !== c.title || row.status !== "active" || !row.exportToSis) {
        await tx
          .update(gradeCategories)
          .set({ name: c.title, status: "active", exportToSis: true, updatedAt: now })
          .where(eq(gradeCategories.id, row.id));
        updated++;
      }
    }
    // Only a complete, non-empty district list may remove (the same rule as missing records in a full sync).
    if (districtComplete && ids.length > 0) {
      const gone = await tx
        .update(gradeCategories)
        .set({ status: "deleted", updatedAt: now })
        .where(
          and(
            eq(gradeCategories.source, "sis"),
            eq(gradeCategories.status, "active"),
            isNotNull(gradeCategories.sisId),
            notInArray(gradeCategories.sisId, ids),
          ),
        )
        .returning({ id: gradeCategories.id });
      removed = gone.length;
    }
  });
  return { listed: listed.size, created, updated, removed, invalid, classListsMissing };
}
