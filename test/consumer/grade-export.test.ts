// Grade export end to end (seed 003 "Grade Export", "How the grade sync works"): the real consumer pushes to the real
// provider and each rule is checked at its gradebook endpoints and in the history: courses, items, grades, sourcedIds,
// resends, DELETEs, filters, dry runs, scheduled runs as the service user, refusals whose payload names the field.
import { and, eq, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { refreshCategories } from "../../consumer/grades/categories.js";
import { exportCourseGrades, runScheduledGradeExport } from "../../consumer/grades/export.js";
import {
  clearGrade,
  createCourseCategory,
  createGradeItem,
  deleteGradeItem,
  type GradeItemRow,
  GradesError,
  learnersOf,
  type OfferingRow,
  sessionChoices,
  setGrade,
  updateGradeItem,
} from "../../consumer/grades/gradebook.js";
import { showExport } from "../../consumer/grades/history.js";
import { lineItemSourcedId, resultSourcedId } from "../../consumer/grades/rules.js";
import {
  enrollments,
  gradeCategories,
  gradeExportItems,
  gradeExports,
  orgUnitParents,
  orgUnits,
  users,
} from "../../consumer/store/schema.js";
import { OneRosterClient } from "../../oneroster/client/index.js";
import { LineItemSchema, ResultSchema } from "../../oneroster/index.js";
import { describeEachDb } from "../support/each-db.js";
import { useSyncedLms } from "../support/synced-lms.js";

describeEachDb("grade export to the provider", (kind) => {
  const lms = useSyncedLms(kind);
  const courses: OfferingRow[] = [];
  let sisCategories: { id: number; sisId: string }[] = [];

  beforeAll(async () => {
    const db = lms.store.db;
    const client = new OneRosterClient(lms.connection);
    await refreshCategories(db, client, { now: lms.now() });
    sisCategories = (await db.select().from(gradeCategories).where(eq(gradeCategories.source, "sis"))).map((c) => ({
      id: c.id,
      sisId: c.sisId as string,
    }));
    const offerings = await db.select().from(orgUnits).where(eq(orgUnits.kind, "offering")).orderBy(orgUnits.sisId);
    for (const o of offerings) {
      if ((await learnersOf(db, o.id)).size >= 2 && (await sessionChoices(db, o.id)).length > 0) {
        courses.push(o);
      }
    }
    expect(sisCategories.length).toBeGreaterThan(0);
    expect(courses.length).toBeGreaterThan(12);
  });

  let next = 0;
  /** Each test takes its own course, so tests own their data and never depend on each other's order. */
  const takeCourse = () => {
    const c = courses[next++];
    if (!c) {
      throw new Error("out of courses");
    }
    return c;
  };

  const base = () => ({ store: lms.store, connection: lms.connection, settings: lms.settings, now: lms.now });
  const api = (path: string) => lms.sp.api(path);

  /** A grade item in an SIS category and a parent term, graded for every student with the given statuses. */
  async function gradebook(
    course: OfferingRow,
    statuses: string[] = ["fully graded"],
    over: Partial<Parameters<typeof createGradeItem>[1]> = {},
  ): Promise<{ item: GradeItemRow; learners: { id: number; sisId: string }[] }> {
    const db = lms.store.db;
    const [session] = await sessionChoices(db, course.id);
    const item = await createGradeItem(
      db,
      {
        offeringId: course.id,
        name: "Essay",
        categoryId: (sisCategories[0] as { id: number }).id,
        sessionId: session?.id ?? null,
        maxScore: 20,
        createdBy: "teacher-1",
        ...over,
      },
      lms.now(),
    );
    const ids = [...(await learnersOf(db, course.id))].sort((a, b) => a - b);
    const rows = await db.select({ id: users.id, sisId: users.sisId }).from(users).where(inArray(users.id, ids));
    const learners = ids.map((id) => ({ id, sisId: rows.find((r) => r.id === id)?.sisId as string }));
    for (const [i, l] of learners.entries()) {
      const status = statuses[i % statuses.length] as string;
      await setGrade(
        db,
        {
          gradeItemId: item.id,
          userId: l.id,
          scoreStatus: status,
          score: status === "fully graded" ? 15 + i : null,
          comment: i === 0 ? "Well argued." : null,
          gradedBy: "teacher-1",
        },
        lms.now(),
      );
    }
    return { item, learners };
  }

  const history = async (exportId: number | undefined) =>
    (await showExport(lms.store.db, exportId as number))?.items ?? [];

  describe("what is sent (seed 003 Grade Export)", () => {
    it("sends a line item as {lineItemSourcedId}_{classSourcedId} and its fully graded and exempt results, visible through every gradebook read path", async () => {
      const course = takeCourse();
      const { item, learners } = await gradebook(course, ["fully graded", "exempt"]);
      const result = await exportCourseGrades({ ...base(), course: course.sisId as string, startedBy: "teacher-1" });
      expect(result.status).toBe("completed");
      expect(result.counts.lineItems).toEqual({ success: 1, failure: 0 });
      expect(result.counts.results).toEqual({ success: learners.length, failure: 0 });

      const liId = lineItemSourcedId(item.id, course.sisId as string);
      expect(liId).toBe(`gi-${item.id}_${course.sisId}`);
      const li = (await api(`/lineItems/${liId}`)).body.lineItem;
      expect(LineItemSchema.safeParse(li).success).toBe(true);
      expect(li).toMatchObject({ title: "Essay", resultValueMax: 20, class: { sourcedId: course.sisId } });
      expect(li.category.sourcedId).toBe(sisCategories[0]?.sisId);
      const sessions = await sessionChoices(lms.store.db, course.id);
      expect(li.gradingPeriod.sourcedId).toBe(sessions[0]?.sisId);
      const forClass = (await api(`/classes/${course.sisId}/lineItems`)).body.lineItems.map(
        (l: { sourcedId: string }) => l.sourcedId,
      );
      expect(forClass).toContain(liId);

      const expected = learners.map((l) => resultSourcedId(liId, l.sisId)).sort();
      const viaLineItem = (await api(`/classes/${course.sisId}/lineItems/${liId}/results`)).body.results;
      expect(viaLineItem.map((r: { sourcedId: string }) => r.sourcedId).sort()).toEqual(expected);
      for (const r of viaLineItem) {
        expect(ResultSchema.safeParse(r).success).toBe(true);
      }
      const exempt = viaLineItem.find((r: { scoreStatus: string }) => r.scoreStatus === "exempt");
      expect(exempt?.score).toBe(0);
      const viaClass = (await api(`/classes/${course.sisId}/results?limit=1000`)).body.results;
      expect(viaClass.map((r: { sourcedId: string }) => r.sourcedId)).toEqual(expect.arrayContaining(expected));
      for (const l of learners) {
        const own = (await api(`/classes/${course.sisId}/students/${l.sisId}/results`)).body.results;
        expect(own.map((r: { sourcedId: string }) => r.sourcedId)).toContain(resultSourcedId(liId, l.sisId));
        expect((await api(`/results/${resultSourcedId(liId, l.sisId)}`)).status).toBe(200);
      }

      // Export history (seed 003 "View All Exports"): who, when, and each category, grade item and result.
      const shown = await showExport(lms.store.db, result.exportId as number);
      expect(shown?.export).toMatchObject({ trigger: "on_demand", startedBy: "teacher-1", status: "completed" });
      expect(shown?.export.finishedAt).not.toBeNull();
      const kinds = (shown?.items ?? []).map((i) => `${i.kind}:${i.outcome}:${i.reason}`);
      expect(kinds.filter((k) => k === "category:success:retrieved from the SIS")).toHaveLength(1);
      expect(kinds.filter((k) => k === "lineItem:success:never sent")).toHaveLength(1);
      expect(kinds.filter((k) => k === "result:success:never sent")).toHaveLength(learners.length);
    });

    it("sends only fully graded and exempt results; partially graded, submitted and not submitted stay in the LMS", async () => {
      const course = takeCourse();
      const { item, learners } = await gradebook(course, ["submitted", "fully graded", "not submitted"]);
      const result = await exportCourseGrades({ ...base(), course: course.sisId as string });
      expect(result.overview.grades).toBe(learners.filter((_, i) => i % 3 === 1).length);
      expect(result.overview.notExported).toMatchObject({ 'grade: scoreStatus "submitted" is not sent': 1 });
      const liId = lineItemSourcedId(item.id, course.sisId as string);
      const atSis = (await api(`/classes/${course.sisId}/lineItems/${liId}/results`)).body.results;
      expect(atSis.map((r: { scoreStatus: string }) => r.scoreStatus)).toEqual(
        learners.filter((_, i) => i % 3 === 1).map(() => "fully graded"),
      );
    });

    it("sends grade items only in SIS categories and with a session that is a parent of the offering", async () => {
      const course = takeCourse();
      const db = lms.store.db;
      const own = await createCourseCategory(db, course.id, "Practice", lms.now());
      const { item: practice } = await gradebook(course, ["fully graded"], { categoryId: own.id, name: "Practice" });
      const { item: noSession } = await gradebook(course, ["fully graded"], { sessionId: null, name: "No term" });
      const { item: good } = await gradebook(course, ["fully graded"], { name: "Counts" });
      const result = await exportCourseGrades({ ...base(), course: course.sisId as string });
      expect(result.counts.lineItems.success).toBe(1);
      expect(result.overview.notExported).toMatchObject({
        "grade item: its category is not an SIS category (export to SIS is off)": 1,
        "grade item: it has no academic session": 1,
      });
      for (const [it2, status] of [
        [practice, 404],
        [noSession, 404],
        [good, 200],
      ] as const) {
        expect((await api(`/lineItems/${lineItemSourcedId(it2.id, course.sisId as string)}`)).status).toBe(status);
      }
      // The LMS itself refuses a session that is not a parent of the offering.
      const other = await db
        .select()
        .from(orgUnits)
        .where(and(eq(orgUnits.kind, "session"), eq(orgUnits.type, "School Year")));
      await expect(
        createGradeItem(
          db,
          {
            offeringId: course.id,
            name: "x",
            categoryId: sisCategories[0]?.id ?? null,
            sessionId: other[0]?.id ?? -1,
            maxScore: 1,
            createdBy: "t",
          },
          lms.now(),
        ),
      ).rejects.toMatchObject({ code: "BAD_SESSION" });
    });
  });

  describe("which courses may export (seed 003: created by the integration, one active source with grades)", () => {
    it("refuses a manual offering, an offering without grade export, and any provider but the active source system", async () => {
      const db = lms.store.db;
      const now = lms.now();
      const [manual] = await db
        .insert(orgUnits)
        .values({
          kind: "offering",
          type: "Course Offering",
          code: "MANUAL-1",
          name: "A course made in the LMS",
          source: "manual",
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await expect(exportCourseGrades({ ...base(), course: "MANUAL-1" })).rejects.toMatchObject({
        code: "NOT_EXPORTABLE",
        message: expect.stringMatching(/not created by the SIS integration/),
      });

      const noExport = takeCourse();
      await db.update(orgUnits).set({ gradeExport: false }).where(eq(orgUnits.id, noExport.id));
      await expect(exportCourseGrades({ ...base(), course: noExport.sisId as string })).rejects.toMatchObject({
        message: expect.stringMatching(/grade export is not enabled on this course offering/),
      });

      expect(manual).toBeDefined();
      // Grades go only to the LMS's active source system (the provider of its last successful sync).
      const course = takeCourse();
      const elsewhere = { ...lms.connection, baseUrl: "https://other-sis.example/ims/oneroster/v1p1" };
      await expect(
        exportCourseGrades({ ...base(), connection: elsewhere, course: course.sisId as string }),
      ).rejects.toMatchObject({ message: expect.stringMatching(/only to the active source system/) });
      // A scheduled run skips courses that may not export, with their reasons, and leaves no export for them.
      await gradebook(noExport);
      const scheduled = await runScheduledGradeExport({ ...base(), dryRun: true });
      expect(scheduled.skipped["grade export is not enabled on this course offering"]).toBe(1);
      expect(scheduled.courses.some((c) => c.classSourcedId === noExport.sisId)).toBe(false);
      const other = await runScheduledGradeExport({ ...base(), connection: elsewhere });
      expect(other.message).toMatch(/only to the active source system/);
    });

    it("refuses everything when grade export is off for the source system", async () => {
      const course = takeCourse();
      const settings = { ...lms.settings, grades: { ...lms.settings.grades, export: false } };
      await expect(exportCourseGrades({ ...base(), settings, course: course.sisId as string })).rejects.toMatchObject({
        message: expect.stringMatching(/grade export is not enabled for the SIS source system/),
      });
      const scheduled = await runScheduledGradeExport({ ...base(), settings });
      expect(scheduled.courses).toEqual([]);
      expect(scheduled.message).toMatch(/grades\.export/);
    });
  });

  describe("when items are sent again (seed 003 How the grade sync works)", () => {
    it("sends nothing the SIS already holds, a changed result alone, and every result again after its line item changed", async () => {
      const course = takeCourse();
      const db = lms.store.db;
      const { item, learners } = await gradebook(course);
      const first = await exportCourseGrades({ ...base(), course: course.sisId as string });
      expect(first.counts.results.success).toBe(learners.length);

      const again = await exportCourseGrades({ ...base(), course: course.sisId as string });
      expect(again.overview.toSend).toEqual({ lineItems: 0, results: 0, deletes: 0 });
      expect(await history(again.exportId)).toEqual([]);

      const one = learners[0] as { id: number; sisId: string };
      await setGrade(
        db,
        { gradeItemId: item.id, userId: one.id, scoreStatus: "fully graded", score: 19.5, gradedBy: "teacher-1" },
        lms.now(),
      );
      const changed = await exportCourseGrades({ ...base(), course: course.sisId as string });
      expect((await history(changed.exportId)).map((h) => `${h.kind}:${h.reason}`)).toEqual([
        `result:changed since last sent`,
      ]);
      const liId = lineItemSourcedId(item.id, course.sisId as string);
      expect((await api(`/results/${resultSourcedId(liId, one.sisId)}`)).body.result.score).toBe(19.5);

      await updateGradeItem(db, item.id, { maxScore: 40 }, lms.now());
      const relinked = await exportCourseGrades({ ...base(), course: course.sisId as string });
      const rows = await history(relinked.exportId);
      expect(rows.filter((h) => h.kind === "lineItem").map((h) => h.reason)).toEqual(["changed since last sent"]);
      expect(rows.filter((h) => h.kind === "result").map((h) => h.reason)).toEqual(
        learners.map(() => "line item changed"),
      );
      expect((await api(`/lineItems/${liId}`)).body.lineItem.resultValueMax).toBe(40);
    });

    it("keeps going past a 4xx, shows the provider's status payload naming the field, and retries the failure next run", async () => {
      const course = takeCourse();
      const db = lms.store.db;
      const { item: good, learners } = await gradebook(course, ["fully graded"], { name: "Fine" });
      const { item: bad } = await gradebook(course, ["fully graded"], { name: "Wrong term" });
      // The LMS believes the course sits under the school year, which the SIS never gave its class as a term (a
      // stale parent link): the SIS refuses line items graded there.
      const sessions = await sessionChoices(db, course.id);
      const [foreign] = await db
        .select()
        .from(orgUnits)
        .where(and(eq(orgUnits.kind, "session"), eq(orgUnits.type, "School Year")));
      expect(foreign).toBeDefined();
      await db.insert(orgUnitParents).values({ childId: course.id, parentId: foreign?.id as number });
      await updateGradeItem(db, bad.id, { sessionId: foreign?.id as number }, lms.now());

      const first = await exportCourseGrades({ ...base(), course: course.sisId as string });
      expect(first.status).toBe("completed_with_errors");
      expect(first.counts.lineItems).toEqual({ success: 1, failure: 1 });
      expect(first.counts.results).toEqual({ success: learners.length, failure: learners.length });
      const rows = await history(first.exportId);
      const failedLi = rows.find((h) => h.kind === "lineItem" && h.outcome === "failure");
      expect(failedLi).toMatchObject({
        sourcedId: lineItemSourcedId(bad.id, course.sisId as string),
        httpStatus: 422,
        providerStatus: { codeMajor: "failure", codeMinor: "invaliddata", field: "lineItem.gradingPeriod.sourcedId" },
      });
      expect(rows.filter((h) => h.kind === "result" && h.outcome === "failure").map((h) => h.message)).toEqual(
        learners.map(() => "not sent: the SIS has not accepted its line item"),
      );
      expect((await api(`/lineItems/${lineItemSourcedId(good.id, course.sisId as string)}`)).status).toBe(200);

      // Still wrong: retried, and fails again, as "failed last time".
      const second = await exportCourseGrades({ ...base(), course: course.sisId as string });
      expect((await history(second.exportId)).filter((h) => h.kind === "lineItem").map((h) => h.reason)).toEqual([
        "failed last time",
      ]);
      // Fixed in the LMS: the line item and its results go through.
      await db.delete(orgUnitParents).where(eq(orgUnitParents.parentId, foreign?.id as number));
      await updateGradeItem(db, bad.id, { sessionId: sessions[0]?.id as number }, lms.now());
      const third = await exportCourseGrades({ ...base(), course: course.sisId as string });
      expect(third.status).toBe("completed");
      expect(third.counts.lineItems).toEqual({ success: 1, failure: 0 });
      expect(third.counts.results).toEqual({ success: learners.length, failure: 0 });
      expect(
        (await api(`/classes/${course.sisId}/lineItems/${lineItemSourcedId(bad.id, course.sisId as string)}/results`))
          .body.results,
      ).toHaveLength(learners.length);
    });

    it("names result.student.sourcedId when the SIS does not know a student, and lineItem.class.sourcedId for an unknown class", async () => {
      const course = takeCourse();
      const db = lms.store.db;
      const now = lms.now();
      const { item } = await gradebook(course);
      const [ghost] = await db
        .insert(users)
        .values({
          sisId: "ghost-student",
          username: "ghost",
          firstName: "G",
          lastName: "Host",
          role: "Learner",
          sisRole: "student",
          source: "sis",
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await db.insert(enrollments).values({
        sisId: "ghost-enrolment",
        userId: ghost?.id as number,
        orgUnitId: course.id,
        role: "Learner",
        sisRole: "student",
        kind: "class",
        source: "sis",
        createdAt: now,
        updatedAt: now,
      });
      await setGrade(
        db,
        { gradeItemId: item.id, userId: ghost?.id as number, scoreStatus: "fully graded", score: 1, gradedBy: "t" },
        now,
      );
      const result = await exportCourseGrades({ ...base(), course: course.sisId as string });
      expect(result.counts.results.failure).toBe(1);
      const failed = (await history(result.exportId)).filter((h) => h.outcome === "failure");
      expect(failed).toEqual([
        expect.objectContaining({
          kind: "result",
          httpStatus: 422,
          providerStatus: expect.objectContaining({ field: "result.student.sourcedId" }),
        }),
      ]);

      // An offering whose class the SIS does not have (created by this integration, so it may export).
      const [unknown] = await db
        .insert(orgUnits)
        .values({
          kind: "offering",
          type: "Course Offering",
          sisId: "cls-not-at-the-sis",
          code: "GONE-1",
          name: "Gone",
          source: "sis",
          gradeExport: true,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      const [session] = await sessionChoices(db, course.id);
      await db.insert(orgUnitParents).values({ childId: unknown?.id as number, parentId: session?.id as number });
      await createGradeItem(
        db,
        {
          offeringId: unknown?.id as number,
          name: "Lost",
          categoryId: sisCategories[0]?.id ?? null,
          sessionId: session?.id ?? null,
          maxScore: 5,
          createdBy: "t",
        },
        now,
      );
      const lost = await exportCourseGrades({ ...base(), course: "cls-not-at-the-sis" });
      expect((await history(lost.exportId)).find((h) => h.kind === "lineItem")).toMatchObject({
        outcome: "failure",
        httpStatus: 422,
        providerStatus: expect.objectContaining({ field: "lineItem.class.sourcedId" }),
      });
    });
  });

  describe("an export stopped midway", () => {
    it("is marked failed by the next export of the course, which sends what the stopped one did not", async () => {
      const course = takeCourse();
      const { learners } = await gradebook(course);
      // A process killed after the export row and its first chunk: here, the row alone.
      const [stopped] = await lms.store.db
        .insert(gradeExports)
        .values({
          offeringId: course.id,
          trigger: "on_demand",
          startedBy: "teacher-1",
          baseUrl: lms.connection.baseUrl,
          status: "running",
          startedAt: lms.now(),
        })
        .returning();
      const result = await exportCourseGrades({ ...base(), course: course.sisId as string });
      expect(result.counts.results.success).toBe(learners.length);
      const [after] = await lms.store.db
        .select()
        .from(gradeExports)
        .where(eq(gradeExports.id, stopped?.id as number));
      expect(after).toMatchObject({ status: "failed", message: expect.stringMatching(/^interrupted/) });
    });
  });

  describe("deletions (seed 003: sent as deleted, not in the export history)", () => {
    it("sends a cleared grade and a deleted grade item as DELETE and lists neither in the history", async () => {
      const course = takeCourse();
      const db = lms.store.db;
      const { item: keep, learners } = await gradebook(course, ["fully graded"], { name: "Keep" });
      const { item: drop } = await gradebook(course, ["fully graded"], { name: "Drop" });
      await exportCourseGrades({ ...base(), course: course.sisId as string });
      const one = learners[0] as { id: number; sisId: string };
      await clearGrade(db, keep.id, one.id, lms.now());
      await deleteGradeItem(db, drop.id, lms.now());
      const result = await exportCourseGrades({ ...base(), course: course.sisId as string });
      expect(result.overview.toSend.deletes).toBe(2);
      expect(result.counts.deleted).toEqual({ success: 2, failure: 0 });
      expect(await history(result.exportId)).toEqual([]);
      const keepId = lineItemSourcedId(keep.id, course.sisId as string);
      const dropId = lineItemSourcedId(drop.id, course.sisId as string);
      expect((await api(`/results/${resultSourcedId(keepId, one.sisId)}`)).status).toBe(404);
      expect((await api(`/lineItems/${dropId}`)).status).toBe(404);
      expect((await api(`/results/${resultSourcedId(dropId, one.sisId)}`)).status).toBe(404);
      // Done once: the next export has nothing to delete.
      const after = await exportCourseGrades({ ...base(), course: course.sisId as string });
      expect(after.overview.toSend).toEqual({ lineItems: 0, results: 0, deletes: 0 });
    });
  });

  describe("on demand and nightly (seed 003 How to sync Grades)", () => {
    it("shows the overview and what would be sent on a dry run, sending and recording nothing", async () => {
      const course = takeCourse();
      const { item, learners } = await gradebook(course);
      const dry = await exportCourseGrades({ ...base(), course: course.sisId as string, dryRun: true });
      expect(dry.status).toBe("dry_run");
      expect(dry.exportId).toBeUndefined();
      expect(dry.overview).toMatchObject({ gradeItems: 1, grades: learners.length });
      expect(dry.overview.toSend).toEqual({ lineItems: 1, results: learners.length, deletes: 0 });
      expect(dry.preview?.lineItems).toEqual([
        { sourcedId: lineItemSourcedId(item.id, course.sisId as string), reason: "never sent" },
      ]);
      expect((await api(`/lineItems/${lineItemSourcedId(item.id, course.sisId as string)}`)).status).toBe(404);
    });

    it("limits an on-demand export to one section's students and one academic session's grade items", async () => {
      const course = takeCourse();
      const db = lms.store.db;
      const sessions = await sessionChoices(db, course.id);
      const { item, learners } = await gradebook(course);
      const [section] = await db
        .select()
        .from(orgUnits)
        .where(and(eq(orgUnits.kind, "section"), eq(orgUnits.sisId, course.sisId as string)));
      // One student is enrolled without a section (as a manual enrolment would be): outside the section filter.
      const outside = learners[0] as { id: number; sisId: string };
      await db
        .update(enrollments)
        .set({ sectionId: null })
        .where(and(eq(enrollments.userId, outside.id), eq(enrollments.orgUnitId, course.id)));
      const bySection = await exportCourseGrades({
        ...base(),
        course: course.sisId as string,
        section: section?.sisId as string,
        session: sessions[0]?.sisId as string,
      });
      expect(bySection.counts.results.success).toBe(learners.length - 1);
      const liId = lineItemSourcedId(item.id, course.sisId as string);
      expect((await api(`/results/${resultSourcedId(liId, outside.sisId)}`)).status).toBe(404);
      await expect(
        exportCourseGrades({ ...base(), course: course.sisId as string, session: "not-a-session" }),
      ).rejects.toBeInstanceOf(GradesError);
    });

    it("exports every course with changes as the service user in a scheduled run, and nothing twice", async () => {
      const a = takeCourse();
      const b = takeCourse();
      await gradebook(a);
      await gradebook(b, ["exempt"]);
      const run = await runScheduledGradeExport(base());
      const mine = run.courses.filter((c) => c.classSourcedId === a.sisId || c.classSourcedId === b.sisId);
      expect(mine).toHaveLength(2);
      for (const c of mine) {
        expect(c.status).toBe("completed");
        expect((await showExport(lms.store.db, c.exportId as number))?.export).toMatchObject({
          trigger: "scheduled",
          startedBy: "IPSIS Service",
        });
      }
      expect(run.categories?.listed).toBe(sisCategories.length);
      const rerun = await runScheduledGradeExport(base());
      expect(rerun.courses.filter((c) => c.classSourcedId === a.sisId || c.classSourcedId === b.sisId)).toEqual([]);
      const rows = await lms.store.db
        .select()
        .from(gradeExportItems)
        .where(
          inArray(
            gradeExportItems.exportId,
            mine.map((c) => c.exportId as number),
          ),
        );
      expect(rows.every((r) => r.outcome === "success")).toBe(true);
    });

    it("marks a category the SIS deleted, stops its grade items and reports the category as failed", async () => {
      const course = takeCourse();
      const db = lms.store.db;
      // A category of this test's own at the SIS, used by one grade item.
      const put = await lms.sp.api("/categories/t-cat-gone", { method: "PUT", body: { category: { title: "Labs" } } });
      expect(put.status).toBe(201);
      await refreshCategories(db, new OneRosterClient(lms.connection), { now: lms.now() });
      const [labs] = await db.select().from(gradeCategories).where(eq(gradeCategories.sisId, "t-cat-gone"));
      await gradebook(course, ["fully graded"], { categoryId: labs?.id as number, name: "Lab 1" });
      expect((await lms.sp.api("/categories/t-cat-gone", { method: "DELETE" })).status).toBe(204);
      const result = await exportCourseGrades({ ...base(), course: course.sisId as string });
      expect(result.overview.notExported).toMatchObject({
        "grade item: its SIS category no longer exists at the SIS": 1,
      });
      expect(result.counts.categories).toEqual({ success: 0, failure: 1 });
      expect((await history(result.exportId))[0]).toMatchObject({ kind: "category", outcome: "failure" });
      const [after] = await db.select().from(gradeCategories).where(eq(gradeCategories.sisId, "t-cat-gone"));
      expect(after?.status).toBe("deleted");
    });
  });
});
