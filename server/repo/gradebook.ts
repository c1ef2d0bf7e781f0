// Gradebook writes (notes §7): upsert and delete of categories, line items and results, each one transaction that is
// safe under any interleaving on Postgres: exactly one writer creates a new id, and a child is never left live
// under a deleted parent. Every transaction takes its stamp last (takeStamp). Never imports hono.
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { CategoryInput, LineItemInput, ResultInput } from "../../oneroster/index.js";
import { parseInstant } from "../../oneroster/index.js";
import { type Db, isRetryableConflict, stampExpression, type Tx, takeStamp } from "../db/client.js";
import { academicSessions, categories, classes, lineItems, results, users } from "../db/schema.js";
import { ApiError } from "../errors.js";

export type GradebookKind = "category" | "lineItem" | "result";
export type { Tx };

const TABLES = { category: categories, lineItem: lineItems, result: results } as const;

/**
 * The category a line item gets when its PUT names none (notes §7.1 leniency; a served line item must carry one,
 * notes §2.11). The provider owns it: created on first need, revived if a client deleted it.
 */
export const DEFAULT_CATEGORY = { sourcedId: "rosterlab-uncategorized", title: "Uncategorized" } as const;

/** What a write did: whether it created the id, and the defaults it chose for fields the client left out. */
export interface WriteOutcome {
  created: boolean;
  /** One sentence per defaulted field, for the warning the PUT answers with. */
  defaulted: string[];
}

/** A 422 whose description starts with the JSON path of the bad field, so a client can show which one. */
const refMissing = (field: string, what: string, id: string) =>
  new ApiError("unprocessable", `${field}: ${what} '${id}' does not exist; create it first or fix the reference`);

/**
 * Makes `id` exist and locks it for this transaction. A new id is inserted with `values` (ON CONFLICT DO NOTHING
 * waits for a concurrent inserter of the same id and then yields to it); an existing row is locked FOR UPDATE.
 * `created` is true when the id is new or was deleted (absent for clients), so exactly one of any number of
 * concurrent PUTs of a new id is told 201.
 */
async function claimRow(
  tx: Tx,
  kind: GradebookKind,
  id: string,
  values: Record<string, unknown>,
): Promise<{ created: boolean }> {
  const table = TABLES[kind];
  const inserted = await tx
    .insert(table)
    // biome-ignore lint/suspicious/noExplicitAny: one insert for three tables; values match the table by construction
    .values({ ...values, sourcedId: id } as any)
    .onConflictDoNothing({ target: table.sourcedId })
    .returning({ id: table.sourcedId });
  if (inserted.length > 0) {
    return { created: true };
  }
  const [row] = await tx.select({ deleted: table.deleted }).from(table).where(eq(table.sourcedId, id)).for("update");
  return { created: row?.deleted === true };
}

/** Locks a live parent row against a concurrent DELETE until commit (FOR SHARE); false when there is none. */
async function lockLiveParent(tx: Tx, kind: "category" | "lineItem", id: string): Promise<boolean> {
  const table = TABLES[kind];
  const rows = await tx
    .select({ id: table.sourcedId })
    .from(table)
    .where(and(eq(table.sourcedId, id), eq(table.deleted, false)))
    .for("share");
  return rows.length > 0;
}

/**
 * The default category, live and locked FOR SHARE; inserted or revived when needed. Returns whether this
 * transaction wrote it (its stamp is then set with the rest).
 */
async function defaultCategory(tx: Tx, provisional: Date): Promise<{ id: string; written: boolean }> {
  const id = DEFAULT_CATEGORY.sourcedId;
  const inserted = await tx
    .insert(categories)
    .values({ sourcedId: id, title: DEFAULT_CATEGORY.title, status: "active", dateLastModified: provisional })
    .onConflictDoNothing({ target: categories.sourcedId })
    .returning({ id: categories.sourcedId });
  if (inserted.length > 0 || (await lockLiveParent(tx, "category", id))) {
    return { id, written: inserted.length > 0 };
  }
  // A client deleted it: revive it (a FOR UPDATE lock, since this transaction writes it).
  await tx.select({ id: categories.sourcedId }).from(categories).where(eq(categories.sourcedId, id)).for("update");
  await tx
    .update(categories)
    .set({ status: "active", deleted: false, title: DEFAULT_CATEGORY.title })
    .where(eq(categories.sourcedId, id));
  return { id, written: true };
}

/**
 * The grading period a line item without one gets: the one containing its due date, preferring the class's own
 * terms; else the nearest one of those terms. None at all is a 422 naming the field.
 */
