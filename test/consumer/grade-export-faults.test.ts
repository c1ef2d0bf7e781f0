// A grade export against a provider that faults mid-export (a real proxy in front of it answering 5xx, 429 with
// Retry-After, or losing the answer after the write): the client kit retries (notes §5.1), every result reaches the
// provider exactly once, the history has exactly one row per item, and what still failed is retried next run.

import { eq } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { refreshCategories } from "../../consumer/grades/categories.js";
import { exportCourseGrades, runScheduledGradeExport } from "../../consumer/grades/export.js";
import {
  createGradeItem,
  learnersOf,
  type OfferingRow,
  sessionChoices,
  setGrade,
} from "../../consumer/grades/gradebook.js";
import { showExport } from "../../consumer/grades/history.js";
import { gradeCategories, orgUnits } from "../../consumer/store/schema.js";
import { OneRosterClient } from "../../oneroster/client/index.js";
import { describePrimaryDb } from "../support/each-db.js";
import { useSyncedLms } from "../support/synced-lms.js";

describePrimaryDb("grade export through a faulting provider", (kind) => {
  const lms = useSyncedLms(kind, { faultProxy: true });
  const courses: OfferingRow[] = [];
  const sleeps: number[] = [];

  beforeAll(async () => {
    const db = lms.store.db;
    await refreshCategories(db, new OneRosterClient(lms.connection), { now: lms.now() });
    const [category] = await db.select().from(gradeCategories).where(eq(gradeCategories.source, "sis"));
    for (const o of await db.select().from(orgUnits).where(eq(orgUnits.kind, "offering")).orderBy(orgUnits.sisId)) {
      const learners = [...(await learnersOf(db, o.id))];
      const [session] = await sessionChoices(db, o.id);
      if (learners.length < 2 || !session || courses.length >= 4) {
        continue;
      }
      courses.push(o);
      for (const name of ["Quiz", "Test"]) {
        const item = await createGradeItem(
          db,
          {
            offeringId: o.id,
            name,
            categoryId: category?.id ?? null,
            sessionId: session.id,
            maxScore: 10,
            createdBy: "t",
          },
          lms.now(),
        );
        for (const userId of learners) {
          await setGrade(
            db,
            { gradeItemId: item.id, userId, scoreStatus: "fully graded", score: 7, gradedBy: "t" },
            lms.now(),
          );
        }
      }
    }
    expect(courses).toHaveLength(4);
  });
  /** The consumer (which reaches the provider through the proxy), a recording sleep, small backoffs: no waiting. */
  const viaProxy = () => ({
    store: lms.store,
    connection: lms.connection,
    settings: { ...lms.settings, fetch: { ...lms.settings.fetch, retries: 3 } },
    now: lms.now,
    client: {
      minRetryDelayMs: 1,
      maxRetryDelayMs: 2,
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
    },
  });

  const resultsAtProvider = async (classId: string) =>
    ((await lms.sp.api(`/classes/${classId}/results?limit=1000`)).body.results as { sourcedId: string }[]).map(
      (r) => r.sourcedId,
    );

  it("retries 5xx bursts, 429 with Retry-After and lost answers, sending each result exactly once", async () => {
    let resultPuts = 0;
    let linePuts = 0;
    lms.setFaultRule((r) => {
      if (r.method !== "PUT") {
        return undefined;
      }
      if (r.path.startsWith("/ims/oneroster/v1p1/lineItems/") && r.seen === 0 && linePuts++ === 1) {
        return { kind: "answer", status: 500 };
      }
      if (!r.path.startsWith("/ims/oneroster/v1p1/results/") || r.seen > 1) {
        return undefined;
      }
      if (r.seen === 0) {
        resultPuts++;
      }
      // The 2nd result: a burst of two 503s; the 4th: 429 asking for 2 s; the 6th: written, answer lost.
      if (resultPuts === 2) {
        return { kind: "answer", status: 503 };
      }
      if (resultPuts === 4 && r.seen === 0) {
        return { kind: "answer", status: 429, retryAfter: "2" };
      }
      if (resultPuts === 6 && r.seen === 0) {
        return { kind: "lose-answer", status: 503 };
      }
      return undefined;
    });
    const run = await runScheduledGradeExport(viaProxy());
    lms.setFaultRule(() => undefined);
    const mine = run.courses.filter((c) => courses.some((o) => o.sisId === c.classSourcedId));
    expect(mine).toHaveLength(4);
    expect(mine.every((c) => c.status === "completed")).toBe(true);
    expect(lms.proxy.faults.map((f) => `${f.kind}:${f.status}`)).toEqual(
      expect.arrayContaining(["answer:500", "answer:503", "answer:503", "answer:429", "lose-answer:503"]),
    );
    expect(sleeps).toContain(2000); // Retry-After honoured (RFC 9110 §10.2.3)

    for (const c of mine) {
      const shown = await showExport(lms.store.db, c.exportId as number);
      const items = shown?.items ?? [];
      // Exactly one history row per line item and per result, all successes.
      const ids = items.filter((i) => i.kind !== "category").map((i) => i.sourcedId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(items.every((i) => i.outcome === "success")).toBe(true);
      const atProvider = await resultsAtProvider(c.classSourcedId);
      const sent = items.filter((i) => i.kind === "result").map((i) => i.sourcedId);
      expect(atProvider.filter((id) => sent.includes(id)).sort()).toEqual([...sent].sort());
      expect(new Set(atProvider).size).toBe(atProvider.length);
    }
    // The lost answer's result reached the provider twice (a retried PUT), and is there once.
    const lost = lms.proxy.faults.find((f) => f.kind === "lose-answer");
    expect(lms.proxy.forwarded.filter((f) => f.path === lost?.path)).toHaveLength(2);
  });

  it("fails an item whose retries run out, finishes the rest, and sends it on the next run", async () => {
    const db = lms.store.db;
    const course = courses[0] as OfferingRow;
    const [session] = await sessionChoices(db, course.id);
    const [category] = await db.select().from(gradeCategories).where(eq(gradeCategories.source, "sis"));
    const learners = [...(await learnersOf(db, course.id))].sort((a, b) => a - b);
    const item = await createGradeItem(
      db,
      {
        offeringId: course.id,
        name: "Retry me",
        categoryId: category?.id ?? null,
        sessionId: session?.id ?? null,
        maxScore: 5,
        createdBy: "t",
      },
      lms.now(),
    );
    for (const userId of learners) {
      await setGrade(db, { gradeItemId: item.id, userId, scoreStatus: "exempt", gradedBy: "t" }, lms.now());
    }
    // Every attempt at one of its results answers 503: the client gives up after its retries.
    let first: string | undefined;
    lms.setFaultRule((r) => {
      if (r.method !== "PUT" || !r.path.includes(`/results/gi-${item.id}_`)) {
        return undefined;
      }
      first ??= r.path;
      return r.path === first ? { kind: "answer", status: 503 } : undefined;
    });
    const broken = await exportCourseGrades({ ...viaProxy(), course: course.sisId as string });
    lms.setFaultRule(() => undefined);
    expect(broken.status).toBe("completed_with_errors");
    expect(broken.counts.results).toEqual({ success: learners.length - 1, failure: 1 });
    const failed = (await showExport(db, broken.exportId as number, { failuresOnly: true }))?.items ?? [];
    expect(failed).toEqual([expect.objectContaining({ kind: "result", httpStatus: 503, reason: "never sent" })]);
    expect(lms.proxy.faults.filter((f) => f.path === first)).toHaveLength(4); // the first attempt and 3 retries

    const retried = await exportCourseGrades({ ...viaProxy(), course: course.sisId as string });
    expect(retried.status).toBe("completed");
    const rows = (await showExport(db, retried.exportId as number))?.items ?? [];
    expect(rows.map((r) => `${r.kind}:${r.reason}:${r.outcome}`)).toEqual(["result:failed last time:success"]);
    const atProvider = await resultsAtProvider(course.sisId as string);
    expect(atProvider.filter((id) => id.startsWith(`gi-${item.id}_`))).toHaveLength(learners.length);
  });
});
