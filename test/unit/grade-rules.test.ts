// The pure grade export rules of seed 003 ("Grade Export", "How the grade sync works", Limitations): which courses
// may export, which grade items meet the criteria, when line items and results are sent again, the sourcedIds and
// the v1p1 PUT bodies (notes §7.1).
import { describe, expect, it } from "vitest";
import {
  type CourseFacts,
  courseRefusal,
  type ExportSwitches,
  fieldOf,
  isSentScoreStatus,
  itemRefusal,
  lineItemPayload,
  lineItemSendReason,
  lineItemSourcedId,
  needsDelete,
  resultPayload,
  resultSendReason,
  resultSourcedId,
  type SentState,
} from "../../consumer/grades/rules.js";
import { LineItemInputSchema, ResultInputSchema } from "../../oneroster/index.js";

const BASE = "https://sis.example/ims/oneroster/v1p1";
const course: CourseFacts = {
  source: "sis",
  gradeExport: true,
  sisId: "cls-1",
  mapped: true,
  status: "active",
};
const switches: ExportSwitches = {
  export: true,
  nightly: true,
  onDemand: true,
  trigger: "on_demand",
  baseUrl: BASE,
  activeSource: BASE,
};

describe("courseRefusal (seed 003 Grade Export)", () => {
  it("lets a course the integration created, with grade export on, export to the active source system", () => {
    expect(courseRefusal(course, switches)).toBeUndefined();
    expect(courseRefusal(course, { ...switches, activeSource: `${BASE}/` })).toBeUndefined();
  });

  it.each([
    ["grade export off for the source system", course, { export: false }, /grades\.export/],
    ["a scheduled run with nightly export off", course, { trigger: "scheduled", nightly: false }, /grades\.nightly/],
    ["an on-demand export with teacher export off", course, { onDemand: false }, /grades\.onDemand/],
    ["a manual course", { ...course, source: "manual" }, {}, /not created by the SIS integration/],
    ["grade export off on the offering", { ...course, gradeExport: false }, {}, /not enabled on this course/],
    ["an unmapped offering", { ...course, mapped: false }, {}, /no longer mapped/],
    ["an archived offering", { ...course, status: "archived" }, {}, /is archived/],
    ["any course before a successful sync", course, { activeSource: undefined }, /no sync from the SIS has succeeded/],
    ["an export to another provider", course, { baseUrl: "https://b" }, /only to the active source system/],
  ] as [string, CourseFacts, Partial<ExportSwitches>, RegExp][])("refuses %s", (_, facts, over, message) => {
    expect(courseRefusal(facts, { ...switches, ...over })).toMatch(message);
  });
});

describe("itemRefusal (seed 003: SIS categories, an academic session that is a parent of the offering)", () => {
  const sis = { sisId: "cat-1", exportToSis: true, status: "active" as const };
  const ok = { deleted: false, category: sis, sessionId: 7, offeringSessions: new Set([7]) };
  it.each([
    ["meets the criteria", ok, undefined],
    ["deleted", { ...ok, deleted: true }, "deleted"],
    ["no category", { ...ok, category: undefined }, "it has no category"],
    ["a course's own category", { ...ok, category: { ...sis, sisId: null, exportToSis: false } }, /not an SIS/],
    ["a category gone from the SIS", { ...ok, category: { ...sis, status: "deleted" as const } }, /no longer exists/],
    ["no session", { ...ok, sessionId: null }, "it has no academic session"],
    ["a session that is not a parent", { ...ok, sessionId: 8 }, /not a parent of the course offering/],
  ])("%s", (_, facts, expected) => {
    const got = itemRefusal(facts);
    if (expected instanceof RegExp) {
      expect(got).toMatch(expected);
    } else {
      expect(got).toBe(expected);
    }
  });
});

