// Gradebook writes (notes §7): PUT upsert 201/200 with the singular envelope, lenient inputs real clients send,
// 400 naming the bad field, 422 for references that do not exist, DELETE 204 with a tombstone that only delta
// reads see, cascades, and transactional behaviour.
import { beforeAll, describe, expect, it } from "vitest";
import { LineItemSchema, ResultSchema, readStatusInfo, SCOPES } from "../../oneroster/index.js";
import { PUT_BODY_BYTES } from "../../server/http/limits.js";
import { DEFAULT_CATEGORY } from "../../server/repo/gradebook.js";
import { describeEachDb } from "../support/each-db.js";
import { useSeededProvider } from "../support/seeded-provider.js";

describeEachDb("gradebook writes", (kind) => {
  const sp = useSeededProvider(kind);
  let classId = "";
  let otherClassId = "";
  let studentId = "";
  let teacherId = "";
  let gradingPeriodId = "";

  beforeAll(async () => {
    const classes = (
      await sp.api(`/classes?filter=${encodeURIComponent("classType='scheduled' AND status='active'")}&limit=50`)
    ).body.classes;
    for (const c of classes) {
      const students = (await sp.api(`/classes/${c.sourcedId}/students?limit=1`)).body.users;
      if (students.length > 0 && !classId) {
        classId = c.sourcedId;
        studentId = students[0].sourcedId;
      } else if (c.sourcedId !== classId && !otherClassId) {
        otherClassId = c.sourcedId;
      }
    }
    teacherId = (await sp.api("/teachers?limit=1")).body.users[0].sourcedId;
    // A line item's gradingPeriod must be one of its class's sessions: a grading period of the class's first term.
    const term = (await sp.api(`/classes/${classId}`)).body.class.terms[0].sourcedId;
    gradingPeriodId = (await sp.api(`/terms/${term}/gradingPeriods?limit=1`)).body.academicSessions[0].sourcedId;
    expect(classId && otherClassId && studentId && teacherId && gradingPeriodId).toBeTruthy();
  });

  const lineItem = (over: Record<string, unknown> = {}) => ({
    lineItem: {
      title: "Essay 1",
      assignDate: "2026-09-01T08:00:00.000Z",
      dueDate: "2026-09-10T08:00:00.000Z",
      class: { sourcedId: classId },
      gradingPeriod: { sourcedId: gradingPeriodId },
      resultValueMin: 0,
      resultValueMax: 100,
      ...over,
    },
  });
  const result = (lineItemId: string, over: Record<string, unknown> = {}) => ({
    result: {
      lineItem: { sourcedId: lineItemId },
      student: { sourcedId: studentId },
      scoreStatus: "fully graded",
      score: 88.5,
      scoreDate: "2026-09-11",
      ...over,
    },
  });

  describe("PUT (notes §7.1)", () => {
    it("creates with 201, replaces with 200, and the object reads back through every gradebook read path", async () => {
      const created = await sp.api("/lineItems/t-li-1", { method: "PUT", body: lineItem() });
      expect(created.status).toBe(201);
      expect(LineItemSchema.omit({ category: true }).safeParse(created.body.lineItem).success).toBe(true);
      const replaced = await sp.api("/lineItems/t-li-1", {
        method: "PUT",
        body: lineItem({ title: "Essay 1 (revised)", resultValueMax: 50 }),
      });
      expect(replaced.status).toBe(200);
      const read = await sp.api("/lineItems/t-li-1");
      expect(read.body.lineItem).toMatchObject({
        sourcedId: "t-li-1",
        title: "Essay 1 (revised)",
        resultValueMax: 50,
        status: "active",
      });
      expect(read.body.lineItem.class).toEqual({
        href: `${sp.provider.baseUrl}/classes/${classId}`,
        sourcedId: classId,
        type: "class",
      });
      const forClass = (await sp.api(`/classes/${classId}/lineItems?limit=10000`)).body.lineItems.map(
        (l: { sourcedId: string }) => l.sourcedId,
      );
      expect(forClass).toContain("t-li-1");

      const r = await sp.api("/results/t-r-1", { method: "PUT", body: result("t-li-1") });
      expect(r.status).toBe(201);
      expect(ResultSchema.safeParse(r.body.result).success).toBe(true);
      for (const path of [
        `/classes/${classId}/lineItems/t-li-1/results`,
        `/classes/${classId}/students/${studentId}/results?limit=10000`,
        `/classes/${classId}/results?limit=10000`,
      ]) {
        const ids = (await sp.api(path)).body.results.map((x: { sourcedId: string }) => x.sourcedId);
        expect(ids, path).toContain("t-r-1");
      }
    });

    it("percent-encodes an id that needs it in every href that names it, on single and list reads alike", async () => {
      // Postgres writes only URI-safe ids into hrefs; a record naming any other id is presented in Node instead.
      const id = "t-li ü/#?1";
      const enc = encodeURIComponent(id);
      expect((await sp.api(`/lineItems/${enc}`, { method: "PUT", body: lineItem() })).status).toBe(201);
      expect((await sp.api("/results/t-r-unsafe", { method: "PUT", body: result(id) })).status).toBe(201);
      const expected = { href: `${sp.provider.baseUrl}/lineItems/${enc}`, sourcedId: id, type: "lineItem" };
      expect((await sp.api("/results/t-r-unsafe")).body.result.lineItem).toEqual(expected);
      const listed = await sp.api(`/classes/${classId}/lineItems/${enc}/results`);
      expect(listed.status).toBe(200);
      expect(listed.body.results.map((r: { lineItem: unknown }) => r.lineItem)).toEqual([expected]);
      expect((await sp.api(`/lineItems/${enc}`)).body.lineItem.sourcedId).toBe(id);
    });

    it("replaces fully rather than merging: a field left out of the replacement is gone", async () => {
      await sp.api("/lineItems/t-li-2", { method: "PUT", body: lineItem({ description: "first" }) });
      await sp.api("/lineItems/t-li-2", { method: "PUT", body: lineItem() });
      expect((await sp.api("/lineItems/t-li-2")).body.lineItem.description).toBeUndefined();
    });

    it("accepts what real clients send: sourcedId-only refs, no category or gradingPeriod, date-only dates, date-time scoreDate, empty comment, exempt, score above max", async () => {
      const li = await sp.api("/lineItems/t-li-lenient", {
        method: "PUT",
        body: {
          lineItem: {
            title: "x".repeat(300),
            assignDate: "2026-09-01",
            dueDate: "2026-09-02",
            class: { sourcedId: classId },
            resultValueMin: 0,
            resultValueMax: 10,
          },
        },
      });
      expect(li.status).toBe(201);
      expect(li.body.lineItem.assignDate).toBe("2026-09-01T00:00:00.000Z");
      expect(li.body.lineItem.title).toHaveLength(300);
      // Served valid all the same (notes §2.11): a default category and the grading period holding the due date,
      // each named in a warning.
      expect(LineItemSchema.safeParse(li.body.lineItem).success).toBe(true);
      expect(li.body.lineItem.category.sourcedId).toBe(DEFAULT_CATEGORY.sourcedId);
      const gp = (await sp.api(`/gradingPeriods/${li.body.lineItem.gradingPeriod.sourcedId}`)).body.academicSession;
      expect(gp.startDate <= "2026-09-02" && "2026-09-02" <= gp.endDate).toBe(true);
      const warnings = readStatusInfo(li.body);
      expect(warnings.map((w) => w.severity)).toEqual(["warning", "warning"]);
      expect(warnings[0]?.description).toMatch(/category was not sent: assigned the default category/);
      expect(warnings[1]?.description).toMatch(/gradingPeriod was not sent: .*containing the due date/);
      expect(LineItemSchema.safeParse((await sp.api("/lineItems/t-li-lenient")).body.lineItem).success).toBe(true);
      const r = await sp.api("/results/t-r-lenient", {
        method: "PUT",
        body: result("t-li-lenient", {
          scoreStatus: "exempt",
          score: 15,
          scoreDate: "2026-09-03T14:00:00.000Z",
          comment: "",
        }),
      });
      expect(r.status).toBe(201);
      expect(r.body.result).toMatchObject({ scoreStatus: "exempt", score: 15, scoreDate: "2026-09-03" });
      expect(r.body.result).not.toHaveProperty("comment");
    });

    it("stamps dateLastModified from the server clock with millisecond precision, and the write shows in a delta", async () => {
      const before = sp.provider.deps.clock.now().toISOString();
      sp.provider.deps.clock.advance(1500);
      const put = await sp.api("/categories/t-cat-delta", {
        method: "PUT",
        body: { category: { title: "Labs", dateLastModified: "2001-01-01T00:00:00Z" } },
      });
      expect(put.body.category.dateLastModified).toBe(sp.provider.deps.clock.now().toISOString());
      const delta = await sp.api(`/categories?filter=${encodeURIComponent(`dateLastModified>'${before}'`)}`);
      expect(delta.body.categories.map((c: { sourcedId: string }) => c.sourcedId)).toEqual(["t-cat-delta"]);
    });

    it.each([
      ["not JSON", "{oops", 400, /not valid JSON/],
      ["empty body", "", 400, /empty/],
      ["wrong envelope", { lineItems: {} }, 400, /key 'lineItem'/],
      ["an array", [], 400, /key 'lineItem'/],
      [
        "missing title",
        {
          lineItem: {
            assignDate: "2026-09-01",
            dueDate: "2026-09-02",
            class: { sourcedId: "k" },
            resultValueMin: 0,
            resultValueMax: 1,
          },
        },
        400,
        /lineItem\.title/,
      ],
      [
        "bad date",
        {
          lineItem: {
            title: "t",
            assignDate: "yesterday",
            dueDate: "2026-09-02",
            class: { sourcedId: "k" },
            resultValueMin: 0,
            resultValueMax: 1,
          },
        },
        400,
        /lineItem\.assignDate/,
      ],
      [
        "string number",
        {
          lineItem: {
            title: "t",
            assignDate: "2026-09-01",
            dueDate: "2026-09-02",
            class: { sourcedId: "k" },
            resultValueMin: "0",
            resultValueMax: 1,
          },
        },
        400,
        /lineItem\.resultValueMin/,
      ],
      [
        "unknown status",
        {
          lineItem: {
            title: "t",
            status: "inactive",
            assignDate: "2026-09-01",
            dueDate: "2026-09-02",
            class: { sourcedId: "k" },
            resultValueMin: 0,
            resultValueMax: 1,
          },
        },
        400,
        /lineItem\.status/,
      ],
      [
        "mismatched sourcedId",
        {
          lineItem: {
            sourcedId: "other",
            title: "t",
            assignDate: "2026-09-01",
            dueDate: "2026-09-02",
            class: { sourcedId: "k" },
            resultValueMin: 0,
            resultValueMax: 1,
          },
        },
        400,
        /does not match/,
      ],
    ])("answers %s with 400 naming the problem and writes nothing", async (_, body, status, message) => {
      const res = await sp.api("/lineItems/t-li-bad", {
        method: "PUT",
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      expect(res.status).toBe(status);
      expect(readStatusInfo(res.body)[0]).toMatchObject({ codeMajor: "failure", codeMinor: "invaliddata" });
      expect(readStatusInfo(res.body)[0]?.description).toMatch(message);
      expect((await sp.api("/lineItems/t-li-bad")).status).toBe(404);
    });

    it("answers 422 for references that do not exist and leaves no dangling row", async () => {
      const cases: [string, unknown, RegExp][] = [
        ["/lineItems/t-li-dangle", lineItem({ class: { sourcedId: "no-class" } }), /class 'no-class'/],
        ["/lineItems/t-li-dangle", lineItem({ category: { sourcedId: "no-cat" } }), /category 'no-cat'/],
        ["/lineItems/t-li-dangle", lineItem({ gradingPeriod: { sourcedId: "no-gp" } }), /gradingPeriod 'no-gp'/],
        ["/results/t-r-dangle", result("no-li"), /lineItem 'no-li'/],
        ["/results/t-r-dangle", result("t-li-1", { student: { sourcedId: "no-student" } }), /student 'no-student'/],
        ["/results/t-r-dangle", result("t-li-1", { student: { sourcedId: teacherId } }), /not a student/],
      ];
      for (const [path, body, message] of cases) {
        const res = await sp.api(path, { method: "PUT", body });
        expect(res.status, path).toBe(422);
        expect(readStatusInfo(res.body)[0]?.description).toMatch(message);
        expect((await sp.api(path)).status).toBe(404);
      }
    });

    it("answers 400 for a NUL character in the body, which Postgres text cannot hold", async () => {
      const res = await sp.api("/categories/t-nul", { method: "PUT", body: '{"category":{"title":"a\\u0000b"}}' });
      expect(res.status).toBe(400);
      expect(readStatusInfo(res.body)[0]?.description).toMatch(/NUL/);
    });

    it("answers 413 for a body over the PUT limit", async () => {
      const res = await sp.api("/categories/t-big", {
        method: "PUT",
        body: { category: { title: "x".repeat(PUT_BODY_BYTES + 1) } },
      });
      expect(res.status).toBe(413);
      expect(readStatusInfo(res.body)[0]?.codeMinor).toBe("invaliddata");
    });

    it("needs gradebook.createput (403 with a read-only token)", async () => {
      const readOnly = await sp.provider.token([SCOPES.gradebookRead]);
      const res = await sp.api("/categories/t-scope", {
        method: "PUT",
        token: readOnly,
        body: { category: { title: "x" } },
      });
      expect(res.status).toBe(403);
      expect((await sp.api("/categories/t-scope")).status).toBe(404);
    });
  });

  describe("DELETE (notes §7.2)", () => {
    it("answers 204, then GET is 404, collections omit it, a delta filter still sees the tombstone", async () => {
      await sp.api("/lineItems/t-li-del", { method: "PUT", body: lineItem() });
      await sp.api("/results/t-r-del", { method: "PUT", body: result("t-li-del") });
      const before = sp.provider.deps.clock.now().toISOString();
      sp.provider.deps.clock.advance(10);
      const res = await sp.api("/lineItems/t-li-del", { method: "DELETE" });
      expect(res.status).toBe(204);
      expect((await sp.api("/lineItems/t-li-del")).status).toBe(404);
      const listed = (await sp.api(`/classes/${classId}/lineItems?limit=10000`)).body.lineItems.map(
        (l: { sourcedId: string }) => l.sourcedId,
      );
      expect(listed).not.toContain("t-li-del");
      expect((await sp.api(`/classes/${classId}/lineItems/t-li-del/results`)).status).toBe(404);
      const delta = await sp.api(`/lineItems?filter=${encodeURIComponent(`dateLastModified>'${before}'`)}`);
      expect(delta.body.lineItems).toEqual([expect.objectContaining({ sourcedId: "t-li-del", status: "tobedeleted" })]);
      // Its results go with it, also as tombstones.
      expect((await sp.api("/results/t-r-del")).status).toBe(404);
      const resultDelta = await sp.api(`/results?filter=${encodeURIComponent(`dateLastModified>'${before}'`)}`);
      expect(resultDelta.body.results).toEqual([
        expect.objectContaining({ sourcedId: "t-r-del", status: "tobedeleted" }),
      ]);
    });

    it("recreates a deleted id with 201", async () => {
      await sp.api("/categories/t-cat-again", { method: "PUT", body: { category: { title: "A" } } });
      await sp.api("/categories/t-cat-again", { method: "DELETE" });
      const again = await sp.api("/categories/t-cat-again", { method: "PUT", body: { category: { title: "B" } } });
      expect(again.status).toBe(201);
      expect((await sp.api("/categories/t-cat-again")).body.category).toMatchObject({ title: "B", status: "active" });
    });

    it("deleting a category moves its line items to the default category, so none dangles or lacks one", async () => {
      await sp.api("/categories/t-cat-used", { method: "PUT", body: { category: { title: "Used" } } });
      await sp.api("/lineItems/t-li-cat", { method: "PUT", body: lineItem({ category: { sourcedId: "t-cat-used" } }) });
      expect((await sp.api("/lineItems/t-li-cat")).body.lineItem.category.sourcedId).toBe("t-cat-used");
      const before = sp.provider.deps.clock.now().toISOString();
      sp.provider.deps.clock.advance(10);
      expect((await sp.api("/categories/t-cat-used", { method: "DELETE" })).status).toBe(204);
      const moved = (await sp.api("/lineItems/t-li-cat")).body.lineItem;
      expect(moved.category).toMatchObject({ sourcedId: DEFAULT_CATEGORY.sourcedId, type: "category" });
      expect(LineItemSchema.safeParse(moved).success).toBe(true);
      // The move is a change of the line item: a delta read sees it.
      const delta = await sp.api(`/lineItems?filter=${encodeURIComponent(`dateLastModified>'${before}'`)}`);
      expect(delta.body.lineItems.map((l: { sourcedId: string }) => l.sourcedId)).toContain("t-li-cat");
    });

    it("refuses with 409 to delete the default category while it holds line items", async () => {
      await sp.api("/lineItems/t-li-default", { method: "PUT", body: lineItem({ gradingPeriod: undefined }) });
      const res = await sp.api(`/categories/${DEFAULT_CATEGORY.sourcedId}`, { method: "DELETE" });
      expect(res.status).toBe(409);
      expect(readStatusInfo(res.body)[0]?.description).toMatch(/default category/);
    });

    it("answers 404 for an unknown id and 403 without gradebook.delete", async () => {
      expect((await sp.api("/results/never-was", { method: "DELETE" })).status).toBe(404);
      await sp.api("/categories/t-cat-keep", { method: "PUT", body: { category: { title: "Keep" } } });
      const writer = await sp.provider.token([SCOPES.gradebookWrite]);
      expect((await sp.api("/categories/t-cat-keep", { method: "DELETE", token: writer })).status).toBe(403);
      expect((await sp.api("/categories/t-cat-keep")).status).toBe(200);
    });
  });
});
