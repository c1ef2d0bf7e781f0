// The client kit's record judge: strict v1p1 schemas, the boolean spellings of notes §2.1 (`either`, `json`,
// `string`), the lenient variants of notes §10 (nulls, `inactive`, OpenAPI errata, GUIDRef type families, `ext:`).
import { describe, expect, it } from "vitest";
import { checkRecord, normaliseRecord, recordProblems, refsOf, refTypeAccepted } from "../../oneroster/client/index.js";

const BASE = "https://h/ims/oneroster/v1p1";
const ref = (path: string, sourcedId: string, type: string) => ({
  href: `${BASE}/${path}/${sourcedId}`,
  sourcedId,
  type,
});

/** The user of the notes' example (notes §2.12). */
function user(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sourcedId: "u1",
    status: "active",
    dateLastModified: "2024-05-01T12:00:00.000Z",
    username: "jdoe",
    enabledUser: true,
    givenName: "Jo",
    familyName: "Doe",
    role: "student",
    orgs: [ref("orgs", "s1", "org")],
    ...extra,
  };
}

function klass(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sourcedId: "c1",
    status: "active",
    dateLastModified: "2024-05-01T12:00:00.000Z",
    title: "Algebra 1",
    classType: "scheduled",
    course: ref("courses", "k1", "course"),
    school: ref("orgs", "s1", "org"),
    terms: [ref("academicSessions", "t1", "academicSession")],
    ...extra,
  };
}

describe("strict judgement", () => {
  it("accepts a valid record and hands back its value", () => {
    const checked = checkRecord("user", user());
    expect(checked.problems).toEqual([]);
    expect(checked.value).toEqual(user());
  });

  it("names each missing or mistyped field", () => {
    const { username: _u, ...noUsername } = user();
    const problems = recordProblems("user", { ...noUsername, role: "coach", orgs: [] });
    expect(problems.map((p) => p.split(":")[0]).sort()).toEqual(["orgs", "role", "username"]);
    expect(checkRecord("user", noUsername).value).toBeUndefined();
  });

  it("refuses what only the lenient mode forgives: null, inactive, a misspelt token, a single-string list", () => {
    expect(recordProblems("user", user({ middleName: null }))[0]).toMatch(/^middleName: /);
    expect(recordProblems("user", user({ status: "inactive" }))[0]).toMatch(/^status: /);
    expect(recordProblems("class", klass({ periods: "1" }))[0]).toMatch(/^periods: /);
  });

  it("refuses a reference of a compatible but different type, saying lenient mode would take it (notes §2.3)", () => {
    const problems = recordProblems("class", klass({ terms: [ref("academicSessions", "t1", "term")] }));
    expect(problems).toEqual([
      'terms.0.type: "term" is not a reference to a academicSession (lenient mode accepts compatible types)',
    ]);
  });

  it("accepts a vocabulary extension and keeps it in the value (notes §2.1)", () => {
    const checked = checkRecord("user", user({ role: "ext:coach" }));
    expect(checked.problems).toEqual([]);
    expect(checked.value?.role).toBe("ext:coach");
  });
});