async function defaultGradingPeriod(
  tx: Tx,
  classTermIds: string[],
  dueDate: Date,
): Promise<{ id: string; title: string; contains: boolean }> {
  const due = dueDate.toISOString().slice(0, 10);
  const s = academicSessions;
  const contains = sql<boolean>`(${s.startDate} <= ${due}::date and ${due}::date <= ${s.endDate})`;
  const ofClass =
    classTermIds.length > 0
      ? sql<boolean>`coalesce(${s.parentId} in (${sql.join(
          classTermIds.map((t) => sql`${t}`),
          sql`, `,
        )}), false)`
      : sql<boolean>`false`;
  const [gp] = await tx
    .select({ id: s.sourcedId, title: s.title, contains })
    .from(s)
    .where(and(eq(s.type, "gradingPeriod"), eq(s.status, "active")))
    .orderBy(
      sql`${contains} desc`,
      sql`${ofClass} desc`,
      sql`least(abs(${due}::date - ${s.startDate}), abs(${due}::date - ${s.endDate}))`,
      asc(s.sourcedId),
    )
    .limit(1);
  if (!gp) {
    throw new ApiError(
      "unprocessable",
      "lineItem.gradingPeriod is required and the district has no grading period to default to; send one",
    );
  }
  return gp;
}

/**
 * Runs one write transaction, again (up to three times) when Postgres aborts it to break a deadlock: the lock
 * orders above (parent before child, stamp last) avoid them, except around reviving a deleted default category.
 */
async function write<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (error) {
      if (attempt >= 3 || !isRetryableConflict(error)) {
        throw error;
      }
    }
  }
}

export async function upsertCategory(db: Db, id: string, input: CategoryInput, now: () => Date): Promise<WriteOutcome> {
  return write(db, async (tx) => {
    const values = {
      title: input.title,
      status: input.status ?? "active",
      metadata: input.metadata ?? null,
      deleted: false,
    };
    const { created } = await claimRow(tx, "category", id, { ...values, dateLastModified: now() });
    await tx
      .update(categories)
      .set({ ...values, dateLastModified: stampExpression(now()) })
      .where(eq(categories.sourcedId, id));
    return { created, defaulted: [] };
  });
}

export async function upsertLineItem(db: Db, id: string, input: LineItemInput, now: () => Date): Promise<WriteOutcome> {
  return write(db, async (tx) => {
    const defaulted: string[] = [];
    const classId = input.class.sourcedId;
    const [klass] = await tx
      .select({ termIds: classes.termIds })
      .from(classes)
      .where(eq(classes.sourcedId, classId))
      .limit(1);
    if (!klass) {
      throw refMissing("lineItem.class.sourcedId", "class", classId);
    }
    const assignDate = parseInstant(input.assignDate) as Date;
    const dueDate = parseInstant(input.dueDate) as Date;

    let categoryId = input.category?.sourcedId;
    let defaultCategoryWritten = false;
    if (categoryId !== undefined) {
      if (!(await lockLiveParent(tx, "category", categoryId))) {
        throw refMissing("lineItem.category.sourcedId", "category", categoryId);
      }
    } else {
      const fallback = await defaultCategory(tx, now());
      categoryId = fallback.id;
      defaultCategoryWritten = fallback.written;
      defaulted.push(
        `lineItem.category was not sent: assigned the default category '${fallback.id}' (${DEFAULT_CATEGORY.title})`,
      );
    }

    let gradingPeriodId = input.gradingPeriod?.sourcedId;
    if (gradingPeriodId !== undefined) {
      const [period] = await tx
        .select({ parentId: academicSessions.parentId })
        .from(academicSessions)
        .where(eq(academicSessions.sourcedId, gradingPeriodId))
        .limit(1);
      if (!period) {
        throw refMissing("lineItem.gradingPeriod.sourcedId", "gradingPeriod", gradingPeriodId);
      }
      // A line item is graded within its class's sessions: one of the class's terms or a grading period of one.
      const terms = klass.termIds;
      if (!terms.includes(gradingPeriodId) && !(period.parentId !== null && terms.includes(period.parentId))) {
        throw new ApiError(
          "unprocessable",
          `lineItem.gradingPeriod.sourcedId: academicSession '${gradingPeriodId}' is not a term of class '${classId}' (${terms.join(", ")}) nor a grading period of one`,
        );
      }
    } else {
      const gp = await defaultGradingPeriod(tx, klass.termIds, dueDate);
      gradingPeriodId = gp.id;
      defaulted.push(
        `lineItem.gradingPeriod was not sent: assigned '${gp.id}' (${gp.title}), ${
          gp.contains ? "the grading period containing the due date" : "the grading period nearest the due date"
        }`,
      );
    }

    const values = {
      title: input.title,
      description: input.description ?? null,
      status: input.status ?? "active",
      metadata: input.metadata ?? null,
      assignDate,
      dueDate,
      classId,
      categoryId,
      gradingPeriodId,
      resultValueMin: input.resultValueMin,
      resultValueMax: input.resultValueMax,
      deleted: false,
    };
    const { created } = await claimRow(tx, "lineItem", id, { ...values, dateLastModified: now() });
    const [written] = await tx
      .update(lineItems)
      .set({ ...values, dateLastModified: stampExpression(now()) })
      .where(eq(lineItems.sourcedId, id))
      .returning({ stamp: lineItems.dateLastModified });
    if (defaultCategoryWritten && written) {
      // Created or revived in this transaction, the default category is part of the same write.
      await tx
        .update(categories)
        .set({ dateLastModified: written.stamp })
        .where(eq(categories.sourcedId, DEFAULT_CATEGORY.sourcedId));
    }
    return { created, defaulted };
  });
}

