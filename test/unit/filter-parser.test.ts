// The pure filter parser of oneroster/query.ts on valid and invalid inputs (notes §3.1).
import { describe, expect, it } from "vitest";
import { FilterSyntaxError, formatFilter, parseFilter } from "../../oneroster/index.js";

describe("parseFilter accepts the v1p1 grammar (notes §3.1)", () => {
  it.each([
    ["status='active'", [{ field: "status", operator: "=", value: "active" }], undefined],
    ["role!='student'", [{ field: "role", operator: "!=", value: "student" }], undefined],
    [
      "dateLastModified>'2026-01-01T00:00:00Z'",
      [{ field: "dateLastModified", operator: ">", value: "2026-01-01T00:00:00Z" }],
      undefined,
    ],
    ["score>='7.5'", [{ field: "score", operator: ">=", value: "7.5" }], undefined],
    ["score<'3'", [{ field: "score", operator: "<", value: "3" }], undefined],
    ["score<='3'", [{ field: "score", operator: "<=", value: "3" }], undefined],
    ["familyName~'son'", [{ field: "familyName", operator: "~", value: "son" }], undefined],
    ["givenName='Mary Ann'", [{ field: "givenName", operator: "=", value: "Mary Ann" }], undefined],
    ["familyName='O'Brien'", [{ field: "familyName", operator: "=", value: "O'Brien" }], undefined],
    ["familyName='O''Brien'", [{ field: "familyName", operator: "=", value: "O'Brien" }], undefined],
    ["title=''", [{ field: "title", operator: "=", value: "" }], undefined],
    ["title='a AND b'", [{ field: "title", operator: "=", value: "a AND b" }], undefined],
    ["orgs.sourcedId='s-1'", [{ field: "orgs.sourcedId", operator: "=", value: "s-1" }], undefined],
    [
      "status='active' AND role='teacher'",
      [
        { field: "status", operator: "=", value: "active" },
        { field: "role", operator: "=", value: "teacher" },
      ],
      "AND",
    ],
    [
      "role='student' OR role='teacher'",
      [
        { field: "role", operator: "=", value: "student" },
        { field: "role", operator: "=", value: "teacher" },
      ],
      "OR",
    ],
    [
      "title='x' OR y='1' AND z='2'".replace(" AND ", " OR "),
      [
        { field: "title", operator: "=", value: "x" },
        { field: "y", operator: "=", value: "1" },
        { field: "z", operator: "=", value: "2" },
      ],
      "OR",
    ],
    [
      "classCode='\\ : ? \" < > | # , % &' AND status='active'",
      [
        { field: "classCode", operator: "=", value: '\\ : ? " < > | # , % &' },
        { field: "status", operator: "=", value: "active" },
      ],
      "AND",
    ],
  ])("parses %s", (input, predicates, logical) => {
    const parsed = parseFilter(input);
    expect(parsed.predicates).toEqual(predicates);
    expect(parsed.logical).toBe(logical);
  });

  it("round-trips through formatFilter", () => {
    const input = "familyName='O''Brien' AND givenName~'an'";
    expect(formatFilter(parseFilter(input))).toBe(input);
  });
});

describe("parseFilter rejects malformed filters with a position and a reason", () => {
  it.each([
    ["", /empty/],
    ["   ", /empty/],
    ["status", /expected one of/],
    ["status=active", /single quotes/],
    ["status='active", /no closing quote/],
    ["='x'", /field name/],
    ["status=='active'", /single quotes/],
    ["status='active' and role='x'", /upper case/],
    ["status='active' AND", /no closing quote|AND/],
    ["status='a' AND role='b' OR x='c'", /cannot be mixed/],
    ["status='a'  AND role='b'", /upper case/],
    ["status='a' or role='b'", /upper case/],
    ["1field='x'", /field name/],
    ["a.b.c='x'", /expected one of/],
    ["status <> 'x'", /expected one of/],
  ])("rejects %j", (input, message) => {
    expect(() => parseFilter(input)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(input)).toThrow(message);
  });
});
