// Gradebook writes (notes §7): upsert and delete of categories, line items and results. Each verb is one
// transaction; references are checked inside it so no write leaves a dangling row. Never imports hono.
import { and, eq, sql } from "drizzle-orm";
import type { CategoryInput, LineItemInput, ResultInput } from "../../oneroster/index.js";
import type { Db } from "../db/client.js";
import { academicSessions, categories, classes, lineItems, results, users } from "../db/schema.js";
import { ApiError } from "../errors.js";

export type GradebookKind = "category" | "lineItem" | "result";
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

const TABLES = { category: categories, lineItem: lineItems, result: results } as const;

/** A date or date-time from a PUT body → Date; a date-only value is midnight UTC. */
function toInstant(value: string): Date {
  return new Date(value.length === 10 ? `${value}T00:00:00.000Z` : value);
}

async function hasRows(query: Promise<unknown[]>): Promise<boolean> {
  return (await query).length > 0;
}

/** Locks the row if present; `created` is true when the id is new or was deleted (absent for clients). */
async function lockExisting(tx: Tx, kind: GradebookKind, id: string): Promise<{ created: boolean }> {
  const table = TABLES[kind];
  const rows = await tx.select({ deleted: table.deleted }).from(table).where(eq(table.sourcedId, id)).for("update");
  return { created: rows.length === 0 || rows[0]?.deleted === true };
}

/** A 422 whose description starts with the JSON path of the bad field, so a client can show which one. */
const refMissing = (field: string, what: string, id: string) =>
  new ApiError("unprocessable", `${field}: ${what} '${id}' does not exist; create it first or fix the reference`);

export async function upsertCategory(
  db: Db,
  id: string,
  input: CategoryInput,
  now: Date,
): Promise<{ created: boolean }> {
  return db.transaction(async (tx) => {
    const { created } = await lockExisting(tx, "category", id);
    const values = {
      title: input.title,
      status: input.status ?? "active",
      metadata: input.metadata ?? null,
      dateLastModified: now,
      deleted: false,
    };
    await tx
      .insert(categories)
      .values({ sourcedId: id, ...values })
      .onConflictDoUpdate({ target: categories.sourcedId, set: values });
    return { created };
  });
}

export async function upsertLineItem(
  db: Db,
  id: string,
  input: LineItemInput,
  now: Date,
): Promise<{ created: boolean }> {
  return db.transaction(async (tx) => {
    const classId = input.class.sourcedId;
    const [klass] = await tx
      .select({ termIds: classes.termIds })
      .from(classes)
      .where(eq(classes.sourcedId, classId))
      .limit(1);
    if (!klass) {
      throw refMissing("lineItem.class.sourcedId", "class", classId);
    }
    const categoryId = input.category?.sourcedId;
    if (
      categoryId !== undefined &&
      !(await hasRows(
        tx
          .select({ id: categories.sourcedId })
          .from(categories)
          .where(and(eq(categories.sourcedId, categoryId), eq(categories.deleted, false)))
          .limit(1),
      ))
    ) {
      throw refMissing("lineItem.category.sourcedId", "category", categoryId);
    }
    const gradingPeriodId = input.gradingPeriod?.sourcedId;
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
    }
    const { created } = await lockExisting(tx, "lineItem", id);
    const values = {
      title: input.title,
      description: input.description ?? null,
      status: input.status ?? "active",
      metadata: input.metadata ?? null,
      assignDate: toInstant(input.assignDate),
      dueDate: toInstant(input.dueDate),
      classId,
      categoryId: categoryId ?? null,
      gradingPeriodId: gradingPeriodId ?? null,
      resultValueMin: input.resultValueMin,
      resultValueMax: input.resultValueMax,
      dateLastModified: now,
      deleted: false,
    };
    await tx
      .insert(lineItems)
      .values({ sourcedId: id, ...values })
      .onConflictDoUpdate({ target: lineItems.sourcedId, set: values });
    return { created };
  });
}

export async function upsertResult(db: Db, id: string, input: ResultInput, now: Date): Promise<{ created: boolean }> {
  return db.transaction(async (tx) => {
    const lineItemId = input.lineItem.sourcedId;
    if (
      !(await hasRows(
        tx
          .select({ id: lineItems.sourcedId })
          .from(lineItems)
          .where(and(eq(lineItems.sourcedId, lineItemId), eq(lineItems.deleted, false)))
          .limit(1),
      ))
    ) {
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
    const { created } = await lockExisting(tx, "result", id);
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
      dateLastModified: now,
      deleted: false,
    };
    await tx
      .insert(results)
      .values({ sourcedId: id, ...values })
      .onConflictDoUpdate({ target: results.sourcedId, set: values });
    return { created };
  });
}

/**
 * Deletes a gradebook object (notes §7.2): by default a soft delete (tombstone with a fresh dateLastModified,
 * hidden from ordinary reads); `hard` removes the row. Cascades: a line item's results are deleted with it; a
 * category's line items lose their category reference. Returns false when there was nothing to delete.
 */
export async function deleteGradebookObject(
  db: Db,
  kind: GradebookKind,
  id: string,
  now: Date,
  hard: boolean,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const table = TABLES[kind];
    const live = and(eq(table.sourcedId, id), eq(table.deleted, false));
    const found = await tx.select({ id: table.sourcedId }).from(table).where(live).for("update");
    if (found.length === 0) {
      return false;
    }
    const tombstone = { status: "tobedeleted", deleted: true, dateLastModified: now };
    if (kind === "lineItem") {
      const childResults = and(eq(results.lineItemId, id), eq(results.deleted, false));
      if (hard) {
        await tx.delete(results).where(eq(results.lineItemId, id));
      } else {
        await tx.update(results).set(tombstone).where(childResults);
      }
    }
    if (kind === "category") {
      await tx.update(lineItems).set({ categoryId: null, dateLastModified: now }).where(eq(lineItems.categoryId, id));
    }
    if (hard) {
      await tx.delete(table).where(eq(table.sourcedId, id));
    } else {
      await tx.update(table).set(tombstone).where(live);
    }
    return true;
  });
}

/** True when a live (not deleted) gradebook object exists. */
export async function gradebookObjectExists(db: Db, kind: GradebookKind, id: string): Promise<boolean> {
  const table = TABLES[kind];
  const rows = await db
    .select({ one: sql`1` })
    .from(table)
    .where(and(eq(table.sourcedId, id), eq(table.deleted, false)))
    .limit(1);
  return rows.length > 0;
}