describe("when line items and results are sent (seed 003 How the grade sync works)", () => {
  const sent = (over: Partial<SentState> = {}): SentState => ({
    sentRevision: 3,
    sentItemRevision: 2,
    lastOutcome: "success",
    deletedAtSis: null,
    ...over,
  });
  it.each([
    ["never sent", 1, undefined, "never sent"],
    ["never accepted", 1, sent({ sentRevision: null }), "never sent"],
    ["changed since", 4, sent(), "changed since last sent"],
    ["failed last time", 3, sent({ lastOutcome: "failure" }), "failed last time"],
    ["deleted at the SIS, then back", 3, sent({ deletedAtSis: new Date() }), "never sent"],
    ["unchanged", 3, sent(), undefined],
  ] as const)("line item: %s", (_, revision, state, reason) => {
    expect(lineItemSendReason(revision, state)).toBe(reason);
  });

  it.each([
    ["never sent", 1, undefined, 2, "never sent"],
    ["changed since", 4, sent(), 2, "changed since last sent"],
    ["failed last time", 3, sent({ lastOutcome: "failure" }), 2, "failed last time"],
    ["its line item changed since", 3, sent(), 5, "line item changed"],
    ["unchanged, line item unchanged", 3, sent(), 2, undefined],
  ] as const)("result: %s", (_, revision, state, itemAtSis, reason) => {
    expect(resultSendReason(revision, state, itemAtSis)).toBe(reason);
  });

  it("deletes only what the SIS may hold, once", () => {
    expect(needsDelete(undefined)).toBe(false);
    expect(needsDelete(sent())).toBe(true);
    expect(needsDelete(sent({ sentRevision: null, lastOutcome: "failure" }))).toBe(true);
    expect(needsDelete(sent({ deletedAtSis: new Date() }))).toBe(false);
  });

  it("sends fully graded and exempt only (seed 003 Limitations)", () => {
    expect(["fully graded", "exempt", "partially graded", "submitted", "not submitted"].map(isSentScoreStatus)).toEqual(
      [true, true, false, false, false],
    );
  });
});

describe("what is sent (seed 003 note on the line item sourced id; notes §7.1)", () => {
  it("builds {lineItemSourcedId}_{classSourcedId} and a result id from it and the student", () => {
    expect(lineItemSourcedId(42, "cls-7")).toBe("gi-42_cls-7");
    expect(resultSourcedId("gi-42_cls-7", "usr-3")).toBe("gi-42_cls-7_usr-3");
  });

  it("builds PUT bodies the v1p1 input schemas accept, with the end-of-course flag as metadata", () => {
    const li = lineItemPayload(BASE, {
      sourcedId: "gi-1_cls-1",
      name: "Essay",
      description: null,
      assignDate: new Date("2026-09-01T08:00:00Z"),
      dueDate: new Date("2026-09-08T08:00:00Z"),
      minScore: 0,
      maxScore: 20,
      endOfCourse: true,
      classSourcedId: "cls-1",
      categorySourcedId: "cat-1",
      sessionSourcedId: "t1",
    });
    expect(LineItemInputSchema.safeParse(li.lineItem).success).toBe(true);
    expect(li.lineItem).toMatchObject({
      class: { sourcedId: "cls-1", type: "class", href: `${BASE}/classes/cls-1` },
      gradingPeriod: { sourcedId: "t1", type: "academicSession" },
      metadata: { endOfCourse: true },
    });
    const r = resultPayload(BASE, {
      sourcedId: "gi-1_cls-1_u1",
      lineItemSourcedId: "gi-1_cls-1",
      studentSourcedId: "u1",
      scoreStatus: "exempt",
      score: null,
      comment: null,
      scoredAt: new Date("2026-09-09T10:00:00Z"),
    });
    expect(ResultInputSchema.safeParse(r.result).success).toBe(true);
    expect(r.result).toMatchObject({ score: 0, scoreDate: "2026-09-09", scoreStatus: "exempt" });
    expect(r.result).not.toHaveProperty("comment");
  });

  it("reads the field a provider's description names", () => {
    expect(fieldOf("lineItem.gradingPeriod.sourcedId: academicSession 'x' is not a term")).toBe(
      "lineItem.gradingPeriod.sourcedId",
    );
    expect(fieldOf("class 'x' does not exist")).toBeUndefined();
    expect(fieldOf(undefined)).toBeUndefined();
  });
});