describe("boolean spellings (notes §2.1)", () => {
  it('"either" (the default) takes JSON booleans and the strings "true" / "false", giving booleans', () => {
    expect(checkRecord("user", user({ enabledUser: "false" })).value?.enabledUser).toBe(false);
    expect(checkRecord("user", user({ enabledUser: "true" }), { booleans: "either" }).value?.enabledUser).toBe(true);
    expect(checkRecord("user", user({ enabledUser: false })).value?.enabledUser).toBe(false);
  });

  it('"json" takes JSON booleans only, and says why it refuses a string', () => {
    expect(recordProblems("user", user(), { booleans: "json" })).toEqual([]);
    expect(recordProblems("user", user({ enabledUser: "true" }), { booleans: "json" })).toEqual([
      'enabledUser: "true" is not the boolean spelling asked for (booleans: "json")',
    ]);
  });

  it('"string" takes the strings only, giving booleans, and says why it refuses a JSON boolean', () => {
    const checked = checkRecord(
      "enrollment",
      {
        sourcedId: "e1",
        status: "active",
        dateLastModified: "2024-05-01T12:00:00.000Z",
        user: ref("users", "u1", "user"),
        class: ref("classes", "c1", "class"),
        school: ref("orgs", "s1", "org"),
        role: "teacher",
        primary: "true",
      },
      { booleans: "string" },
    );
    expect(checked.problems).toEqual([]);
    expect(checked.value?.primary).toBe(true);
    expect(recordProblems("user", user({ enabledUser: true }), { booleans: "string" })).toEqual([
      'enabledUser: true is not the boolean spelling asked for (booleans: "string")',
    ]);
  });

  it("refuses other strings in every mode", () => {
    for (const booleans of ["either", "json", "string"] as const) {
      expect(recordProblems("user", user({ enabledUser: "yes" }), { booleans })[0]).toMatch(/^enabledUser: /);
    }
  });

  it("applies to every boolean field of an entity (demographics race flags)", () => {
    const demo = {
      sourcedId: "u1",
      status: "active",
      dateLastModified: "2024-05-01T12:00:00.000Z",
      asian: "false",
      white: "true",
      hispanicOrLatinoEthnicity: false,
    };
    expect(checkRecord("demographics", demo).value).toMatchObject({ asian: false, white: true });
    expect(recordProblems("demographics", demo, { booleans: "json" }).map((p) => p.split(":")[0])).toEqual([
      "asian",
      "white",
    ]);
    expect(recordProblems("demographics", demo, { booleans: "string" }).map((p) => p.split(":")[0])).toEqual([
      "hispanicOrLatinoEthnicity",
    ]);
  });
});

describe("lenient judgement (notes §10)", () => {
  const lenient = { lenient: true } as const;

  it("drops nulls and reads inactive as tobedeleted", () => {
    const value = checkRecord("user", user({ middleName: null, status: "inactive" }), lenient).value;
    expect(value?.status).toBe("tobedeleted");
    expect(value && "middleName" in value).toBe(false);
  });

  it("fixes the OpenAPI errata: not submmitted, americanIndianOrAlsakaNative, periods as one string", () => {
    const result = {
      sourcedId: "r1",
      status: "active",
      dateLastModified: "2024-05-01T12:00:00.000Z",
      lineItem: ref("lineItems", "li1", "lineItem"),
      student: ref("users", "u1", "user"),
      scoreStatus: "not submmitted",
      score: 0,
      scoreDate: "2024-05-01",
    };
    expect(checkRecord("result", result, lenient).value?.scoreStatus).toBe("not submitted");
    const demo = {
      sourcedId: "u1",
      status: "active",
      dateLastModified: "2024-05-01T12:00:00.000Z",
      americanIndianOrAlsakaNative: true,
    };
    expect(checkRecord("demographics", demo, lenient).value?.americanIndianOrAlaskaNative).toBe(true);
    expect(checkRecord("class", klass({ periods: "1" }), lenient).value?.periods).toEqual(["1"]);
  });

  it("takes reference types of the target's family and retypes them, but not an unrelated type (notes §2.3)", () => {
    const checked = checkRecord("class", klass({ terms: [ref("academicSessions", "t1", "term")] }), lenient);
    expect(checked.problems).toEqual([]);
    expect(checked.value?.terms).toEqual([ref("academicSessions", "t1", "academicSession")]);
    expect(recordProblems("class", klass({ school: ref("users", "s1", "user") }), lenient)).toEqual([
      'school.type: "user" is not a reference to a org',
    ]);
  });

  it("leaves the caller's record as it was", () => {
    const original = user({ middleName: null, status: "inactive", enabledUser: "true" });
    const copy = structuredClone(original);
    normaliseRecord("user", original, lenient);
    checkRecord("user", original, lenient);
    expect(original).toEqual(copy);
  });
});

describe("references", () => {
  it("lists every GUIDRef with its field and target kind", () => {
    const record = klass({ resources: [ref("resources", "r1", "resource")] });
    expect(refsOf("class", record).map((r) => `${r.field}:${r.sourcedId}:${r.target}`)).toEqual([
      "course:k1:course",
      "school:s1:org",
      "terms:t1:academicSession",
      "resources:r1:resource",
    ]);
  });

  it("accepts the same type always and a family member only when lenient", () => {
    expect(refTypeAccepted("user", "user", false)).toBe(true);
    expect(refTypeAccepted("user", "student", false)).toBe(false);
    expect(refTypeAccepted("user", "student", true)).toBe(true);
    expect(refTypeAccepted("org", "school", true)).toBe(false);
  });
});
