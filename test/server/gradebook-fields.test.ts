// Gradebook writes the provider cannot accept (notes §7.1: 422 invaliddata) carry a status payload whose description
// starts with the JSON path of the bad field: an unknown class, category, gradingPeriod, lineItem or student, a user
// who is not a student, and a line item graded outside its class's sessions (not a term of it nor a grading period).
import { beforeAll, expect, it } from "vitest";
import { readStatusInfo } from "../../oneroster/index.js";
import { describePrimaryDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

describePrimaryDb("gradebook refusals name the field", (kind) => {
  const sp = useSeededProvider(kind);
  let classId = "";
  let studentId = "";
  let teacherId = "";
  let ownTerm = "";
  let ownPeriod = "";
  let foreignPeriod = "";

  beforeAll(async () => {
    const allTerms = (await sp.api("/terms?limit=100")).body.academicSessions.length;
    const classes = (await sp.api("/classes?filter=classType%3D'scheduled'&limit=200")).body.classes;
    // A class taught in some terms only, so some grading period lies outside its sessions.
    for (const c of classes.filter((c: { terms: unknown[] }) => c.terms.length < allTerms)) {
      const students = (await sp.api(`/classes/${c.sourcedId}/students?limit=1`)).body.users;
      if (students.length > 0) {
        classId = c.sourcedId;
        studentId = students[0].sourcedId;
        break;
      }
    }
    teacherId = (await sp.api("/teachers?limit=1")).body.users[0].sourcedId;
    const terms: string[] = (await sp.api(`/classes/${classId}`)).body.class.terms.map(
      (t: { sourcedId: string }) => t.sourcedId,
    );
    ownTerm = terms[0] as string;
    ownPeriod = (await sp.api(`/terms/${ownTerm}/gradingPeriods`)).body.academicSessions[0].sourcedId;
    const periods = (await sp.api("/gradingPeriods?limit=100")).body.academicSessions as {
      sourcedId: string;
      parent: { sourcedId: string };
    }[];
    foreignPeriod = periods.find((p) => !terms.includes(p.parent.sourcedId))?.sourcedId ?? "";
    expect(classId && studentId && teacherId && ownPeriod && foreignPeriod).toBeTruthy();
    expect((await sp.api("/lineItems/f-li-base", { method: "PUT", body: lineItem() })).status).toBe(201);
  });

  const lineItem = (over: Record<string, unknown> = {}) => ({
    lineItem: {
      title: "Quiz",
      assignDate: "2026-09-01",
      dueDate: "2026-09-08",
      class: { sourcedId: classId },
      gradingPeriod: { sourcedId: ownPeriod },
      resultValueMin: 0,
      resultValueMax: 10,
      ...over,
    },
  });

  it("accepts a line item graded in one of its class's terms or in a grading period of one (notes §2.11)", async () => {
    expect(
      (
        await sp.api("/lineItems/f-li-term", {
          method: "PUT",
          body: lineItem({ gradingPeriod: { sourcedId: ownTerm } }),
        })
      ).status,
    ).toBe(201);
    expect((await sp.api("/lineItems/f-li-gp", { method: "PUT", body: lineItem() })).status).toBe(201);
  });

  it("answers 422 naming lineItem.gradingPeriod.sourcedId for a grading period outside the class's terms", async () => {
    const res = await sp.api("/lineItems/f-li-out", {
      method: "PUT",
      body: lineItem({ gradingPeriod: { sourcedId: foreignPeriod } }),
    });
    expect(res.status).toBe(422);
    const [status] = readStatusInfo(res.body);
    expect(status).toMatchObject({ codeMajor: "failure", codeMinor: "invaliddata" });
    expect(status?.description).toMatch(
      /^lineItem\.gradingPeriod\.sourcedId: academicSession '.+' is not a term of class/,
    );
    expect((await sp.api("/lineItems/f-li-out")).status).toBe(404);
  });

  it.each([
    [
      "an unknown class",
      "/lineItems/f-li-x",
      "lineItem.class.sourcedId",
      () => lineItem({ class: { sourcedId: "no-such-class" } }),
    ],
    [
      "an unknown category",
      "/lineItems/f-li-x",
      "lineItem.category.sourcedId",
      () => lineItem({ category: { sourcedId: "no-such-cat" } }),
    ],
    [
      "an unknown gradingPeriod",
      "/lineItems/f-li-x",
      "lineItem.gradingPeriod.sourcedId",
      () => lineItem({ gradingPeriod: { sourcedId: "no-gp" } }),
    ],
    [
      "an unknown lineItem",
      "/results/f-r-x",
      "result.lineItem.sourcedId",
      () => ({
        result: {
          lineItem: { sourcedId: "no-such-li" },
          student: { sourcedId: studentId },
          scoreStatus: "fully graded",
          score: 1,
          scoreDate: "2026-09-09",
        },
      }),
    ],
    [
      "an unknown student",
      "/results/f-r-x",
      "result.student.sourcedId",
      () => ({
        result: {
          lineItem: { sourcedId: "f-li-base" },
          student: { sourcedId: "no-such-student" },
          scoreStatus: "fully graded",
          score: 1,
          scoreDate: "2026-09-09",
        },
      }),
    ],
    [
      "a teacher as the student",
      "/results/f-r-x",
      "result.student.sourcedId",
      () => ({
        result: {
          lineItem: { sourcedId: "f-li-base" },
          student: { sourcedId: teacherId },
          scoreStatus: "fully graded",
          score: 1,
          scoreDate: "2026-09-09",
        },
      }),
    ],
  ])("answers 422 for %s (PUT %s) naming %s", async (_, path, field, body) => {
    const res = await sp.api(path, { method: "PUT", body: body() });
    expect(res.status).toBe(422);
    expect(readStatusInfo(res.body)[0]?.description?.startsWith(`${field}: `)).toBe(true);
    expect((await sp.api(path)).status).toBe(404);
  });
});