export async function upsertResult(db: Db, id: string, input: ResultInput, now: () => Date): Promise<WriteOutcome> {
  return write(db, async (tx) => {
    const lineItemId = input.lineItem.sourcedId;
    // FOR SHARE: a concurrent DELETE of the line item either waits for this write (and then tombstones this
    // result with the rest) or has committed first (and this write sees no live line item).
    if (!(await lockLiveParent(tx, "lineItem", lineItemId))) {
      throw refMissing("result.lineItem.sourcedId", "lineItem", lineItemId);
    }
    const studentId = input.student.sourcedId;
    const student = await tx.select({ role: users.role }).from(users).where(eq(users.sourcedId, studentId)).limit(1);
    if (student.length === 0) {
      throw refMissing("result.student.sourcedId", "student", studentId);
    }
    if (student[0]?.role !== "student") {
      throw new ApiError(
        "unprocessable",
        `result.student.sourcedId: user '${studentId}' is a ${student[0]?.role}, not a student`,
      );
    }
    const values = {
      lineItemId,
      studentId,
      status: input.status ?? "active",
      metadata: input.metadata ?? null,
      scoreStatus: input.scoreStatus,
      score: input.score,
      // A date-time scoreDate (Google's suite sends one) keeps the date as written (notes §7.1).
      scoreDate: input.scoreDate.slice(0, 10),
      comment: input.comment ?? null,
      deleted: false,
    };
    const { created } = await claimRow(tx, "result", id, { ...values, dateLastModified: now() });
    await tx
      .update(results)
      .set({ ...values, dateLastModified: stampExpression(now()) })
      .where(eq(results.sourcedId, id));
    return { created, defaulted: [] };
  });
}

/**
 * Deletes a gradebook object (notes §7.2): by default a soft delete (tombstone with a fresh dateLastModified,
 * hidden from ordinary reads); `hard` removes the row. Cascades: a line item's results are tombstoned with it; a
 * category's live line items move to the default category (a line item must carry one, notes §2.11), so the
 * default category itself cannot be deleted while it holds line items (409). Children are locked before the stamp
 * is taken, and the parent's FOR UPDATE lock keeps new children out until commit. False when nothing was there.
 * `keepResults` implements the `delete-keeps-results` quirk: a line item's results are left as they were.
 */
export async function deleteGradebookObject(
  db: Db,
  kind: GradebookKind,
  id: string,
  now: () => Date,
  hard: boolean,
  opts: { keepResults?: boolean } = {},
): Promise<boolean> {
  return write(db, async (tx) => {
    const table = TABLES[kind];
    const live = and(eq(table.sourcedId, id), eq(table.deleted, false));
    const found = await tx.select({ id: table.sourcedId }).from(table).where(live).for("update");
    if (found.length === 0) {
      return false;
    }
    let childResults: string[] = [];
    let movedLineItems: string[] = [];
    let fallback: { id: string; written: boolean } | undefined;
    if (kind === "lineItem" && !opts.keepResults) {
      childResults = (
        await tx
          .select({ id: results.sourcedId })
          .from(results)
          .where(and(eq(results.lineItemId, id), eq(results.deleted, false)))
          .for("update")
      ).map((r) => r.id);
    }
    if (kind === "category") {
      movedLineItems = (
        await tx
          .select({ id: lineItems.sourcedId })
          .from(lineItems)
          .where(and(eq(lineItems.categoryId, id), eq(lineItems.deleted, false)))
          .for("update")
      ).map((r) => r.id);
      if (movedLineItems.length > 0) {
        if (id === DEFAULT_CATEGORY.sourcedId) {
          throw new ApiError(
            "conflict",
            `category '${id}' is the default category and holds ${movedLineItems.length} line item(s); move or delete them first`,
          );
        }
        fallback = await defaultCategory(tx, now());
      }
    }
    const stamp = await takeStamp(tx, now());
    const tombstone = { status: "tobedeleted", deleted: true, dateLastModified: stamp };
    if (childResults.length > 0) {
      const children = inArray(results.sourcedId, childResults);
      await (hard ? tx.delete(results).where(children) : tx.update(results).set(tombstone).where(children));
    }
    if (fallback) {
      if (fallback.written) {
        await tx.update(categories).set({ dateLastModified: stamp }).where(eq(categories.sourcedId, fallback.id));
      }
      await tx
        .update(lineItems)
        .set({ categoryId: fallback.id, dateLastModified: stamp })
        .where(inArray(lineItems.sourcedId, movedLineItems));
    }
    await (hard ? tx.delete(table).where(live) : tx.update(table).set(tombstone).where(live));
    return true;
  });
}

/**
 * Puts a gradebook object's dateLastModified back to an earlier value: only for the `put-keeps-dlm` quirk, which
 * imitates a provider whose updates do not move the stamp (so a delta read misses them).
 */
export async function restoreStamp(db: Db, kind: GradebookKind, id: string, stamp: Date): Promise<void> {
  const table = TABLES[kind];
  await db.update(table).set({ dateLastModified: stamp }).where(eq(table.sourcedId, id));
}
